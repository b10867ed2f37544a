import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A full garbage collection, in a later turn: until the current one ends, V8 keeps every WeakRef's target. */
export const collectGarbage = () => new Promise<void>((resolve) => setImmediate(() => resolve(gc())));

/**
 * `promise`, or 'still waiting' once `ms` have passed. The timer is cleared as soon as `promise`
 * settles: left running, it kept the jest worker alive for up to `ms` after its last test, and jest
 * reported the worker as failing to exit gracefully.
 */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | 'still waiting'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'still waiting'>((resolve) => (timer = setTimeout(() => resolve('still waiting'), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A full garbage collection, in a later turn: until the current one ends, V8 keeps every WeakRef's target. */
export const collectGarbage = () => new Promise<void>((resolve) => setImmediate(() => resolve(gc())));

/** `promise`, or 'still waiting' once `ms` have passed. */
export const within = <T>(promise: Promise<T>, ms: number) => Promise.race([promise, new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), ms))]);

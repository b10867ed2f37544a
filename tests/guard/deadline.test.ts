/**
 * The deadlines hold when a garbage collection runs before they fire. Node lets an
 * AbortSignal.timeout that only an AbortSignal.any composite refers to be collected, its timer with
 * it, and the composite then never aborts (nodejs/node#57736): a decision waited for a hanging Sync
 * or Conversations request past Twilio's 5 s, until the request's own 10 s timeout. That timeout
 * sat in an AbortSignal.any too, kept alive only by a local variable of the pending request; it now
 * uses abortAfter as well (tests/guard/twilio/client.test.ts checks it fires after a collection).
 *
 * These tests wait 30 ms of real time: the subject is Node's own timer and collector, which a fake
 * clock would replace.
 */
import { abortAfter, DeadlineExceededError, withDeadline } from '../../src/guard/deadline';
import { collectGarbage, within } from '../support/gc';

const never = () => new Promise<never>(() => undefined);

test('withDeadline rejects at its deadline although a garbage collection ran before it', async () => {
  const decision = withDeadline(30, never);
  await collectGarbage();
  await expect(within(decision, 1_000)).rejects.toBeInstanceOf(DeadlineExceededError);
});

test('a deadline inside another still fires after a garbage collection', async () => {
  const decision = withDeadline(5_000, () => withDeadline(30, never));
  await collectGarbage();
  await expect(within(decision, 1_000)).rejects.toEqual(new DeadlineExceededError(30));
});

test('abortAfter aborts an AbortSignal.any composite with a TimeoutError after a garbage collection', async () => {
  const composite = AbortSignal.any([new AbortController().signal, abortAfter(30).signal]);
  const aborted = new Promise<unknown>((resolve) => composite.addEventListener('abort', () => resolve(composite.reason), { once: true }));
  await collectGarbage();
  expect(await within(aborted, 1_000)).toMatchObject({ name: 'TimeoutError' });
});

test('a cleared abortAfter never aborts', async () => {
  const timeout = abortAfter(10);
  timeout.clear();
  await new Promise((resolve) => setTimeout(resolve, 30));
  expect(timeout.signal.aborted).toBe(false);
});

/**
 * Waits until `condition` holds, checking every few milliseconds: a test waits for the event it
 * needs instead of sleeping for a time that a busy machine may not keep. Only a condition that
 * never comes true fails it, after `timeoutMs` (well inside jest's own timeout, with a message).
 */
export async function waitFor(condition: () => boolean, { timeoutMs = 20_000, what = 'the condition' } = {}): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > giveUpAt) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * The harness's warm runtime processes (tests/support/runtime.ts): a stopped runtime's process
 * serves a later start as a fresh instance of the functions, but only once its instance has nothing
 * left running; otherwise what it still does would show up as the next instance's.
 */
import { startEmulator, type Emulator } from '../../emulator';
import { messageAdd } from '../support/events';
import { PRE_EVENT_PATH, startRuntime } from '../support/runtime';
import { runtimeEnv } from '../support/state-emulator';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

// Every rejection is flushed to Sync at once, so a refused message starts a Sync write.
const env = () => runtimeEnv(emulator, { MAX_CHAT_BODY_BYTES: '10', STATUS_FLUSH_INTERVAL: '1ms' });
const overLong = messageAdd({ Body: 'x'.repeat(11) });

test('a stopped runtime with nothing left running serves the next start, as a fresh instance', async () => {
  // Allowed, so no rejection is counted and nothing is flushed to Sync after the answer.
  const first = await startRuntime({ ...env(), MAX_CHAT_BODY_BYTES: '100' });
  expect((await first.post(PRE_EVENT_PATH, overLong)).status).toBe(200);
  await first.stop();

  const second = await startRuntime(env());
  try {
    expect(second.pid).toBe(first.pid);
    // Its own settings, not the first instance's.
    expect((await second.post(PRE_EVENT_PATH, overLong)).status).toBe(403);
  } finally {
    await second.stop();
  }
});

test('a runtime stopped while a flush it started still waits on Sync is not reused', async () => {
  emulator.injectFault({ kind: 'hang', product: 'sync' });
  const first = await startRuntime(env());
  // Answered once the flush's budget has passed; the flush itself still waits.
  expect((await first.post(PRE_EVENT_PATH, overLong)).status).toBe(403);
  await first.stop();

  emulator.reset();
  const second = await startRuntime(env());
  try {
    expect(second.pid).not.toBe(first.pid);
    const res = await second.post(PRE_EVENT_PATH, messageAdd({ Body: 'ok' }));
    expect(res.status).toBe(200);
    expect(res.logs.map((line) => line.outcome)).toEqual(['allow']);
  } finally {
    await second.stop();
  }
});

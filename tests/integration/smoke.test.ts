import { startRuntime } from '../support/runtime';
import { messageAdd } from '../support/events';
import { AUTH_TOKEN } from '../support/twilio-request';
test('smoke', async () => {
  const rt = await startRuntime({ AUTH_TOKEN });
  try {
    const t0 = Date.now();
    const r = await rt.post('/conversations/pre-event', messageAdd());
    console.log(Date.now() - t0, r.status, r.text, r.headers, r.logs, rt.output);
    const r2 = await rt.post('/conversations/pre-event', messageAdd(), { sign: false });
    console.log(Date.now() - t0, r2.status, r2.text, r2.logs);
  } finally { await rt.stop(); }
});

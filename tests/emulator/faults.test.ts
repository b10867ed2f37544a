/**
 * The fault kinds and the slow paging the reliability suite injects: what a client of the emulator
 * sees, through raw HTTP and through twilio-node wired the way the guard wires it.
 */
import { startEmulator, type Emulator } from '../../emulator';
import { emulatorClient, seedMembers } from '../support/state-emulator';
import { call, control, errorOf } from './http';

const DOCS = '/sync/v1/Services/default/Documents';
const CONV = '/conversations/v1/Conversations';
let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

/** The raw answer, without parsing its body. */
async function raw(path: string): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(`${emu.url}${path}`, { headers: { Authorization: `Basic ${Buffer.from(`AC${'0'.repeat(32)}:x`).toString('base64')}` } });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

describe('invalid-json', () => {
  it('answers 200 with a JSON body no parser accepts', async () => {
    emu.injectFault({ kind: 'invalid-json', product: 'sync' });
    const res = await raw(`${DOCS}/anything`);
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^application\/json/);
    expect(res.text.startsWith('{"sid"')).toBe(true);
    expect(() => JSON.parse(res.text)).toThrow(SyntaxError);
    expect(emu.log[0]).toMatchObject({ product: 'sync', status: 200 });
  });

  it('is used up after `times` requests and matches like the other kinds', async () => {
    emu.injectFault({ kind: 'invalid-json', times: 1, method: 'GET', pathIncludes: '/Participants' });
    const sid = emu.seed.conversation({});
    const other = await raw(`${CONV}/${sid}`);
    expect(() => JSON.parse(other.text)).not.toThrow();
    const broken = await raw(`${CONV}/${sid}/Participants`);
    expect(() => JSON.parse(broken.text)).toThrow(SyntaxError);
    expect(JSON.parse((await raw(`${CONV}/${sid}/Participants`)).text)).toMatchObject({ participants: [] });
  });

  it('makes twilio-node reject the call rather than return a resource', async () => {
    emu.injectFault({ kind: 'invalid-json', product: 'conversations' });
    const sid = emu.seed.conversation({});
    await expect(emulatorClient(emu).conversations.v1.conversations(sid).participants.list()).rejects.toThrow(SyntaxError);
  });

  it('can be injected through the HTTP control surface', async () => {
    expect((await control(emu, 'POST', 'faults', { kind: 'invalid-json', product: 'sync', times: 1 })).status).toBe(200);
    expect((await raw(`${DOCS}/x`)).status).toBe(200);
    expect((await call(emu, 'GET', `${DOCS}/x`)).body).toEqual(errorOf(20404, 404));
  });
});

describe('fault validation', () => {
  it('refuses an unknown kind, naming the known ones', async () => {
    expect(() => emu.injectFault({ kind: 'explode' } as never)).toThrow(/status, hang, invalid-json/);
    const res = await control(emu, 'POST', 'faults', { kind: 'explode' });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });
});

describe('slow pages: latency on the participant list path', () => {
  const PAGE_MS = 120;

  it('is paid once per page of the list, and not by other requests', async () => {
    const sid = emu.seed.conversation({});
    seedMembers(emu, sid, { chat: 250 });
    emu.setLatency(PAGE_MS, { product: 'conversations', method: 'GET', pathIncludes: '/Participants' });
    const client = emulatorClient(emu);

    const started = performance.now();
    const participants = await client.conversations.v1.conversations(sid).participants.list({ pageSize: 100 });
    const elapsed = performance.now() - started;

    expect(participants).toHaveLength(250);
    const pages = emu.log.filter((e) => e.path.endsWith('/Participants'));
    expect(pages).toHaveLength(3);
    expect(pages.every((p) => p.delayMs === PAGE_MS && p.ms >= PAGE_MS - 5)).toBe(true);
    // A lower bound: timers never fire early, so this holds on a busy machine too.
    expect(elapsed).toBeGreaterThanOrEqual(3 * PAGE_MS - 15);

    emu.clearLog();
    await client.conversations.v1.conversations(sid).fetch();
    expect(emu.log[0]!.delayMs).toBe(0);
  });
});

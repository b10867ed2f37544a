/**
 * `npm run send-event` in process (scripts/lib/send-event.ts, what scripts/send-event.ts runs): its
 * named options build the request Twilio sends for each event and channel (every documented
 * request of tests/fixtures/twilio-requests, rebuilt from a command line), and the form reaches a
 * local server signed as Twilio signs it. Its --help and an unknown option, run as the real script,
 * are in cli.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateRequest } from 'twilio/lib/webhooks/webhooks';
import { parseCommandLine, runCommand } from '../../scripts/lib/cli';
import { eventForm, SEND_EVENT_CLI, sendEvent } from '../../scripts/lib/send-event';

const FIXTURES = join(__dirname, '..', 'fixtures', 'twilio-requests');
const AUTH_TOKEN = '0123456789abcdef'.repeat(2);

const formOf = (argv: string[]) => eventForm(parseCommandLine(SEND_EVENT_CLI, argv));
/** A form with its Media items' Sids left out: the fixtures' are made up, and so are the script's. */
const comparable = (form: Record<string, string>) => {
  const { Media, ...rest } = form;
  return Media === undefined ? rest : { ...rest, Media: (JSON.parse(Media) as Array<Record<string, unknown>>).map(({ Sid: _sid, ...item }) => item) };
};

describe('the form of each event and channel', () => {
  it.each([
    ['onMessageAdd-web-sdk', ['--author', 'agent.smith@example.com', '--body', 'Hi, I am looking into your order now.']],
    ['onMessageAdd-web-api-email-identity', ['--channel', 'api', '--author', 'agent.smith@example.com', '--body', 'Your replacement ships today.', 'Attributes={"source":"crm"}']],
    ['onMessageAdd-sms-inbound', ['--channel', 'sms', '--author', '+15555550123', '--body', 'Where is my order?']],
    ['onMessageAdd-sms-inbound-mms', ['--channel', 'sms', '--media', 'IMG_0001.jpeg:512345', '--media', 'IMG_0002.jpeg:498765:image/jpeg']],
    ['onMessageAdd-whatsapp-voice-note', ['--channel', 'whatsapp', '--author', '+15555550124', '--media', 'voice.ogg:48213:audio/ogg; codecs=opus']],
    ['onMessageAdd-email-inbound', ['--channel', 'email', '--body', 'Please see the attached invoice.', '--media', 'invoice.pdf:183422']],
    ['onParticipantAdd-web-sdk', ['--event', 'onParticipantAdd', '--author', 'customer-42', 'ClientIdentity=agent.smith@example.com', `RoleSid=RL${'0'.repeat(32)}`]],
    ['onParticipantAdd-whatsapp-api', ['--event', 'onParticipantAdd', '--address', 'whatsapp:+15555550124', '--proxy-address', '+15555550100']],
    ['onConversationAdd-sms-autocreation', ['--event', 'onConversationAdd', '--channel', 'sms', '--body', 'Hi, I need help with my order']],
    ['onConversationAdd-group-mms-autocreation', ['--event', 'onConversationAdd', '--channel', 'sms', '--address', '[+15555550123, +15555550125, +15555550126]', '--author', '+15555550125', '--body', 'Hi all']],
    ['onConversationAdd-whatsapp-autocreation-voice-note', ['--event', 'onConversationAdd', '--channel', 'whatsapp', '--media', 'voice.ogg:31877:audio/ogg; codecs=opus', '--body', '']],
  ])('%s is rebuilt from named options', (fixture, argv) => {
    const { params } = JSON.parse(readFileSync(join(FIXTURES, `${fixture}.json`), 'utf8')) as { params: Record<string, string> };
    expect(comparable(formOf(argv))).toEqual(comparable(params));
  });

  it('sends a chat message by default, and a join without a message’s fields', () => {
    expect(formOf([])).toMatchObject({ EventType: 'onMessageAdd', Source: 'SDK', Author: 'alice', Body: 'Hello', ConversationSid: `CH${'0'.repeat(32)}` });
    const join = formOf(['--event', 'onParticipantAdd']);
    expect(join).toMatchObject({ EventType: 'onParticipantAdd', Source: 'SDK', Identity: 'alice' });
    for (const field of ['Body', 'Author', 'Media', 'MessagingServiceSid', 'MessagingBinding.Address']) expect(join).not.toHaveProperty([field]);
    const sms = formOf(['--event', 'onParticipantAdd', '--channel', 'sms']);
    expect(sms).toMatchObject({ Source: 'API', 'MessagingBinding.Type': 'sms', 'MessagingBinding.Address': '+15555550123', 'MessagingBinding.ProxyAddress': '+15555550100' });
    expect(sms).not.toHaveProperty('Identity');
    expect(formOf(['--channel', 'WhatsApp'])).toMatchObject({ Source: 'WHATSAPP', Author: 'whatsapp:+15555550124' });
  });

  it('reads sizes in KB and MB, and Key=Value overrides any option', () => {
    const form = formOf(['--media', 'site-visit.mp4:20MB', '--media', 'notes.bin:1.5KB', '--body', 'x', 'Body=from the pair', 'Source=API']);
    expect(JSON.parse(form.Media!)).toEqual([
      { Sid: `ME${'0'.repeat(31)}1`, Filename: 'site-visit.mp4', ContentType: 'video/mp4', Size: 20 * 1024 * 1024 },
      { Sid: `ME${'0'.repeat(31)}2`, Filename: 'notes.bin', ContentType: 'application/octet-stream', Size: 1536 },
    ]);
    expect(form).toMatchObject({ Body: 'from the pair', Source: 'API' });
  });

  it.each([
    [['--event', 'onMessageAdded'], '--event onMessageAdded: expected one of onMessageAdd, onParticipantAdd, onConversationAdd'],
    [['--channel', 'pigeon'], '--channel pigeon: expected one of chat, api, sms, whatsapp, email, messenger, gbm.'],
    [['--event', 'onParticipantAdd', '--body', 'hi'], "--body and --media are a message's: onParticipantAdd from chat carries none."],
    [['--event', 'onConversationAdd', '--media', 'a.png:1'], "--body and --media are a message's: onConversationAdd from chat carries none."],
    [['--address', '+15555550123'], '--address and --proxy-address are a messaging binding: onMessageAdd from sms has none'],
    [['--event', 'onParticipantAdd', '--channel', 'chat', '--proxy-address', '+15555550100'], 'onParticipantAdd from chat has none'],
    [['--media', 'photo.jpg'], '--media "photo.jpg": expected <filename>:<size>[:<content type>], such as photo.jpg:500KB.'],
    [['--media', 'photo.jpg:big'], '--media "photo.jpg:big"'],
    [['Body'], 'unexpected argument Body: form fields are Key=Value; see --help.'],
  ])('%j is refused with one sentence', (argv, sentence) => {
    expect(() => formOf(argv)).toThrow(sentence);
  });
});

describe('posting it', () => {
  let server: Server;
  let dir: string;
  const requests: Array<{ url: string; headers: Record<string, string | string[] | undefined>; params: Record<string, string> }> = [];
  const port = () => (server.address() as AddressInfo).port;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'send-event-'));
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        requests.push({ url: req.url!, headers: req.headers, params: Object.fromEntries(new URLSearchParams(body)) });
        res.writeHead(403, { 'Content-Type': 'application/json' }).end('{"code":"participant.non-chat.count"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => void (requests.length = 0));

  /** The command as the script runs it, reading `dotenv` as its .env and PORT from the shell. */
  async function sendEventCommand(argv: string[], dotenv = `AUTH_TOKEN=${AUTH_TOKEN}\n`) {
    const envFile = join(dir, '.env');
    writeFileSync(envFile, dotenv);
    const printed = { stdout: '', stderr: '' };
    const out = { log: (text: string) => void (printed.stdout += `${text}\n`), error: (text: string) => void (printed.stderr += `${text}\n`) };
    const code = await runCommand(SEND_EVENT_CLI, argv, (args) => sendEvent(args, { PORT: String(port()) }, envFile, out), out);
    return { code, ...printed };
  }

  it('posts the named options as a form signed with AUTH_TOKEN, as Twilio signs it, and prints the answer', async () => {
    const run = await sendEventCommand(['--event', 'onParticipantAdd', '--channel', 'sms', '--address', '+15555550199', '--proxy-address', '+15555550100']);
    expect(run).toEqual({ code: 0, stdout: '403 Forbidden\n{"code":"participant.non-chat.count"}\n', stderr: '' });
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request!.url).toBe('/conversations/pre-event');
    expect(request!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(validateRequest(AUTH_TOKEN, String(request!.headers['x-twilio-signature']), `http://localhost:${port()}/conversations/pre-event`, request!.params)).toBe(true);
    expect(request!.params).toMatchObject({ EventType: 'onParticipantAdd', Source: 'API', 'MessagingBinding.Type': 'sms', 'MessagingBinding.Address': '+15555550199', 'MessagingBinding.ProxyAddress': '+15555550100' });
  });

  it('signs the URL Twilio would call behind a tunnel, and posts to --path with the account of .env', async () => {
    const accountSid = `AC${'1a'.repeat(16)}`;
    await sendEventCommand(['--channel', 'whatsapp', '--media', 'voice.ogg:48213:audio/ogg; codecs=opus', '--path', '/conversations/post-event'], `AUTH_TOKEN=${AUTH_TOKEN}\nWEBHOOK_BASE_URL=https://tunnel.example.com\nACCOUNT_SID=${accountSid}\n`);
    const [request] = requests;
    expect(request!.url).toBe('/conversations/post-event');
    expect(validateRequest(AUTH_TOKEN, String(request!.headers['x-twilio-signature']), 'https://tunnel.example.com/conversations/post-event', request!.params)).toBe(true);
    expect(request!.params).toMatchObject({ AccountSid: accountSid, Source: 'WHATSAPP', Author: 'whatsapp:+15555550124', Body: '' });
    expect(JSON.parse(request!.params.Media!)).toEqual([expect.objectContaining({ Filename: 'voice.ogg', ContentType: 'audio/ogg; codecs=opus', Size: 48213 })]);
  });

  it('sends without a signature with --unsigned, as the README shows', async () => {
    await sendEventCommand(['--unsigned', 'Body=hi']);
    expect(requests[0]!.headers).not.toHaveProperty('x-twilio-signature');
    expect(requests[0]!.params.Body).toBe('hi');
  });

  it.each([[['--help']], [['--body', 'hi', '-h']], [['--event-typo', 'onParticipantAdd']], [['--event', 'onParticipantAdd', '--body', 'hi']], [['--media']]])('%j sends nothing', async (argv) => {
    const run = await sendEventCommand(argv);
    if (argv.some((a) => a === '--help' || a === '-h')) expect(run).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: npm run send-event/), stderr: '' });
    else expect(run).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(/^send-event: [^\n]+\n\nUsage: npm run send-event/) });
    expect(requests).toEqual([]);
  });

  it('says so in one sentence when nothing listens on PORT', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const unused = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const envFile = join(dir, '.env');
    const printed: string[] = [];
    const out = { log: (text: string) => void printed.push(text), error: (text: string) => void printed.push(text) };
    const code = await runCommand(SEND_EVENT_CLI, [], (args) => sendEvent(args, { PORT: String(unused) }, envFile, out), out);
    expect(code).toBe(1);
    expect(printed).toEqual([`Could not reach http://localhost:${unused}/conversations/pre-event (ECONNREFUSED): is npm start running?`]);
  });
});

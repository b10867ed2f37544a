/**
 * What the audit says the guard would have cost, on a history small enough to count by hand: the
 * Function executions per event type and per day, and the Sync requests of the webhook's rate gate
 * (src/guard/rate/slot-limiter.ts, store/slot-store.ts), identity tally (src/guard/facts/identity-tally.ts,
 * post-event.ts) and rejection counters (src/guard/runtime/rejection-counter.ts), in the JSON, on
 * the terminal and on the page; and what it cannot count, said with why. The rate rules' requests are
 * those one warm instance of the guard's slot limiter sends: each expected count says which request it is.
 */
import { savedConversation } from '../../src/audit/history';
import { formatReport } from '../../src/audit/format';
import { renderHtml } from '../../src/audit/html';
import { Auditor, type AuditReport } from '../../src/audit/replay';
import { parseSettings } from '../../src/guard/config/load';

const SERVICE = `IS${'0'.repeat(32)}`;
const at = (time: string) => `2026-03-02T${time}Z`;
const ENV = {
  // bot: 2 a minute, one Sync Map per key (SlotRateLimiter.layout); burst: 4 a second, two Maps per key.
  RATE_LIMITS: 'bot=2/1m per author from web; burst=4/1s per conversation on message',
  MAX_PARTICIPANTS: '2',
  MAX_CONVERSATIONS_PER_IDENTITY: '3',
  IDENTITY_TALLY_EXACT_MARGIN: '1',
};

/**
 * One conversation: a chat agent and an SMS customer join, then a third member, agent-2, whom
 * MAX_PARTICIPANTS=2 refuses before its identity is counted (in more conversations than the cap,
 * it would otherwise be "not checked"). The agent writes three messages 10 s apart (the third over
 * `bot`), the customer one, then five in one second (the fifth over `burst`), then one 10 minutes on.
 */
function history() {
  const participants = [
    { sid: 'MB1', identity: 'agent-1', attributes: '{}', date_created: at('10:00:01') },
    { sid: 'MB2', messaging_binding: { type: 'sms', address: '+15550100001', proxy_address: '+15550009999' }, attributes: '{}', date_created: at('10:00:02') },
    { sid: 'MB3', identity: 'agent-2', attributes: '{}', date_created: at('10:00:03') },
  ];
  const message = (index: number, participant: string, author: string, time: string) => ({ sid: `IM${index}`, index, author, participant_sid: participant, date_created: at(time), body: 'hi', attributes: '{}' });
  const messages = [
    message(0, 'MB1', 'agent-1', '10:01:00'),
    message(1, 'MB1', 'agent-1', '10:01:10'),
    message(2, 'MB1', 'agent-1', '10:01:20'),
    message(3, 'MB2', '+15550100001', '10:01:30'),
    ...[4, 5, 6, 7, 8].map((i) => message(i, 'MB2', '+15550100001', '10:02:00')),
    message(9, 'MB2', '+15550100001', '10:12:00'),
  ];
  return savedConversation({ sid: 'CH1', chat_service_sid: SERVICE, date_created: at('10:00:00'), attributes: '{}' }, participants, messages);
}

async function audit(): Promise<AuditReport> {
  const auditor = new Auditor(parseSettings(ENV), ENV);
  await auditor.add(history());
  auditor.addIdentity({ kind: 'identity', service: SERVICE, identity: 'agent-1', conversations: 1 });
  auditor.addIdentity({ kind: 'identity', service: SERVICE, identity: 'agent-2', conversations: 5 });
  return auditor.finish({ from: at('00:00:00'), to: at('23:59:59') }, SERVICE);
}

it('counts the Function executions and the reads and writes each decision would send to Sync', async () => {
  const report = await audit();
  expect(Object.fromEntries(report.rules.map((r) => [`${r.code} ${r.outcome}`, r.count]))).toEqual({ 'rate.bot reject': 1, 'rate.burst reject': 1, 'participant.count reject': 1 });
  // Every action is a pre-event execution; the two joins admitted are each an onParticipantAdded post-event.
  expect(report.cost.functionExecutions).toEqual({ onConversationAdd: 1, onParticipantAdd: 3, onMessageAdd: 10, onParticipantAdded: 2 });
  expect(report.perDay).toEqual([expect.objectContaining({ day: '2026-03-02', executions: report.cost.functionExecutions })]);
  expect(report.cost.syncRequests).toEqual({
    // One warm instance (src/audit/sync-cost.ts) reads nothing while it knows a key: a new key is taken
    // to be new, and one at its limit is refused from what it knows (the agent's third message, the
    // fifth in one second). Ten minutes on, what it knows of the conversation's slots, all created by
    // then, may have expired: it reads them.
    rateReads: 1,
    // A slot created or updated per rule admitting a message, and two more (the create Sync answers
    // 404, then the Map) when the Map of the key's slots has had no write for its lifetime: the agent's
    // first message (bot and burst, each a new Map: 3 + 3), its second (1 + 1), the customer's (1), the
    // four in one second (1 each: a key's Map creations are counted for its first group's), the last
    // (its Map expired 5 minutes after its last write: 3).
    rateWrites: 6 + 2 + 1 + 4 + 3,
    // agent-1: its document and join ledger read by its pre-event, which enters the join in the
    // ledger, and read again by its post-event, which writes the document; agent-2: read by its
    // pre-event, which enters the join in the ledger (refused: a phantom until the rebuild). The SMS
    // customer has no tally.
    identityTallyReads: 2 * 3,
    identityTallyWrites: 2 + 1,
    // No conversation of more than 100 participants: no page index.
    participantPageReads: 0,
    participantPageWrites: 0,
    // Three rejections in three STATUS_FLUSH_INTERVAL periods (10 s): a read and a write each for
    // the counts, an item for the rejection log.
    rejectionCountReads: 3,
    rejectionCountWrites: 3,
    rejectionLogWrites: 3,
    total: 35,
  });
  // agent-2 never reached the identity check: MAX_PARTICIPANTS refused it first.
  expect(report.notReconstructible.identityLimitNotChecked).toBe(0);
});

it('shows the cost on the terminal and on the page, and says what it cannot count and why', async () => {
  const report = await audit();
  const text = formatReport(report);
  expect(text).toContain('What it would have cost (an estimate; docs/audit.md, "What it would cost"): 16 Function executions (the pre-event webhooks, and the onParticipantAdded post-event), 35 Sync requests.');
  expect(text).toMatch(/\n {2}day {9}onConversationAdd {2}onParticipantAdd {2}onMessageAdd {2}onParticipantAdded {4}total\n {2}2026-03-02 +1 +3 +10 +2 +16\n {2}all +1 +3 +10 +2 +16\n/);
  expect(text).toContain('  Sync: rate rules reads 1, writes 16; identity tallies reads 6, writes 3; participant page indexes reads 0, writes 0; rejection counts reads 3, writes 3, rejection log writes 3 (per instance that rejects).');

  expect(report.notReconstructible.notCounted).toEqual([
    {
      what: 'actions in conversations created before 2026-03-02T00:00:00Z',
      why: 'Twilio lists conversations by the date they were created, and the audit reads those created in the window: a conversation created earlier is not read, so its messages and joins in the window are neither judged nor counted; rate.bot (per author) counts such actions too, so its refusals here are counted without them.',
      rules: ['rate.bot'],
    },
    { what: 'participants who left without writing', why: expect.stringContaining('leaves nothing the audit reads') },
  ]);
  for (const gap of report.notReconstructible.notCounted) expect(text).toContain(`  Not counted, ${gap.what}: ${gap.why}`);

  const html = renderHtml(report);
  expect(html).toContain('<p id="cost-summary">16 Function executions (the pre-event webhooks, and the onParticipantAdded post-event), 35 Sync requests');
  expect(html).toContain('<tr><th>2026-03-02</th><td class="n">1</td><td class="n">3</td><td class="n">10</td><td class="n">2</td><td class="n">16</td></tr>');
  expect(html).toContain('<tr><th>rate rules</th><td class="n">1</td><td class="n">16</td></tr>');
  expect(html).toContain('<li class="not-counted">Not counted, participants who left without writing: the Participants list holds');
});

it('names no rule among what it cannot count when every rate rule counts per conversation, and counts no rejection flush with the counters off', async () => {
  const env = { RATE_LIMIT_ACTIONS_PER_CONVERSATION: '3/1s', STATUS_COUNTERS: 'off' };
  const auditor = new Auditor(parseSettings(env), env);
  await auditor.add(history());
  const report = auditor.finish({ from: at('00:00:00'), to: at('23:59:59') }, SERVICE);
  expect(report.notReconstructible.notCounted[0]).toEqual({
    what: 'actions in conversations created before 2026-03-02T00:00:00Z',
    why: 'Twilio lists conversations by the date they were created, and the audit reads those created in the window: a conversation created earlier is not read, so its messages and joins in the window are neither judged nor counted.',
  });
  expect(report.rules.map((r) => r.code)).toEqual(['rate.actions-per-conversation']);
  expect(report.cost.syncRequests).toMatchObject({ rejectionCountReads: 0, rejectionCountWrites: 0, rejectionLogWrites: 1 });
});

it('counts the page index of a participant list longer than one page: read by the decisions and post-events that list it, written when a join starts a page', async () => {
  const env = {};
  const participants = Array.from({ length: 102 }, (_, i) => ({ sid: `MB${i}`, identity: `agent-${i}`, attributes: '{}', date_created: at(`10:0${Math.floor(i / 60)}:${String(i % 60).padStart(2, '0')}`) }));
  // A message longer than SMS delivery allows puts its recipients at stake: the webhook lists them.
  const messages = [{ sid: 'IM0', index: 0, author: 'agent-0', participant_sid: 'MB0', date_created: at('10:05:00'), body: 'a'.repeat(1700), attributes: '{}' }];
  const auditor = new Auditor(parseSettings(env), env);
  await auditor.add(savedConversation({ sid: 'CH2', chat_service_sid: SERVICE, date_created: at('10:00:00'), attributes: '{}' }, participants, messages));
  const report = auditor.finish({ from: at('00:00:00'), to: at('23:59:59') }, SERVICE);
  expect(report.rules).toEqual([]);
  expect(report.cost.syncRequests).toMatchObject({
    // The 102nd join's decision (101 listed), the 101st and 102nd joins' post-events, the message's decision.
    participantPageReads: 1 + 2 + 1,
    // The 101st join starts the second page.
    participantPageWrites: 1,
    identityTallyReads: 4 * 102,
    identityTallyWrites: 2 * 102,
    rateReads: 0,
    rateWrites: 0,
  });
});

/**
 * The pre-event function's whole job in process (what the entry point runs): the rejection counts
 * for /status come from the decision itself, so a log line worded differently, or rewritten by
 * whatever reads it, changes no count.
 */
import { answerPreEvent, PRE_EVENT_PATH } from '../../../src/guard/runtime/answer-pre-event';
import { unflushedRejections } from '../../../src/guard/runtime/rejection-counter';
import { totals, type RuleTotal } from '../../../src/guard/stats/counts';
import type { Logger } from '../../../src/guard/log';
import { ACCOUNT_SID, messageAdd, type FormFields } from '../../support/events';
import { AUTH_TOKEN, twilioSignature } from '../../support/twilio-request';

const DOMAIN_NAME = 'guard-1234-dev.twil.io';
// Sync at a port nothing listens on: every flush fails at once and its counts stay in this
// instance's memory, where unflushedRejections() shows all of them, whenever it is read.
const ENV = { ACCOUNT_SID, AUTH_TOKEN, DOMAIN_NAME, TWILIO_API_BASE_URL: 'http://127.0.0.1:9', MAX_CHAT_BODY_BYTES: '10', STATUS_FLUSH_INTERVAL: '1h' };

const signed = (fields: FormFields) => ({ ...fields, request: { headers: { 'x-twilio-signature': twilioSignature(AUTH_TOKEN, `https://${DOMAIN_NAME}${PRE_EVENT_PATH}`, fields) }, cookies: {} } });
const counted = (): RuleTotal[] => totals(unflushedRejections(), Date.now()).lastHour;
const countOf = (rule: string) => counted().find((t) => t.rule === rule) ?? { rule, enforced: 0, shadow: 0 };
const decisionLines = (lines: Record<string, unknown>[]) => lines.filter((line) => 'ms' in line);

describe('rejection counts come from the decision, not from its log line', () => {
  it('a log that renames the decision line\'s fields as it reads them changes no count', async () => {
    const before = countOf('message.body.bytes');
    const lines: Record<string, unknown>[] = [];
    // A log sink that rewrites what it is handed: outcome, rule and mode under other names.
    const renaming: Logger = (line) => {
      const record = line as Record<string, unknown>;
      for (const [from, to] of [['outcome', 'result'], ['rule', 'ruleId'], ['mode', 'guardMode']]) {
        if (from in record) {
          record[to] = record[from];
          delete record[from];
        }
      }
      lines.push(record);
    };
    const answer = await answerPreEvent(ENV, signed(messageAdd({ Body: 'x'.repeat(11) })), renaming);
    expect(answer.status).toBe(403);
    expect(decisionLines(lines)).toEqual([expect.objectContaining({ result: 'reject', ruleId: 'message.body.bytes' })]);
    expect(countOf('message.body.bytes')).toEqual({ ...before, enforced: before.enforced + 1 });
  });

  it('a log line that claims a rejection the decision did not make counts nothing', async () => {
    const before = counted();
    const claiming: Logger = (line) => {
      const record = line as Record<string, unknown>;
      if ('outcome' in record) Object.assign(record, { outcome: 'reject', rule: 'message.body.bytes', mode: 'enforce' });
    };
    const answer = await answerPreEvent(ENV, signed(messageAdd({ Body: 'short' })), claiming);
    expect(answer).toEqual({ status: 200, body: {} });
    expect(counted()).toEqual(before);
  });

  it('counts each kind of answer but 200, and shadow mode apart, with no log at all', async () => {
    const silent: Logger = () => undefined;
    const rules = ['message.body.bytes', 'request.signature', 'request.malformed', 'guard.unavailable'];
    const before = Object.fromEntries(rules.map((rule) => [rule, countOf(rule)]));
    await answerPreEvent(ENV, signed(messageAdd({ Body: 'x'.repeat(11) })), silent);
    await answerPreEvent({ ...ENV, GUARD_MODE: 'shadow' }, signed(messageAdd({ Body: 'x'.repeat(11) })), silent);
    await answerPreEvent(ENV, { ...messageAdd(), request: { headers: {}, cookies: {} } }, silent);
    await answerPreEvent({ ...ENV, FAIL_MODE: 'closed' }, signed(messageAdd({ Media: '{not json' })), silent);
    // Let through under FAIL_MODE=open: not a rejection.
    await answerPreEvent(ENV, signed(messageAdd({ Media: '{not json' })), silent);
    await answerPreEvent({ ...ENV, FAIL_MODE: 'closed', MAX_PARTICIPANTS: 'lots' }, signed(messageAdd()), silent);
    const delta = (rule: string) => {
      const now = countOf(rule);
      return [now.enforced - before[rule]!.enforced, now.shadow - before[rule]!.shadow];
    };
    expect(Object.fromEntries(rules.map((rule) => [rule, delta(rule)]))).toEqual({
      'message.body.bytes': [1, 1],
      'request.signature': [1, 0],
      'request.malformed': [1, 0],
      'guard.unavailable': [1, 0],
    });
  });
});

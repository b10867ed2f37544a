import { decisionRecords, keptRecord } from '../../../src/guard/rejection-log/record';
import type { Violation } from '../../../src/guard/rules/violation';

const note = (code: string, message: string): Violation => ({ code, message, limit: 1, actual: 2 } as Violation);

describe('decisionRecords', () => {
  const message = { EventType: 'onMessageAdd', ConversationSid: 'CH00000000000000000000000000000001', Author: '+15551234567', Body: 'secret body', Attributes: '{"vip":true}', Media: '[{"Sid":"ME1","Url":"https://media.example/1"}]' };

  it('keeps a rejection with its rule, reason, conversation, author and channel, and nothing of the payload', () => {
    const [record] = decisionRecords(message, 'onMessageAdd', { outcome: 'reject', rule: 'message.body.bytes', reason: 'The message body is 11 bytes.', channel: 'sms' });
    expect(record).toEqual({ event: 'onMessageAdd', outcome: 'reject', rule: 'message.body.bytes', reason: 'The message body is 11 bytes.', conversationSid: message.ConversationSid, author: '+15551234567', channel: 'sms' });
    expect(JSON.stringify(record)).not.toMatch(/secret body|vip|media\.example/);
  });

  it('keeps one record per note of an annotated inbound message, none for a plain allow or an ignored event', () => {
    const notes = [note('message.fanout.sms.body-chars', 'too long for SMS'), note('message.media.sms.count', 'too many files')];
    expect(decisionRecords(message, 'onMessageAdd', { outcome: 'allow', inbound: 'annotate', rules: notes.map((n) => n.code) }, notes).map((r) => [r.outcome, r.rule, r.reason])).toEqual([
      ['annotate', 'message.fanout.sms.body-chars', 'too long for SMS'],
      ['annotate', 'message.media.sms.count', 'too many files'],
    ]);
    expect(decisionRecords(message, 'onMessageAdd', { outcome: 'allow', inbound: 'ignore', rules: ['x'] }, [note('x', 'y')])).toEqual([]);
    expect(decisionRecords(message, 'onMessageAdd', { outcome: 'allow' })).toEqual([]);
    expect(decisionRecords(message, 'onMessageAdd', { outcome: 'ignored' })).toEqual([]);
    expect(decisionRecords(message, 'onMessageAdd', { outcome: 'unauthorized' })).toEqual([]);
  });

  it.each([
    ['fail-open', 'guard.unavailable'],
    ['fail-closed', 'guard.unavailable'],
    ['malformed', 'request.malformed'],
  ] as const)('keeps a %s decision under the rule id %s, with the error as its reason', (outcome, rule) => {
    expect(decisionRecords(message, 'onMessageAdd', { outcome, error: 'Sync did not answer' })).toEqual([expect.objectContaining({ outcome, rule, reason: 'Sync did not answer' })]);
  });

  it('names a participant by its Identity or its messaging address', () => {
    const line = { outcome: 'reject' as const, rule: 'participant.count', reason: 'r' };
    expect(decisionRecords({ Identity: 'agent-7' }, 'onParticipantAdd', line)[0]!.author).toBe('agent-7');
    expect(decisionRecords({ 'MessagingBinding.Address': 'whatsapp:+447700900123' }, 'onParticipantAdd', line)[0]!.author).toBe('whatsapp:+447700900123');
  });
});

describe('keptRecord', () => {
  const record = { event: 'onParticipantAdd', outcome: 'reject' as const, rule: 'participant.identity.conversations', reason: 'identity "ann@example.org" is in 1,001 conversations', conversationSid: 'CH1', author: 'ann@example.org', channel: 'web' };

  it('masks the author and the reason under masked, keeps them under full', () => {
    expect(keptRecord(record, 5, 'i1', 'masked')).toEqual({ ...record, at: 5, instance: 'i1', author: 'a•••@example.org', reason: 'identity "a•••@example.org" is in 1,001 conversations' });
    expect(keptRecord(record, 5, 'i1', 'full')).toEqual({ ...record, at: 5, instance: 'i1' });
  });

  it('clips long fields after masking, so a number across the bound is never left half shown', () => {
    // The number straddles the 120-character bound: masked first, it is cut as dots, never as digits.
    const kept = keptRecord({ ...record, author: `${'a '.repeat(56)}+15551234567`, reason: 'x'.repeat(1000) }, 5, 'i1', 'masked');
    expect(kept.author).toBe(`${'a '.repeat(56)}+1•••••…`);
    expect(kept.reason.length).toBe(400);
    expect(kept.reason.endsWith('…')).toBe(true);
    // Unmasked (full), the same bound shows the digits it reaches.
    expect(keptRecord({ ...record, author: `${'a '.repeat(56)}+15551234567` }, 5, 'i1', 'full').author).toBe(`${'a '.repeat(56)}+155512…`);
  });
});

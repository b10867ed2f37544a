/**
 * Rate rules that span conversations are replayed in time order over every conversation: the
 * actions waiting are sorted on disk past a run size, and the report is the one an audit holding
 * them all in memory gives.
 */
import fc from 'fast-check';
import { savedConversation, type SavedConversation } from '../../src/audit/history';
import { Auditor } from '../../src/audit/replay';
import { SortedSpill } from '../../src/audit/spill';
import { parseSettings } from '../../src/guard/config/load';

test('a spill gives back what it took, sorted, whatever the run size, and keeps no file', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer(), { maxLength: 60 }), fc.integer({ min: 1, max: 8 }), (values, runSize) => {
      const spill = new SortedSpill<{ v: number; s: string }>((a, b) => a.v - b.v, runSize);
      for (const v of values) spill.push({ v, s: `é${v}` });
      expect([...spill.drain()]).toEqual([...values].sort((a, b) => a - b).map((v) => ({ v, s: `é${v}` })));
      expect(spill.spilled).toBe(0);
      expect([...spill.drain()]).toEqual([]);
    }),
    { numRuns: 50 },
  );
});

/** Conversations, newest first as Twilio lists them, in which one author writes in bursts that overlap across conversations. */
function history(): SavedConversation[] {
  const at = (s: number) => new Date(Date.parse('2026-03-02T10:00:00Z') + s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return Array.from({ length: 6 }, (_, i) => {
    const sid = `CH${String(i).padStart(32, '0')}`;
    const participants = [{ sid: `MB${String(i).padStart(32, '0')}`, identity: 'bot', attributes: '{}', date_created: at(i * 20) }];
    const messages = Array.from({ length: 5 }, (_, k) => ({ sid: `IM${String(i * 10 + k).padStart(32, '0')}`, index: k, author: 'bot', participant_sid: participants[0]!.sid, date_created: at(i * 20 + 1 + k * 7), body: 'hi', attributes: '{}' }));
    return savedConversation({ sid, chat_service_sid: `IS${'0'.repeat(32)}`, date_created: at(i * 20), attributes: '{}' }, participants, messages);
  }).reverse();
}

test('the rate rules replayed from runs on disk report as replayed in memory', async () => {
  const env = { RATE_LIMITS: 'bot=4/1m per author; all=20/1m per service on message,participant' };
  const reports = [];
  for (const runSize of [1_000, 3, 1]) {
    const auditor = new Auditor(parseSettings(env), env, { runSize });
    for (const c of history()) await auditor.add(c);
    reports.push(auditor.finish({ from: '2026-03-02T00:00:00Z', to: '2026-03-03T00:00:00Z' }, 'default'));
  }
  expect(reports[0]!.rules.map((r) => r.code)).toEqual(expect.arrayContaining(['rate.bot']));
  expect(reports[1]).toEqual(reports[0]);
  expect(reports[2]).toEqual(reports[0]);
});

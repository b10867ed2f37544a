/** The --save file's stand-ins: the same shape as the value, one stand-in per value under one key. */
import { StandIns } from '../../src/audit/history';
import { channelOfAddress } from '../../src/guard/limits/channels';

/** Each character as its class: a digit, a lower or upper ASCII letter, another letter, or itself. */
const classes = (text: string) => [...text].map((c) => (/\d/.test(c) ? '0' : /[a-z]/.test(c) ? 'a' : /[A-Z]/.test(c) ? 'A' : /\p{L}/u.test(c) ? 'L' : c)).join('');

const VALUES = ['whatsapp:+15550100123', 'messenger:1234567890', '+15550100123', '+15550100123,whatsapp:+4479460958', 'Agent.Smith@example.com', 'echo-bot', 'Жанна-𝒳-日本', 'system'];

it('keeps prefixes, lengths (UTF-16 and UTF-8), digits, case and punctuation, and gives one stand-in per value', () => {
  const s = new StandIns(Buffer.alloc(32, 7));
  for (const value of VALUES) {
    const standIn = s.of(value);
    expect(standIn).not.toBe(value);
    expect(s.of(value)).toBe(standIn);
    expect(standIn.length).toBe(value.length);
    expect(Buffer.byteLength(standIn)).toBe(Buffer.byteLength(value));
    expect(classes(standIn)).toBe(classes(value));
    expect(channelOfAddress(standIn)).toBe(channelOfAddress(value));
    expect(s.rawOf(standIn)).toBe(value);
  }
  expect(s.of('whatsapp:+15550100123')).toMatch(/^whatsapp:\+\d{11}$/);
  expect(s.of('+15550100123,whatsapp:+4479460958')).toMatch(/^\+\d{11},whatsapp:\+\d{10}$/);
  expect(s.of('Agent.Smith@example.com')).toMatch(/^[A-Z][a-z]{4}\.[A-Z][a-z]{4}@[a-z]{7}\.[a-z]{3}$/);
  expect(new Set(VALUES.map((v) => s.of(v))).size).toBe(VALUES.length);
  expect(new StandIns(Buffer.alloc(32, 8)).of('+15550100123')).not.toBe(s.of('+15550100123'));
});

it('counts the stand-ins that stand for more than one value met: likely among many short values of one shape', () => {
  const s = new StandIns(Buffer.alloc(32, 7));
  // 26 one-letter values have 26 stand-ins to share: some two (almost surely) draw the same.
  const letters = [...'abcdefghijklmnopqrstuvwxyz'];
  const valuesOf = new Map<string, Set<string>>();
  for (const value of letters) {
    const standIn = s.of(value);
    valuesOf.set(standIn, (valuesOf.get(standIn) ?? new Set()).add(value));
  }
  const sharedBy = [...valuesOf.entries()].filter(([, values]) => values.size > 1);
  expect(sharedBy.length).toBeGreaterThan(0);
  expect(s.shared).toBe(sharedBy.length);
  // A value met again is not another: the count stays.
  for (const value of letters) s.of(value);
  expect(s.shared).toBe(sharedBy.length);
  // The value a shared stand-in is asked about (its identity count) is the last one met.
  const [standIn, values] = sharedBy[0]!;
  expect(values).toContain(s.rawOf(standIn));
  // Long values of one shape almost never meet: 8 digits after the + give 10^8 stand-ins.
  const phones = new StandIns(Buffer.alloc(32, 7));
  for (let i = 0; i < 1000; i += 1) phones.of(`+1555${String(1_000_000 + i).slice(1)}00`);
  expect(phones.shared).toBe(0);
});

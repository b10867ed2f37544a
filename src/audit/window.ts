/**
 * The audit's window from its options (`--since`, or `--from` and `--to`), in UTC whatever the
 * process's TZ: apart from the command so that a test can run it in a process of another zone.
 */
import ms from 'ms';

/** An option of the window that is wrong: the sentence names it. */
export class WindowError extends Error {}

/**
 * A date (the whole UTC day) or a date-time, UTC unless it names its zone. A day the calendar does
 * not have (2026-02-31) is refused rather than rolled over into the next month.
 */
function date(value: string, name: string, end: boolean): number {
  const wrong = () => new WindowError(`--${name} ${value}: expected an ISO 8601 date such as 2026-03-01 or 2026-03-01T12:00:00Z.`);
  const m = /^(\d{4})-(\d{2})-(\d{2})(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(Z|[+-]\d{2}:\d{2})?$/i.exec(value);
  if (!m || (m[4] === undefined && m[5] !== undefined)) throw wrong();
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12) throw wrong();
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCFullYear() !== year || calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) {
    throw new WindowError(`--${name} ${value}: there is no day ${m[3]} in ${year}-${m[2]}.`);
  }
  const time = m[4] ?? `T${end ? '23:59:59' : '00:00:00'}`;
  const at = Date.parse(`${m[1]}-${m[2]}-${m[3]}${time}${m[5] ?? 'Z'}`);
  if (Number.isNaN(at)) throw wrong();
  return at;
}

/** The window of the command line: --from/--to, or --since (7d by default) before now; whatever TZ says. */
export function auditWindow(values: { since?: string; from?: string; to?: string }, now: number): { from: string; to: string } {
  const iso = (t: number) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (values.since !== undefined && (values.from !== undefined || values.to !== undefined)) throw new WindowError('--since and --from/--to both give the window; use one.');
  if (values.from !== undefined || values.to !== undefined) {
    if (values.from === undefined || values.to === undefined) throw new WindowError('--from and --to go together.');
    const from = date(values.from, 'from', false);
    const to = date(values.to, 'to', true);
    if (from > to) throw new WindowError(`--from ${values.from} is after --to ${values.to}.`);
    return { from: iso(from), to: iso(to) };
  }
  const since = values.since ?? '7d';
  const span = /^\d+$/.test(since) ? undefined : (ms(since as ms.StringValue) as number | undefined);
  if (typeof span !== 'number' || !Number.isFinite(span) || span <= 0) throw new WindowError(`--since ${since}: expected a duration such as 7d, 36h or 30d.`);
  return { from: iso(now - span), to: iso(now) };
}

import type { Row } from './simulate-steps';

/** Reasons are cut to this many characters so the table stays readable in a terminal. */
const REASON_WIDTH = 140;

const truncate = (text: string, width: number) => (text.length <= width ? text : `${text.slice(0, width - 1)}…`);

/** The rows as a Markdown table, columns padded so it also reads as plain text. */
export function formatTable(rows: readonly Row[]): string {
  const header = ['step', 'event', 'who / channel', 'what', 'decision', 'rule id', 'reason', 'ms'];
  const cells = rows.map((r) => [r.step, r.event, r.who, r.what, r.decision, r.rule ? `\`${r.rule}\`` : '', truncate(r.reason, REASON_WIDTH).replace(/\|/g, '\\|'), r.ms.toFixed(1)]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const right = header.length - 1; // ms, right-aligned
  const line = (c: readonly string[]) => `| ${c.map((v, i) => (i === right ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === right ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...cells.map(line)].join('\n');
}

/** `25 webhooks: 12 accepted, 13 rejected by 4 rules.` */
export function summarize(rows: readonly Row[]): string {
  let accepted = 0;
  let rejected = 0;
  let other = 0;
  const rules = new Set<string>();
  for (const r of rows) {
    const count = Number(/×(\d+)$/.exec(r.decision)?.[1] ?? 1);
    if (r.decision.startsWith('accepted')) accepted += count;
    else if (r.decision.startsWith('rejected')) rejected += count;
    else other += count;
    if (r.rule) rules.add(r.rule);
  }
  const total = accepted + rejected + other;
  return `${total} webhooks: ${accepted} accepted, ${rejected} rejected by ${rules.size} rules${other ? `, ${other} other answers` : ''}.`;
}

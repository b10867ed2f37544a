import { FUNCTION_EVENTS, type AuditReport, type Example, type Outcome } from './replay';

const number = new Intl.NumberFormat('en-US');
const percent = (part: number, whole: number) => (whole === 0 ? '0%' : `${((100 * part) / whole).toFixed(part * 1000 < whole ? 2 : 1)}%`);

/**
 * Phone numbers and e-mail addresses, masked: all but the last two digits of a number, all but the
 * first character of an address's local part. A phone number is `+` and 8 to 15 digits (spaces,
 * dashes and brackets between them allowed), or a run of 8 to 15 digits alone in a quote or after a
 * channel prefix (`"15550100123"`, `sms:15550100123`); other numbers (`retry in 86399000 ms`,
 * `1,700`, a date such as `2026-01-15`) are left as they are.
 */
export function maskAddresses(text: string): string {
  const digits = (m: string) => m.slice(0, -2).replace(/\d/g, '•') + m.slice(-2);
  return text
    .replace(/([A-Za-z0-9._%+-])([A-Za-z0-9._%+-]*)@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g, (_m, first: string, rest: string, domain: string) => `${first}${'•'.repeat(Math.min(rest.length, 6))}@${domain}`)
    .replace(/(?<![\w+])\+\d(?:[ ()-]{0,2}\d){7,14}(?![\d])/g, digits)
    .replace(/(?<=(?:^|[\s(])(?:[A-Za-z]+:|["']))\d{8,15}(?=["')]|$|[\s.,;])/g, digits);
}

/** The report with every example sentence masked ({@link maskAddresses}). */
export function maskReport(report: AuditReport): AuditReport {
  const mask = (e: Example): Example => ({ ...e, message: maskAddresses(e.message) });
  return { ...report, rules: report.rules.map((r) => ({ ...r, examples: r.examples.map(mask) })) };
}

const BARS = '▁▂▃▄▅▆▇█';

/** One character per value, the highest as a full block; zero as a space-like lowest bar. */
export function sparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values);
  return values.map((v) => (max === 0 || v === 0 ? ' ' : BARS[Math.min(BARS.length - 1, Math.floor(((v - 1) * BARS.length) / max))])).join('');
}

const pad = (text: string, width: number) => text + ' '.repeat(Math.max(0, width - [...text].length));
const padLeft = (text: string, width: number) => ' '.repeat(Math.max(0, width - [...text].length)) + text;

/** The terminal report: the window, one row per rule and outcome, the days as a sparkline, totals, and what history cannot tell. */
export function formatReport(report: AuditReport): string {
  const { totals } = report;
  const lines: string[] = [];
  lines.push(`Conversations audit, ${report.service === 'default' ? 'the default Conversations service' : report.service}, ${report.window.from} to ${report.window.to}`);
  lines.push(`${number.format(totals.conversations)} conversations, ${number.format(totals.participants)} participants, ${number.format(totals.messages)} messages: ${number.format(totals.judged)} actions judged.`);
  const settings = Object.entries(report.settings);
  if (settings.length > 0) lines.push(`Settings changed from default: ${settings.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  lines.push('');
  if (report.rules.length === 0) lines.push('The guard would have rejected or annotated nothing.');
  else {
    const codeWidth = Math.max(4, ...report.rules.map((r) => r.code.length));
    lines.push(`${pad('rule', codeWidth)}  ${pad('would', 8)}  ${padLeft('count', 6)}  ${padLeft('share', 6)}  example`);
    for (const row of report.rules) {
      lines.push(`${pad(row.code, codeWidth)}  ${pad(row.outcome, 8)}  ${padLeft(number.format(row.count), 6)}  ${padLeft(percent(row.count, totals.judged), 6)}  ${row.examples[0]?.message ?? ''}`);
    }
  }
  const sum = (outcome: Outcome) => report.rules.filter((r) => r.outcome === outcome).reduce((s, r) => s + r.count, 0);
  lines.push('');
  lines.push(`Would reject ${number.format(sum('reject'))} (${percent(sum('reject'), totals.judged)}) and annotate ${number.format(sum('annotate'))} (${percent(sum('annotate'), totals.judged)}) of ${number.format(totals.judged)} actions.`);
  const perDay = report.perDay.map((d) => Object.values(d.rules).reduce((s, n) => s + n, 0));
  if (report.perDay.length > 0) {
    const first = report.perDay[0]!.day;
    const last = report.perDay[report.perDay.length - 1]!.day;
    lines.push(`Per day, ${first} to ${last}: |${sparkline(perDay)}| most ${number.format(Math.max(0, ...perDay))} in a day.`);
  }
  lines.push('', ...formatCost(report));
  const gaps = report.notReconstructible;
  lines.push('');
  lines.push('What history cannot tell (counted, not judged, unless said otherwise):');
  lines.push(`  messages of participants who left: ${gaps.messagesFromParticipantsWhoLeft} (${gaps.participantsWhoLeft} participants); messages with no participant (REST API or system): ${gaps.messagesWithoutParticipant}; deleted messages: ${gaps.deletedMessages};`);
  lines.push(`  actions the webhook would have refused as malformed (not judged): ${gaps.malformed};`);
  lines.push(`  chat joins that reached the MAX_CONVERSATIONS_PER_IDENTITY check but could not be judged by it: ${gaps.identityLimitNotChecked}.`);
  for (const gap of gaps.notCounted) lines.push(`  Not counted, ${gap.what}: ${gap.why}`);
  lines.push(`  No trace at all: ${gaps.unknowable.join('; ')}.`);
  return lines.join('\n');
}

/** The cost section: Function executions per event type and per day, then the Sync requests. */
function formatCost(report: AuditReport): string[] {
  const { functionExecutions: executions, syncRequests: sync } = report.cost;
  const total = FUNCTION_EVENTS.reduce((sum, type) => sum + executions[type], 0);
  const widths = FUNCTION_EVENTS.map((type) => type.length);
  const row = (first: string, cells: number[]) => `  ${pad(first, 10)}  ${cells.map((n, i) => padLeft(number.format(n), widths[i] ?? 5)).join('  ')}  ${padLeft(number.format(cells.reduce((s, n) => s + n, 0)), 7)}`;
  return [
    `What it would have cost (an estimate; docs/audit.md, "What it would cost"): ${number.format(total)} Function executions (the pre-event webhooks, and the onParticipantAdded post-event), ${number.format(sync.total)} Sync requests.`,
    `  ${pad('day', 10)}  ${FUNCTION_EVENTS.join('  ')}  ${padLeft('total', 7)}`,
    ...report.perDay.map((d) => row(d.day, FUNCTION_EVENTS.map((type) => d.executions[type]))),
    row('all', FUNCTION_EVENTS.map((type) => executions[type])),
    `  Sync: rate rules reads ${number.format(sync.rateReads)}, writes ${number.format(sync.rateWrites)}; identity tallies reads ${number.format(sync.identityTallyReads)}, writes ${number.format(sync.identityTallyWrites)}; participant page indexes reads ${number.format(sync.participantPageReads)}, writes ${number.format(sync.participantPageWrites)}; rejection counts reads ${number.format(sync.rejectionCountReads)}, writes ${number.format(sync.rejectionCountWrites)}, rejection log writes ${number.format(sync.rejectionLogWrites)} (per instance that rejects).`,
  ];
}

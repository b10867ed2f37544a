import { FUNCTION_EVENTS, type AuditReport } from './replay';

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const number = new Intl.NumberFormat('en-US');
const COLOURS = ['#c0392b', '#2471a3', '#229954', '#d68910', '#7d3c98', '#17a589', '#a04000', '#2e4053', '#b03a2e', '#1f618d', '#7e5109', '#6c3483'];

/**
 * The report as one self-contained page (no script, no request: styles inline, the chart an inline
 * SVG): the rules table, the actions per day stacked by rule, the examples, the cost, what history
 * cannot tell.
 */
export function renderHtml(report: AuditReport): string {
  const { totals } = report;
  const rows = report.rules.map((r, i) => ({ ...r, id: `${r.code} ${r.outcome}`, colour: COLOURS[i % COLOURS.length]! }));
  const share = (n: number) => (totals.judged === 0 ? '0%' : `${((100 * n) / totals.judged).toFixed(2)}%`);

  const dayTotals = report.perDay.map((d) => rows.reduce((s, r) => s + (d.rules[r.id] ?? 0), 0));
  const max = Math.max(1, ...dayTotals);
  const width = 40;
  const height = 160;
  const bars = report.perDay
    .map((d, x) => {
      let y = height;
      const rects = rows
        .filter((r) => (d.rules[r.id] ?? 0) > 0)
        .map((r) => {
          const h = ((d.rules[r.id] ?? 0) / max) * (height - 10);
          y -= h;
          return `<rect data-day="${d.day}" data-rule="${escape(r.id)}" x="${x * width + 6}" y="${y.toFixed(1)}" width="${width - 12}" height="${h.toFixed(1)}" fill="${r.colour}"><title>${escape(`${d.day} ${r.id}: ${d.rules[r.id]}`)}</title></rect>`;
        })
        .join('');
      return `${rects}<text x="${x * width + width / 2}" y="${height + 14}" text-anchor="middle">${d.day.slice(5)}</text>`;
    })
    .join('');
  const chart = `<svg role="img" aria-label="Actions the guard would have rejected or annotated, per day" width="${report.perDay.length * width}" height="${height + 20}" viewBox="0 0 ${report.perDay.length * width} ${height + 20}">${bars}</svg>`;
  const legend = rows.map((r) => `<li><span class="swatch" style="background:${r.colour}"></span>${escape(r.id)}</li>`).join('');

  const table = rows.length
    ? `<table id="rules"><thead><tr><th>rule</th><th>would</th><th>count</th><th>share</th><th>example</th></tr></thead><tbody>${rows
        .map((r) => `<tr><td><code>${escape(r.code)}</code></td><td>${r.outcome}</td><td class="n">${number.format(r.count)}</td><td class="n">${share(r.count)}</td><td>${escape(r.examples[0]?.message ?? '')}</td></tr>`)
        .join('')}</tbody></table>`
    : '<p>The guard would have rejected or annotated nothing.</p>';
  const examples = rows
    .map((r) => `<h3><code>${escape(r.code)}</code> (${r.outcome})</h3><table class="examples"><tbody>${r.examples.map((e) => `<tr><td>${escape(e.date)}</td><td><code>${escape(e.messageSid ?? e.participantSid ?? e.conversationSid)}</code></td><td>${escape(e.message)}</td></tr>`).join('')}</tbody></table>`)
    .join('');
  const gaps = report.notReconstructible;
  const settings = Object.entries(report.settings);
  const { functionExecutions: executions, syncRequests: sync } = report.cost;
  const executionRow = (first: string, cells: number[]) => `<tr><th>${escape(first)}</th>${cells.map((n) => `<td class="n">${number.format(n)}</td>`).join('')}<td class="n">${number.format(cells.reduce((s, n) => s + n, 0))}</td></tr>`;
  const cost = `<p id="cost-summary">${number.format(FUNCTION_EVENTS.reduce((s, type) => s + executions[type], 0))} Function executions (the pre-event webhooks, and the onParticipantAdded post-event), ${number.format(sync.total)} Sync requests: an estimate, worked out as docs/audit.md ("What it would cost") says.</p>
<table id="executions"><thead><tr><th>day</th>${FUNCTION_EVENTS.map((type) => `<th>${type}</th>`).join('')}<th>total</th></tr></thead><tbody>${report.perDay.map((d) => executionRow(d.day, FUNCTION_EVENTS.map((type) => d.executions[type]))).join('')}${executionRow('all', FUNCTION_EVENTS.map((type) => executions[type]))}</tbody></table>
<table id="sync"><thead><tr><th>Sync</th><th>reads</th><th>writes</th></tr></thead><tbody>
<tr><th>rate rules</th><td class="n">${number.format(sync.rateReads)}</td><td class="n">${number.format(sync.rateWrites)}</td></tr>
<tr><th>identity tallies</th><td class="n">${number.format(sync.identityTallyReads)}</td><td class="n">${number.format(sync.identityTallyWrites)}</td></tr>
<tr><th>participant page indexes</th><td class="n">${number.format(sync.participantPageReads)}</td><td class="n">${number.format(sync.participantPageWrites)}</td></tr>
<tr><th>rejection counts (per instance that rejects)</th><td class="n">${number.format(sync.rejectionCountReads)}</td><td class="n">${number.format(sync.rejectionCountWrites)}</td></tr>
<tr><th>rejection log (per instance that rejects or annotates)</th><td class="n">0</td><td class="n">${number.format(sync.rejectionLogWrites)}</td></tr>
</tbody></table>`;

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Conversations audit ${escape(report.window.from)} to ${escape(report.window.to)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0}td,th{border-bottom:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}
.n{text-align:right}svg text{font-size:10px;fill:#555}.swatch{display:inline-block;width:.9em;height:.9em;margin-right:.4em;vertical-align:middle}ul.legend{list-style:none;padding:0;columns:2}
</style></head><body>
<h1>Conversations audit</h1>
<p id="window">${escape(report.service === 'default' ? 'The default Conversations service' : report.service)}, ${escape(report.window.from)} to ${escape(report.window.to)}.</p>
<p id="totals">${number.format(totals.conversations)} conversations, ${number.format(totals.participants)} participants, ${number.format(totals.messages)} messages: ${number.format(totals.judged)} actions judged.</p>
${settings.length ? `<p>Settings changed from default: ${settings.map(([k, v]) => `<code>${escape(k)}=${escape(v)}</code>`).join(', ')}</p>` : ''}
<h2>Per rule</h2>
${table}
<h2>Per day</h2>
${chart}
<ul class="legend">${legend}</ul>
<h2>Examples</h2>
${examples || '<p>None.</p>'}
<h2>What it would have cost</h2>
${cost}
<h2>What history cannot tell</h2>
<ul id="gaps">
<li>Messages of participants who left: ${gaps.messagesFromParticipantsWhoLeft} (${gaps.participantsWhoLeft} participants)</li>
<li>Messages with no participant (REST API or system): ${gaps.messagesWithoutParticipant}</li>
<li>Deleted messages: ${gaps.deletedMessages}</li>
<li>Actions the webhook would have refused as malformed (not judged): ${gaps.malformed}</li>
<li>Chat joins that reached the MAX_CONVERSATIONS_PER_IDENTITY check but could not be judged by it: ${gaps.identityLimitNotChecked}</li>
${gaps.notCounted.map((g) => `<li class="not-counted">Not counted, ${escape(g.what)}: ${escape(g.why)}</li>`).join('\n')}
${gaps.unknowable.map((u) => `<li>No trace: ${escape(u)}</li>`).join('\n')}
</ul>
</body></html>
`;
}

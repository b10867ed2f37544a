// The status page: renders GET /status (signed in with Basic auth: any user name, STATUS_PASSWORD)
// and the message limits of GET /limits (public); searches the rejection log with GET /status?…
// (conversation, identity, rule, outcome, since), and draws rejections per hour as inline SVG.
// Every value goes through textContent or an attribute, never innerHTML; nothing is loaded from elsewhere.
'use strict';

const GROUP_TITLES = {
  guard: 'How the guard runs',
  message: 'Messages',
  participant: 'Participants',
  conversation: 'Conversations',
  attachments: "Attachments by the author's channel",
  'fan-out': 'Delivery to the channels a message reaches',
  rate: 'Rate limits',
  status: 'Rejection counters',
};

function element(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}

function renderBars(table, totals) {
  const body = table.tBodies[0];
  body.replaceChildren();
  if (totals.length === 0) {
    body.append(element('tr', {}, element('td', { colspan: '3', class: 'note' }, 'No rejections.')));
    return;
  }
  const largest = Math.max(...totals.map((t) => Math.max(t.enforced, t.shadow)), 1);
  for (const { rule, enforced, shadow } of totals) {
    const bars = element('td', {}, element('code', {}, rule));
    if (enforced > 0) bars.append(element('span', { class: 'bar', style: `width: ${(100 * enforced) / largest}%`, 'data-count': String(enforced) }));
    if (shadow > 0) bars.append(element('span', { class: 'bar shadow', style: `width: ${(100 * shadow) / largest}%`, 'data-count': String(shadow) }));
    body.append(element('tr', { 'data-rule': rule }, bars, element('td', { class: 'count enforced' }, String(enforced)), element('td', { class: 'count shadow' }, String(shadow))));
  }
}

function renderLimits(table, rows) {
  const body = table.tBodies[0];
  body.replaceChildren();
  let group;
  for (const row of rows) {
    if (row.group !== group) {
      group = row.group;
      body.append(element('tr', { class: 'group' }, element('th', { colspan: '4', scope: 'colgroup' }, GROUP_TITLES[group] || group)));
    }
    const what = element('td', {}, row.description);
    if (row.source) {
      const source = /^https:\/\//.test(row.source) ? element('a', { href: row.source, rel: 'noreferrer' }, 'source') : element('span', { class: 'note' }, row.source);
      what.append(' ', source);
    }
    body.append(
      element('tr', { 'data-variable': row.variable, class: row.changed ? 'changed' : '' },
        element('td', {}, element('code', {}, row.variable)),
        settingCell('value', row.variable, row.value),
        settingCell('default', row.variable, row.default),
        what),
    );
  }
}

const BYTE_UNITS = [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]];

/** A number of bytes as a person reads it: "16 MiB (16,777,216 bytes)", "1.5 KiB (1,536 bytes)", "10 bytes". */
function formatBytes(bytes) {
  const exact = `${bytes.toLocaleString('en-US')} ${bytes === 1 ? 'byte' : 'bytes'}`;
  const unit = BYTE_UNITS.find(([, size]) => bytes >= size);
  if (!unit) return exact;
  const [name, size] = unit;
  const scaled = Number((bytes / size).toFixed(2));
  return `${scaled.toLocaleString('en-US', { maximumFractionDigits: 2 })} ${name} (${exact})`;
}

/** A value or default of the limits table: sizes (variables ending in _BYTES) made readable, the raw value kept in data-raw. */
function settingCell(kind, variable, raw) {
  if (raw === '') return element('td', { class: kind }, '(unset)');
  if (variable.endsWith('_BYTES') && /^\d+$/.test(raw) && Number.isSafeInteger(Number(raw))) {
    return element('td', { class: kind, 'data-raw': raw, title: raw }, formatBytes(Number(raw)));
  }
  return element('td', { class: kind }, raw);
}

const CHANNEL_NAMES = { web: 'chat (SDK)', sms: 'SMS', whatsapp: 'WhatsApp', email: 'email', messenger: 'Messenger', gbm: 'Google Business Messages' };
const LIMIT_NAMES = {
  bodyBytes: 'Message body',
  attributesBytes: 'Message Attributes',
  chatFileBytes: 'Any one file from a chat author',
  emailBytes: 'Email: body and attachments',
  oneAttachmentPerMessage: 'One file per message',
  noTextWithImage: 'No text together with an image',
  files: 'Files per message',
  fileBytes: 'Bytes per file',
  totalBytes: 'Bytes of all files',
  types: 'File types',
  bodyChars: 'Body length',
  segments: 'SMS segments',
};

function limitValue(limit) {
  const { value, unit } = limit;
  if (value === null) return 'off';
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (value === '*') return 'any';
  if (Array.isArray(value)) return value.join(', ');
  return `${value.toLocaleString('en-US')} ${value === 1 && unit === 'files' ? 'file' : unit}`;
}

/** The published limits as table sections: every message, the Flex switches, each author channel's row, each delivery channel. */
function limitSections(limits) {
  const channel = (name) => CHANNEL_NAMES[name] || name;
  return [
    ['Every message', limits.message],
    ['Flex switches', limits.flex],
    ...Object.entries(limits.attachments).map(([name, row]) => [`From ${channel(name)} authors (attachment table)`, row]),
    ...Object.entries(limits.delivery).map(([name, row]) => [`Delivered to ${channel(name)} participants`, row]),
  ];
}

function renderMessageLimits(limits) {
  const table = document.getElementById('message-limits');
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const [title, entries] of limitSections(limits)) {
    body.append(element('tr', { class: 'group' }, element('th', { colspan: '4', scope: 'colgroup' }, title)));
    for (const [key, limit] of Object.entries(entries)) {
      body.append(
        element('tr', { 'data-rule': limit.rule, 'data-variable': limit.variable },
          element('td', {}, LIMIT_NAMES[key] || key),
          element('td', { class: 'value' }, limitValue(limit)),
          element('td', {}, element('code', {}, limit.variable)),
          element('td', {}, element('code', {}, limit.rule))),
      );
    }
  }
  const inbound = { annotate: 'let through, with the violations in their Attributes', reject: 'rejected', ignore: 'let through untouched' }[limits.inboundPolicy.value];
  document.getElementById('message-limits-summary').textContent =
    `Version ${limits.version}. Inbound messages (SMS, WhatsApp, email, …) over a limit: ${inbound || limits.inboundPolicy.value} (INBOUND_POLICY=${limits.inboundPolicy.value}).` +
    (limits.mode === 'shadow' ? ' Shadow mode: nothing is rejected.' : '') + ` Not checked before sending: ${limits.notChecked.join('; ')}.`;
}

async function loadLimits() {
  const summary = document.getElementById('message-limits-summary');
  try {
    const response = await fetch('limits', { headers: { Accept: 'application/json' } });
    if (!response.ok) throw new Error(await problemOf(response));
    renderMessageLimits(await response.json());
  } catch (error) {
    document.getElementById('message-limits').tBodies[0].replaceChildren();
    summary.textContent = `The limits could not be read: ${error.message}`;
  }
}

const SVG = 'http://www.w3.org/2000/svg';

function svgElement(tag, attributes, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, String(value));
  for (const child of children) node.append(child);
  return node;
}

/** Colours of the rules in the chart, in the order of their rejections (most first), told apart by contrast as well as hue. */
const RULE_COLOURS = ['#006dfa', '#e66c00', '#14b053', '#cc2e6b', '#8c5bd8', '#00a3a3', '#b38600', '#606b85', '#8b1a12', '#5a9bff', '#f2a65a', '#1a5c33'];

const hourLabel = (hour) => new Date(hour).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
const hourRange = (hour) => `${hourLabel(hour)}–${hourLabel(hour + 3600000)}`;
const plural = (n, one, many) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** The smallest of 1, 2, 5 × 10^k at or above `n`: the top of the chart's scale. */
function niceCeiling(n) {
  if (n <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(n));
  return [1, 2, 5, 10].map((f) => f * power).find((top) => top >= n);
}

/**
 * Rejections per hour over the last day (rejections.perHour: 24 hours, oldest first), as an inline
 * SVG of stacked bars, one colour per rule, with a legend. Every segment carries its rule and count
 * (data-rule, data-count) and a title; the SVG's title and description say the same in words.
 */
function renderChart(perHour, { shadowToo, incomplete }) {
  const chart = document.getElementById('per-hour-chart');
  const legend = document.getElementById('per-hour-legend');
  const caption = document.getElementById('per-hour-caption');
  chart.replaceChildren();
  legend.replaceChildren();
  if (!Array.isArray(perHour) || perHour.length === 0) {
    caption.textContent = 'Rejections per hour are not available: the counters could not be read.';
    return;
  }
  const byRule = new Map();
  for (const { rules } of perHour) for (const [rule, n] of Object.entries(rules)) byRule.set(rule, (byRule.get(rule) || 0) + n);
  const rules = [...byRule.keys()].sort((a, b) => byRule.get(b) - byRule.get(a) || (a < b ? -1 : 1));
  const colour = new Map(rules.map((rule, i) => [rule, RULE_COLOURS[i % RULE_COLOURS.length]]));
  const hourTotals = perHour.map(({ rules: counts }) => Object.values(counts).reduce((n, c) => n + c, 0));
  const total = hourTotals.reduce((n, c) => n + c, 0);
  const top = niceCeiling(Math.max(...hourTotals, 1));

  const width = 960;
  const height = 240;
  const left = 44;
  const right = 8;
  const upper = 10;
  const lower = 28;
  const plotWidth = width - left - right;
  const plotHeight = height - upper - lower;
  const slot = plotWidth / perHour.length;
  const y = (n) => upper + plotHeight - (plotHeight * n) / top;

  const first = perHour[0].hour;
  const last = perHour[perHour.length - 1].hour;
  const busiest = hourTotals.indexOf(Math.max(...hourTotals));
  const description =
    total === 0
      ? `No rejections from ${hourLabel(first)} to ${hourLabel(last + 3600000)}.`
      : `${plural(total, 'rejection', 'rejections')} from ${hourLabel(first)} to ${hourLabel(last + 3600000)}; the most in one hour, ${plural(hourTotals[busiest], 'rejection', 'rejections')}, from ${hourRange(perHour[busiest].hour)}. By rule: ${rules.map((rule) => `${rule} ${byRule.get(rule).toLocaleString('en-US')}`).join(', ')}.`;
  const svg = svgElement('svg', { id: 'per-hour-svg', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': 'per-hour-svg-title per-hour-svg-desc', 'data-total': total, preserveAspectRatio: 'xMidYMid meet' },
    svgElement('title', { id: 'per-hour-svg-title' }, 'Rejections per hour over the last 24 hours, stacked by rule'),
    svgElement('desc', { id: 'per-hour-svg-desc' }, description));

  // The scale: 0, half and the top, as lines across the plot.
  for (const n of [0, top / 2, top]) {
    if (n !== Math.round(n)) continue;
    svg.append(
      svgElement('line', { class: n === 0 ? 'axis' : 'grid', x1: left, x2: width - right, y1: y(n), y2: y(n) }),
      svgElement('text', { class: 'tick', x: left - 6, y: y(n) + 4, 'text-anchor': 'end' }, n.toLocaleString('en-US')),
    );
  }
  perHour.forEach(({ hour, rules: counts }, i) => {
    const x = left + i * slot;
    const bar = svgElement('g', { class: 'hour', 'data-hour': new Date(hour).toISOString(), 'data-total': hourTotals[i] },
      svgElement('title', {}, `${hourRange(hour)}: ${plural(hourTotals[i], 'rejection', 'rejections')}`));
    let below = 0;
    for (const rule of rules) {
      const n = counts[rule] || 0;
      if (n === 0) continue;
      bar.append(svgElement('rect', { class: 'segment', x: x + slot * 0.12, width: slot * 0.76, y: y(below + n), height: y(below) - y(below + n), fill: colour.get(rule), 'data-rule': rule, 'data-count': n },
        svgElement('title', {}, `${hourRange(hour)}, ${rule}: ${plural(n, 'rejection', 'rejections')}`)));
      below += n;
    }
    svg.append(bar);
    // A label every third hour, and under the current one.
    if (i % 3 === 0 || i === perHour.length - 1) {
      svg.append(svgElement('text', { class: 'tick', x: x + slot / 2, y: height - lower + 16, 'text-anchor': 'middle' }, hourLabel(hour)));
    }
  });
  chart.append(svg);

  const when = `The last 24 hours${incomplete ? ' (incomplete)' : ''}`;
  caption.textContent = total === 0
    ? `${when}: no rejections.`
    : `${when}, stacked by rule: ${plural(total, 'rejection', 'rejections')}${shadowToo ? ', shadow-mode would-be rejections included' : ''}. Each bar is one hour, the rightmost the current one.`;
  for (const rule of rules) {
    legend.append(element('li', { 'data-rule': rule, 'data-count': String(byRule.get(rule)) },
      element('span', { class: 'swatch', style: `background: ${colour.get(rule)}`, 'aria-hidden': 'true' }),
      element('code', {}, rule), ` ${byRule.get(rule).toLocaleString('en-US')}`));
  }
}

/** The filter fields /status takes, as the form names them. */
const LOG_FIELDS = ['conversation', 'identity', 'rule', 'outcome', 'since'];
const LOG_FIELD_NAMES = { conversation: 'conversation', identity: 'identity or address', rule: 'rule', outcome: 'outcome', since: 'since' };
const LOG_CHANNEL_NAMES = { web: 'chat', sms: 'SMS', whatsapp: 'WhatsApp', email: 'email', messenger: 'Messenger', gbm: 'GBM' };
/** What /status answered last, for the log section shown when no search is active. */
let latestLog;
/** The search shown, as URLSearchParams, or undefined for the latest records. */
let activeSearch;
/** Each rendering of the log takes a number: an answer arriving after a later request was made is not shown. */
let logRequests = 0;

function searchOf(params) {
  const search = new URLSearchParams();
  for (const name of LOG_FIELDS) {
    const value = (params.get(name) || '').trim();
    if (value) search.set(name, value);
  }
  return [...search.keys()].length > 0 ? search : undefined;
}

const describeSearch = (search) => [...search.entries()].map(([name, value]) => `${LOG_FIELD_NAMES[name] || name} ${value}`).join(', ');

function logRows(records) {
  const body = document.getElementById('recent').tBodies[0];
  body.replaceChildren();
  if (records.length === 0) {
    body.append(element('tr', {}, element('td', { colspan: '8', class: 'note' }, 'No records.')));
    return;
  }
  for (const record of records) {
    const conversation = element('td', { class: 'sid' });
    if (record.conversationSid) {
      const link = element('a', { href: `?conversation=${encodeURIComponent(record.conversationSid)}`, class: 'conversation', title: 'Only this conversation' }, element('code', {}, record.conversationSid));
      link.addEventListener('click', (event) => {
        event.preventDefault();
        showSearch(new URLSearchParams({ conversation: record.conversationSid }), true);
      });
      conversation.append(link);
    }
    const at = new Date(record.at);
    body.append(
      element('tr', { 'data-conversation': record.conversationSid || '', 'data-rule': record.rule, 'data-outcome': record.outcome, 'data-instance': record.instance || '' },
        element('td', { class: 'time' }, element('time', { datetime: record.at, title: record.at }, Number.isNaN(at.getTime()) ? record.at : at.toLocaleDateString()), element('time', { datetime: record.at }, Number.isNaN(at.getTime()) ? '' : at.toLocaleTimeString())),
        element('td', { class: 'event' }, record.event),
        element('td', { class: 'outcome' }, element('span', { class: `pill ${record.outcome}` }, record.outcome)),
        element('td', { class: 'rule' }, element('code', {}, record.rule)),
        element('td', { class: 'reason' }, record.reason || ''),
        conversation,
        element('td', { class: 'author' }, record.author || ''),
        element('td', { class: 'channel', 'data-channel': record.channel || '' }, LOG_CHANNEL_NAMES[record.channel] || record.channel || '')),
    );
  }
}

/** The log section: the latest records (search undefined) or a search's; `answer` as /status gives it, or an error sentence. */
function renderLog(answer, search) {
  const summary = document.getElementById('log-summary');
  const incomplete = document.getElementById('log-incomplete');
  document.getElementById('log-all').hidden = !search;
  summary.classList.remove('problem');
  incomplete.hidden = true;
  incomplete.textContent = '';
  if (typeof answer === 'string' || !answer || answer.error) {
    logRows([]);
    summary.classList.add('problem');
    // /status says why in a clause ("the configuration is invalid, so the rejection log cannot be read").
    const why = answer && typeof answer.error === 'string' ? `${answer.error.charAt(0).toUpperCase()}${answer.error.slice(1)}.` : 'The rejection log could not be read.';
    summary.textContent = typeof answer === 'string' ? answer : why;
    return;
  }
  if (answer.off) {
    logRows([]);
    summary.textContent = 'The rejection log is off (REJECTION_LOG=off): no decision is kept.';
    return;
  }
  const records = Array.isArray(answer.records) ? answer.records : [];
  logRows(records);
  const what = search
    ? `${plural(records.length, 'record', 'records')} matching ${describeSearch(search)}, newest first${records.length >= 100 ? ' (the newest 100)' : ''}.`
    : records.length === 0
      ? 'No records kept.'
      : `The latest ${plural(records.length, 'record', 'records')} of every instance (rejected, annotated or undecided), newest first${records.length >= 100 ? ' (at most 100: search to find older ones)' : ''}.`;
  // Drops are counted per batch, not per conversation or rule: a search can only say how many the batches it read had.
  const dropped = answer.dropped > 0
    ? ` The batches read had ${plural(answer.dropped, 'record', 'records')} more, dropped (more than an instance keeps per flush): ${answer.dropped === 1 ? 'it is' : 'they are'} counted, not listed.`
    : '';
  summary.textContent = what + dropped;
  incomplete.hidden = answer.complete !== false;
  incomplete.textContent = answer.incomplete || (answer.complete === false ? 'The search is incomplete.' : '');
}

/** The note above the form: how long records are kept and what is masked. */
function renderLogNote(log) {
  const note = document.getElementById('log-note');
  if (!log || log.error) return void (note.textContent = '');
  if (log.off) return void (note.textContent = 'Every decision that is not a plain allow is kept here when REJECTION_LOG is masked (the default) or full.');
  const privacy = log.privacy === 'full'
    ? 'Phone numbers and e-mail addresses are kept as they were sent (REJECTION_LOG=full).'
    : 'Phone numbers keep their country code and last 4 digits, e-mail addresses their first character and domain (REJECTION_LOG=masked); chat identities are kept.';
  note.textContent = `Every decision that is not a plain allow (rejected, annotated, shadow, or undecided), from every instance, kept for ${log.keptFor}. ${privacy} The search asks /status, so it finds older records too.`;
}

/** Rule ids the form suggests: those counted in the last day and those in the records shown. */
function suggestRules(status) {
  const rules = new Set([...(status.rejections.lastDay || []).map((t) => t.rule), ...((status.log && status.log.records) || []).map((r) => r.rule)]);
  document.getElementById('rule-ids').replaceChildren(...[...rules].sort().map((rule) => element('option', { value: rule })));
}

function fillForm(search) {
  const form = document.getElementById('log-filter');
  for (const name of LOG_FIELDS) form.elements[name].value = (search && search.get(name)) || '';
}

/**
 * Shows `search`'s records (asking /status?…, so older records are found too) or, undefined, the
 * latest ones; `remember` puts it in the address bar, so a search can be bookmarked and Back returns.
 */
async function showSearch(search, remember) {
  activeSearch = search;
  fillForm(search);
  if (remember) history.pushState(null, '', search ? `?${search}` : location.pathname);
  const request = ++logRequests;
  if (!search) {
    // Before the status has arrived, its answer will show the latest records.
    if (latestLog) renderLog(latestLog, undefined);
    else document.getElementById('log-all').hidden = true;
    return;
  }
  const summary = document.getElementById('log-summary');
  summary.classList.remove('problem');
  summary.textContent = `Searching for ${describeSearch(search)}…`;
  let answer;
  try {
    const response = await fetch(`status?${search}`, { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' });
    if (response.status === 401) throw new Error('Not signed in: reload the page and sign in with any user name and the STATUS_PASSWORD.');
    if (!response.ok) throw new Error(await problemOf(response));
    answer = await response.json();
  } catch (error) {
    answer = `The search could not be made: ${error.message}`;
  }
  if (request === logRequests) renderLog(answer, search);
}

function sum(totals, key) {
  return totals.reduce((n, t) => n + t[key], 0);
}

function render(status) {
  const summary = document.getElementById('summary');
  summary.replaceChildren(
    'Mode ', element('span', { class: `badge ${status.mode}`, id: 'mode' }, status.mode),
    `, fail mode ${status.failMode}; as of ${new Date(status.generatedAt).toLocaleString()}.`,
  );
  const problem = document.getElementById('problem');
  const problems = [status.configurationError, status.rejections.error].filter(Boolean);
  problem.hidden = problems.length === 0;
  problem.textContent = problems.join(' ');

  const hour = status.rejections.lastHour || [];
  const day = status.rejections.lastDay || [];
  renderBars(document.getElementById('last-hour'), hour);
  renderBars(document.getElementById('last-day'), day);
  // Counts missing a Sync document that did not answer in time: said above the bars, and in their captions.
  const incomplete = document.getElementById('counts-incomplete');
  incomplete.hidden = status.rejections.complete !== false;
  incomplete.textContent = status.rejections.incomplete || '';
  for (const id of ['last-hour', 'last-day']) {
    const caption = document.getElementById(id).closest('figure').querySelector('figcaption');
    caption.textContent = `${id === 'last-hour' ? 'Last hour' : 'Last day'}${status.rejections.complete === false ? ' (incomplete)' : ''}`;
  }
  const shadowSummary = document.getElementById('shadow-summary');
  const wouldReject = sum(hour, 'shadow');
  shadowSummary.hidden = status.mode !== 'shadow' && wouldReject === 0;
  shadowSummary.textContent = `Shadow mode: ${wouldReject} action(s) in the last hour and ${sum(day, 'shadow')} in the last day would have been rejected; they were allowed.`;
  document.getElementById('counters-note').textContent = status.counters.enabled
    ? `${status.counters.note} Flush interval ${status.counters.flushInterval}, ${status.counters.shards} Sync document(s); ${status.counters.unflushedHere || 0} of the last day's counted by this instance and not flushed yet.`
    : 'Rejection counters are off (STATUS_COUNTERS=off).';
  renderChart(status.rejections.perHour, { shadowToo: sum(day, 'shadow') > 0, incomplete: status.rejections.complete === false });
  renderLogNote(status.log);
  suggestRules(status);
  latestLog = status.log;
  // A search shown stays; otherwise the latest records are those of this answer.
  if (!activeSearch) {
    logRequests += 1;
    renderLog(status.log, undefined);
  }
  renderLimits(document.getElementById('limits'), status.configuration);
}

/** The sentence the guard answered with (for instance how to turn the page on), or the HTTP status. */
async function problemOf(response) {
  try {
    const body = await response.json();
    if (body && typeof body.message === 'string') return body.message;
  } catch {
    // Not JSON: fall through to the status code.
  }
  return `The status could not be read (HTTP ${response.status}).`;
}

async function load() {
  const summary = document.getElementById('summary');
  try {
    const response = await fetch('status', { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' });
    if (response.status === 401) throw new Error('Not signed in: reload the page and sign in with any user name and the STATUS_PASSWORD.');
    if (!response.ok) throw new Error(await problemOf(response));
    render(await response.json());
  } catch (error) {
    summary.textContent = error.message;
    if (!activeSearch) document.getElementById('log-summary').textContent = '';
  }
}

document.getElementById('refresh').addEventListener('click', () => {
  load();
  loadLimits();
  if (activeSearch) showSearch(activeSearch, false);
});
document.getElementById('log-filter').addEventListener('submit', (event) => {
  event.preventDefault();
  showSearch(searchOf(new FormData(event.target)), true);
});
document.getElementById('log-all').addEventListener('click', () => showSearch(undefined, true));
window.addEventListener('popstate', () => showSearch(searchOf(new URLSearchParams(location.search)), false));
activeSearch = searchOf(new URLSearchParams(location.search));
fillForm(activeSearch);
load();
loadLimits();
if (activeSearch) showSearch(activeSearch, false);

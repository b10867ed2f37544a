// The status page: renders GET /status (signed in with Basic auth: any user name, STATUS_PASSWORD)
// and the message limits of GET /limits (public).
// Every value goes through textContent, never innerHTML.
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
        element('td', { class: 'value' }, row.value === '' ? '(unset)' : row.value),
        element('td', { class: 'default' }, row.default === '' ? '(unset)' : row.default),
        what),
    );
  }
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
  }
}

document.getElementById('refresh').addEventListener('click', () => {
  load();
  loadLimits();
});
load();
loadLimits();

/**
 * The table of limits (docs/limits.md) stays true to the code: its variables exist, no limit is left out,
 * every rule id it names is one the code produces, and every rule id the code produces is named.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSettings } from '../../src/guard/config/load';
import { extensionList, optionalCap } from '../../src/guard/config/parsers';
import { VARIABLES, type Settings, type VariableName } from '../../src/guard/config/variables';
import type { ConversationAdd, MediaItem, MessageAdd, ParticipantAdd } from '../../src/guard/event/types';
import { malformed, unauthorized, unavailable } from '../../src/guard/http/answer';
import { CHANNELS, isNonChat, type Channel } from '../../src/guard/limits/channels';
import { CONTENDED } from '../../src/guard/rate/gate';
import { rateRulesOf } from '../../src/guard/rate/rules';
import { checkConversationFields } from '../../src/guard/rules/conversation';
import { checkFanout } from '../../src/guard/rules/fanout';
import { checkMembership } from '../../src/guard/rules/membership';
import { checkMessagePayload } from '../../src/guard/rules/message';
import { checkParticipantAdd } from '../../src/guard/rules/participant';
import type { Violation } from '../../src/guard/rules/violation';
import { filesUnder, ROOT } from '../support/build';

const readme = readFileSync(join(ROOT, 'docs', 'limits.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Limits the guard knows'), readme.indexOf('## What it answers'));
const rows = section.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| limit') && !line.startsWith('|---'));
const prose = section.split('\n').filter((line) => !line.startsWith('|')).join('\n');
const cell = (row: string, index: number) => row.split(' | ')[index] ?? '';
const ticked = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
const source = filesUnder(join(ROOT, 'src', 'guard')).map((file) => readFileSync(file, 'utf8')).join('\n');

/** `ATTACHMENTS_<CHANNEL>_MAX_FILES` stands for one variable per channel; `_*` for all of a channel's. */
function expand(name: string): string[] {
  const perChannel = name.includes('<CHANNEL>') ? CHANNELS.map((c) => name.replace('<CHANNEL>', c.toUpperCase())) : [name];
  return perChannel.flatMap((n) => (n.endsWith('_*') ? Object.keys(VARIABLES).filter((v) => v.startsWith(n.slice(0, -1))) : [n]));
}

const tableVariables = rows.flatMap((row) => ticked(cell(row, 2))).flatMap(expand);

/** Something written as a rule id: lower-case dotted parts, where `<channel>`, `<name>` and `*` stand for one part. */
const RULE_ID = /^[a-z][a-z-]*(\.([a-z0-9][a-z0-9-]*|<channel>|<name>|\*))+$/;

/**
 * The rule ids the README names: the rule id column of the table, and the guard's own ids the text
 * below it names (`request.signature`, …). A wildcard in the text (`message.fanout.*`) only sums
 * up the table and documents nothing by itself.
 */
const documentedIds = [...rows.flatMap((row) => ticked(cell(row, 3))), ...ticked(prose).filter((id) => !id.includes('*'))].filter((id) => RULE_ID.test(id));

/**
 * Every rule id the code produces, found by running the rules: each variable in turn is set so
 * tight that anything breaks it (0, no extension, the Flex switches on) while every other one lets
 * everything through, and the messages, participants and conversations below are judged on every
 * channel. Rate ids come from the rules in force with every named rule on and one rule of one's own
 * (a rate rule's code is `rate.<name>`, see RateRule.name); the guard's own from its answers.
 */
function producedRuleIds(): Set<string> {
  const base = parseSettings({ RATE_LIMIT_ACTIONS_PER_CONVERSATION: '1/1s', RATE_LIMIT_CONVERSATIONS_PER_SERVICE: '1/1s', RATE_LIMIT_MESSAGES_PER_AUTHOR: '1/1s', RATE_LIMITS: 'your-rule=1/1s per author' });
  const names = Object.keys(VARIABLES) as VariableName[];
  const loosen = (name: VariableName, value: unknown): unknown => {
    const { parser } = VARIABLES[name];
    if (parser === extensionList) return '*';
    if (parser === optionalCap) return undefined;
    if (typeof value === 'number') return Number.MAX_SAFE_INTEGER;
    if (typeof value === 'boolean') return false;
    return value;
  };
  const tighten = (name: VariableName, value: unknown): unknown => {
    const { parser } = VARIABLES[name];
    if (parser === extensionList) return [];
    if (parser === optionalCap || typeof value === 'number') return 0;
    if (typeof value === 'boolean') return true;
    return value;
  };
  const loose = Object.fromEntries(names.map((name) => [name, loosen(name, base[name])])) as Record<string, unknown>;
  const settingsTight = (tight: VariableName | undefined) => ({ ...loose, ...(tight && { [tight]: tighten(tight, base[tight]) }) }) as unknown as Settings;

  const media: MediaItem[] = [
    { sid: 'ME1', filename: 'a.png', contentType: 'image/png', size: 10 },
    { sid: 'ME2', filename: 'b.png', contentType: 'image/png', size: 10 },
  ];
  const message = (channel: Channel): MessageAdd => ({ type: 'onMessageAdd', conversationSid: 'CH1', author: 'author', authorChannel: channel, authorEvidence: 'identity', inbound: false, body: 'text', attributes: '{"a":1}', media });
  const participant = (fields: Partial<ParticipantAdd> & { channel: Channel }): ParticipantAdd => ({ type: 'onParticipantAdd', conversationSid: 'CH1', attributes: '{"a":1}', ...fields });
  const participants = [
    participant({ identity: 'alice', channel: 'web' }),
    participant({ address: '+15550000001', proxyAddress: '+15550000002', channel: 'sms' }),
    participant({ proxyAddress: '+15550000002', channel: 'sms' }),
    participant({ address: '+15550000001', channel: 'sms' }), // a Group MMS member: no proxy address
    participant({ address: 'whatsapp:+15550000001', proxyAddress: 'whatsapp:+15550000002', channel: 'whatsapp' }),
  ];
  const conversation: ConversationAdd = { type: 'onConversationAdd', friendlyName: 'name', uniqueName: 'unique', attributes: '{"a":1}' };

  const ids = new Set<string>();
  const note = (violation: Violation | undefined) => violation && ids.add(violation.code);
  for (const tight of [undefined, ...names]) {
    const settings = settingsTight(tight);
    for (const channel of CHANNELS) {
      note(checkMessagePayload(message(channel), settings));
      // One recipient channel at a time: a message reaching several is judged for the first it breaks.
      for (const to of CHANNELS) note(checkFanout(message(channel), [{ channel: to, address: `${to}-recipient` }], settings));
    }
    for (const joining of participants) {
      note(checkParticipantAdd(joining, settings));
      note(checkMembership(joining, [], settings, joining.identity ? { count: 1, includes: false } : undefined));
    }
    note(checkConversationFields(conversation, settings));
  }
  for (const rule of rateRulesOf(base)) ids.add(`rate.${rule.name}`);
  for (const answer of [malformed('Body', 'not JSON'), unauthorized('no signature'), unavailable('Sync is late')]) ids.add(String(answer.body.code));
  // A rate rule's refusal for contention (see RateGate).
  ids.add(CONTENDED);
  return ids;
}

const PRODUCED = producedRuleIds();

/** A documented id as a pattern: `<channel>` is one of the channels, `<name>` and `*` any one part. */
function pattern(id: string): RegExp {
  const parts = id.split('.').map((part) => (part === '<channel>' ? `(${CHANNELS.join('|')})` : part === '<name>' || part === '*' ? '[a-z0-9][a-z0-9-]*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${parts.join('\\.')}$`);
}

/**
 * Compares the rule ids a document names with those the code produces: `invented` are named but
 * match nothing the code produces; `undocumented` are produced but match nothing named.
 */
function compareRuleIds(documented: readonly string[], produced: ReadonlySet<string>): { invented: string[]; undocumented: string[] } {
  const patterns = documented.map((id) => ({ id, re: pattern(id) }));
  return {
    invented: patterns.filter(({ re }) => ![...produced].some((p) => re.test(p))).map(({ id }) => id),
    undocumented: [...produced].filter((p) => !patterns.some(({ re }) => re.test(p))).sort(),
  };
}

it('has a row for every limit of the README', () => {
  expect(rows.length).toBeGreaterThan(30);
});

it('names only variables the guard reads', () => {
  expect(tableVariables.filter((name) => !(name in VARIABLES))).toEqual([]);
});

it('leaves out no limit the guard enforces', () => {
  const limits = (Object.keys(VARIABLES) as VariableName[]).filter((name) => !['guard', 'status'].includes(VARIABLES[name].group) && !name.startsWith('IDENTITY_TALLY_'));
  expect(limits.filter((name) => !tableVariables.includes(name))).toEqual([]);
});

describe('rule ids', () => {
  it('the README names exactly the rule ids the code produces', () => {
    expect(compareRuleIds(documentedIds, PRODUCED)).toEqual({ invented: [], undocumented: [] });
  });

  it('reports an invented rule id', () => {
    expect(compareRuleIds([...documentedIds, 'message.body.invented'], PRODUCED).invented).toEqual(['message.body.invented']);
    // Sharing its last part with real ids (message.media.count) does not make an id real.
    expect(compareRuleIds([...documentedIds, 'message.body.count'], PRODUCED).invented).toEqual(['message.body.count']);
    expect(compareRuleIds([...documentedIds, 'message.fanout.<channel>.invented'], PRODUCED).invented).toEqual(['message.fanout.<channel>.invented']);
  });

  it('reports a rule id the code produces that the README leaves out', () => {
    expect(compareRuleIds(documentedIds.filter((id) => id !== 'participant.count'), PRODUCED).undocumented).toEqual(['participant.count']);
    expect(compareRuleIds(documentedIds, new Set([...PRODUCED, 'participant.invented'])).undocumented).toEqual(['participant.invented']);
  });

  it('finds every rule id written out in the code by running the rules', () => {
    // A literal id in src/guard is one of the ids found, or the prefix of some (such as `message.media`).
    const literals = [...new Set([...source.matchAll(/'((?:message|participant|conversation|rate|request|guard)\.[a-z0-9.-]+)'/g)].map((m) => m[1]!))];
    expect(literals.filter((id) => !PRODUCED.has(id) && ![...PRODUCED].some((p) => p.startsWith(`${id}.`)))).toEqual([]);
    // Each channel's delivery limits and attachment row are reached.
    for (const channel of CHANNELS.filter(isNonChat)) expect(PRODUCED).toContain(`message.fanout.${channel}.media.count`);
    expect(PRODUCED).toContain('message.media.type');
  });
});

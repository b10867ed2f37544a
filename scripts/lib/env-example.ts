import { VARIABLES, type VariableName } from '../../src/guard/config/variables';

const GROUP_TITLES: Record<string, string> = {
  guard: 'How the guard runs',
  message: 'Messages (onMessageAdd), judged from the request alone',
  participant: 'Participants (onParticipantAdd)',
  conversation: 'Conversations (onConversationAdd)',
  attachments: 'Attachments by the author\'s channel (Flex attachment table)',
  'fan-out': 'Delivery to the channels a message reaches (needs the participant list)',
  rate: 'Rate limits, counted in Twilio Sync',
  status: 'Rejection counters for /status and the status page',
};

/** The variables a user sets first, at the top of .env.example; the rest follow by group. */
export const SET_FIRST: readonly VariableName[] = ['STATUS_PASSWORD', 'GUARD_MODE', 'FAIL_MODE', 'INBOUND_POLICY'];

const describe = (name: VariableName) => {
  const v = VARIABLES[name];
  return [`# ${v.description}`, `#   Form: ${v.parser.form}.${v.source ? ` Source: ${v.source}` : ''}`];
};

/**
 * The text of .env.example: credentials and the few settings a user sets first, then every other
 * variable commented out at its default. Empty values mean "the default".
 */
export function envExample(): string {
  const lines = [
    '# Conversations limits guard. Copy to .env (npm start does it for you) and uncomment what you change.',
    '# Check a file without starting anything: npm run check-config',
    '',
    '# Twilio credentials: ACCOUNT_SID + AUTH_TOKEN deploy and call Twilio; locally AUTH_TOKEN also checks X-Twilio-Signature.',
    '# Without them, npm start serves Twilio\'s API from the bundled emulator. Never deployed as variables.',
    'ACCOUNT_SID=',
    'AUTH_TOKEN=',
    '',
    '# ---- Set these first ----',
    ...SET_FIRST.flatMap((name) => [...describe(name), name === 'STATUS_PASSWORD' ? `${name}=` : `# ${name}=${VARIABLES[name].default}`]),
  ];
  let group = '';
  for (const name of Object.keys(VARIABLES) as VariableName[]) {
    if (SET_FIRST.includes(name)) continue;
    const v = VARIABLES[name];
    if (v.group !== group) {
      group = v.group;
      lines.push('', `# ---- ${GROUP_TITLES[group]} ----`);
    }
    lines.push(...describe(name), `# ${name}=${v.default}`);
  }
  return lines.join('\n') + '\n';
}

/** The README's variable table (markdown). */
export function variablesTable(): string {
  const rows = (Object.keys(VARIABLES) as VariableName[]).map((name) => {
    const v = VARIABLES[name];
    const source = v.source?.startsWith('http') ? `[Twilio](${v.source})` : (v.source ?? '');
    return `| \`${name}\` | \`${v.default || '(empty)'}\` | ${v.description.replace(/\|/g, '\\|')} | ${source} |`;
  });
  return ['| Variable | Default | Meaning | Default from |', '|---|---|---|---|', ...rows].join('\n');
}

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

/** The text of .env.example: credentials, then every variable commented out at its default. */
export function envExample(): string {
  const lines = [
    '# Conversations limits guard. Copy to .env (npm start does it for you) and uncomment what you change.',
    '# Check a file without starting anything: npm run check-config',
    '',
    '# Twilio credentials: the AUTH_TOKEN validates X-Twilio-Signature; ACCOUNT_SID + AUTH_TOKEN call Twilio.',
    '# Without a real ACCOUNT_SID, npm start serves Twilio\'s API from the bundled emulator.',
    'ACCOUNT_SID=',
    'AUTH_TOKEN=',
  ];
  let group = '';
  for (const name of Object.keys(VARIABLES) as VariableName[]) {
    const v = VARIABLES[name];
    if (v.group !== group) {
      group = v.group;
      lines.push('', `# ---- ${GROUP_TITLES[group]} ----`);
    }
    lines.push(`# ${v.description}`, `#   Form: ${v.parser.form}.${v.source ? ` Source: ${v.source}` : ''}`, `# ${name}=${v.default}`);
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

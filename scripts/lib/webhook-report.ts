/** What `npm run configure` prints: the plan as a table and the sentences around it. */
import type { Conflict, PlanRow, WebhookPlan } from './webhook-plan';

const NONE = '(none)';
const UNCHANGED = '(unchanged)';

/**
 * One line per field and value: `field  current  new`. An unchanged field shows `(unchanged)` as its
 * new value; filters the plan adds are marked `+`.
 */
export function formatPlanTable(rows: readonly PlanRow[]): string {
  const cells = rows.map((row) => {
    const current = row.current.length > 0 ? row.current : [NONE];
    const next = !row.changed ? [UNCHANGED] : row.field === 'Filters' ? row.next.map((f) => (row.current.includes(f) ? f : `+ ${f}`)) : row.next;
    return { field: row.field, current, next };
  });
  const header = { field: 'field', current: ['current'], next: ['new'] };
  const all = [header, ...cells];
  const fieldWidth = Math.max(...all.map((c) => c.field.length));
  const currentWidth = Math.max(...all.flatMap((c) => c.current.map((line) => line.length)));
  const lines: string[] = [];
  for (const cell of all) {
    const height = Math.max(cell.current.length, cell.next.length);
    for (let i = 0; i < height; i += 1) {
      const field = i === 0 ? cell.field : '';
      const line = `${field.padEnd(fieldWidth)}  ${(cell.current[i] ?? '').padEnd(currentWidth)}  ${cell.next[i] ?? ''}`;
      lines.push(line.trimEnd());
    }
  }
  return lines.map((line) => `  ${line}`).join('\n');
}

export function scopeTitle(serviceSid: string | undefined): string {
  return serviceSid
    ? `Conversations webhooks of service ${serviceSid}`
    : 'Account-level Conversations webhooks (they serve every service without webhooks of its own)';
}

/** Why the plan stops, and the two ways on. */
export function refusalMessage(conflicts: readonly Conflict[], serviceSid: string | undefined): string {
  const reasons = conflicts.map((c) =>
    c.field === 'Target'
      ? '  Target is flex: these events go to Flex, and the guard needs webhook.'
      : `  ${c.field} already points at ${c.current}.`,
  );
  const elsewhere = serviceSid ? 'configure another service with --service' : 'configure one service with --service IS…';
  return [
    'Refusing to replace webhooks that point elsewhere:',
    ...reasons,
    `Run again with --force to replace them (the filters already set are kept), or ${elsewhere}.`,
  ].join('\n');
}

/** The closing sentence for each outcome. */
export function outcomeMessage(plan: WebhookPlan, dryRun: boolean): string {
  if (plan.kind === 'unchanged') return 'Nothing to change: the webhooks already point at the guard.';
  const changed = plan.rows.filter((r) => r.changed).map((r) => r.field).join(', ');
  if (plan.kind === 'refused') return dryRun ? 'Dry run: nothing was changed; without --force this run would be refused.' : '';
  if (dryRun) return `Dry run: nothing was changed. Without --dry-run this run would change ${changed}.`;
  return `Updated ${changed}.`;
}

/**
 * A Twilio or network failure as one sentence; twilio-node's RestException carries `status`,
 * `code` and `message`.
 */
export function failureMessage(error: unknown, context: { serviceSid?: string; apiUrl: string }): string {
  const e = (error ?? {}) as { status?: unknown; code?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(error);
  if (typeof e.status === 'number') {
    const code = typeof e.code === 'number' ? ` ${e.code}` : '';
    if (e.status === 401) {
      return `Twilio refused the credentials (HTTP 401${code}): check ACCOUNT_SID and AUTH_TOKEN in .env, or --username and --password.`;
    }
    if (e.status === 404 && context.serviceSid) {
      return `No Conversations service ${context.serviceSid} in this account (HTTP 404${code}): check --service.`;
    }
    return `Twilio answered HTTP ${e.status}${code}: ${message}`;
  }
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  const netCode = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : typeof cause?.code === 'string' ? cause.code : undefined;
  return `Could not reach ${context.apiUrl}: ${netCode && !message.includes(netCode) ? `${netCode} ` : ''}${message}`;
}

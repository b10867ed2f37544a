/** Reading the JSON of GET /limits in tests: every published limit as a flat row. */
import type { Channel } from '../../src/guard/limits/channels';

export interface PublishedRow {
  /** Where in the JSON, e.g. `delivery.sms.bodyChars`. */
  path: string;
  rule: string;
  variable: string;
  value: unknown;
  /** Whose messages it concerns: every message, an author channel's, or those reaching a recipient channel. */
  scope: { author?: Channel; recipient?: Channel };
}

/** Every `{ value, rule, variable }` of the published limits (settings excluded: they are the raw values). */
export function publishedRules(limits: Record<string, unknown>): PublishedRow[] {
  const rows: PublishedRow[] = [];
  const walk = (node: unknown, path: string[]) => {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return;
    const record = node as Record<string, unknown>;
    if (typeof record.rule === 'string' && typeof record.variable === 'string') {
      const [section, channel] = path as [string, Channel];
      const scope = section === 'attachments' ? { author: channel } : section === 'delivery' ? { recipient: channel } : path[1] === 'chatFileBytes' ? { author: 'web' as const } : path[1] === 'emailBytes' ? { author: 'email' as const } : {};
      rows.push({ path: path.join('.'), rule: record.rule, variable: record.variable, value: record.value, scope });
      return;
    }
    for (const [key, value] of Object.entries(record)) if (key !== 'settings') walk(value, [...path, key]);
  };
  walk(limits, []);
  return rows;
}

/** One decision, as one JSON log line. */
export interface DecisionLog {
  event: string;
  conversation?: string;
  rule?: string;
  outcome: 'allow' | 'reject' | 'shadow-reject' | 'ignored' | 'malformed' | 'unauthorized' | 'fail-open' | 'fail-closed' | 'contended';
  mode: 'enforce' | 'shadow';
  ms: number;
  [detail: string]: unknown;
}

export type Logger = (line: DecisionLog | Record<string, unknown>) => void;

/** Writes to the Functions log (stdout locally); one line per call so log tools can parse it. */
export const consoleLogger: Logger = (line) => console.log(JSON.stringify({ guard: 'conversations-limits', ...line }));

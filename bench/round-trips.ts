/**
 * Round trips in sequence, from the emulator's log rather than a clock in a busy process: a request
 * is one round after the latest round of the requests answered before it arrived (its own CPU time, the
 * parsing of 1000 participants included, adds none). Over decisions made one after another, the
 * rounds add up: the total divided by the decisions is their mean.
 */
export function roundTrips(log: Array<{ product: string; at: number; ms: number }>): number {
  const requests = log.filter((e) => e.product === 'conversations' || e.product === 'sync').sort((a, b) => a.at - b.at);
  const rounds: number[] = [];
  requests.forEach((e, i) => (rounds[i] = 1 + Math.max(0, ...requests.slice(0, i).map((q, j) => (q.at + q.ms <= e.at ? rounds[j]! : 0)))));
  return Math.max(0, ...rounds);
}

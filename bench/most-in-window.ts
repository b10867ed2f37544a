/**
 * The most of `times` (epoch ms) that fall within any window of `windowMs`: how a rate limit's "at
 * most N in any window" is checked, by the benchmark and by the rate tests.
 */
export function mostInAnyWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= windowMs) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

/** Figures a test measured, printed only with TEST_VERBOSE=1 so that a normal run stays quiet. */
export function verbose(...values: unknown[]): void {
  if (process.env.TEST_VERBOSE) console.log(...values);
}

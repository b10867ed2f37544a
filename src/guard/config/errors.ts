/** One variable whose value cannot be used, with the form it should have taken. */
export interface ConfigProblem {
  variable: string;
  value: string;
  expected: string;
}

/** Thrown when the environment cannot be turned into a configuration; lists every bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly problems: readonly ConfigProblem[],
    readonly origin = 'environment',
  ) {
    super(
      `Invalid configuration in ${origin}: ` +
        problems
          .map((p) => `${p.variable}=${JSON.stringify(p.value)} is not valid; expected ${p.expected}`)
          .join('; '),
    );
  }
}

/** One variable whose value cannot be used, with the form it should have taken. */
export interface ConfigProblem {
  variable: string;
  /** The value as read, trimmed; for a secret, only a mask of it (see {@link maskSecret}). */
  value: string;
  expected: string;
  /** The variable is a secret: `value` is a mask, never the value. */
  secret?: true;
}

/** What an error shows of a secret: how long it is, never a character of it. */
export const maskSecret = (raw: string) => `<${[...raw].length} characters, not shown>`;

/** `NAME="value"`, or `NAME=<3 characters, not shown>` for a secret. */
export const shownAssignment = (p: ConfigProblem) => `${p.variable}=${p.secret ? p.value : JSON.stringify(p.value)}`;

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
          .map((p) => `${shownAssignment(p)} is not valid; expected ${p.expected}`)
          .join('; '),
    );
  }
}

/** Assertions on what the guard answers when it rejects: the 403 body a developer reads. */
import type { Violation } from '../../src/guard/rules/violation';
import { formatted } from './settings';

export interface ExpectedViolation {
  code: string;
  limit: number;
  actual: number;
  variable?: string;
  channel?: string;
}

/**
 * The violation has this code, limit and actual number, names the env variable (and channel) that
 * sets the limit, and its message states both numbers the way they are printed ("32,769").
 */
export function expectViolation(violation: Violation | Record<string, unknown> | undefined, expected: ExpectedViolation): void {
  expect(violation).toBeDefined();
  const v = violation as Record<string, unknown>;
  expect(v).toMatchObject({ code: expected.code, limit: expected.limit, actual: expected.actual });
  if (expected.variable) expect(v.variable).toBe(expected.variable);
  if (expected.channel) expect(v.channel).toBe(expected.channel);
  expect(typeof v.message).toBe('string');
  expect(v.message).toContain(formatted(expected.actual));
  expect(v.message).toContain(formatted(expected.limit));
}

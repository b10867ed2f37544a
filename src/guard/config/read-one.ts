import type { Environment } from './load';
import { INVALID } from './parsers';
import { VARIABLES } from './variables';

/**
 * One variable, read on its own, so that authentication, GUARD_MODE, FAIL_MODE and the rejection log still work when another
 * variable is invalid; an invalid value reads as undefined.
 */
export function readOne<K extends 'SIGNATURE_CHECK' | 'WEBHOOK_BASE_URL' | 'FAIL_MODE' | 'GUARD_MODE' | 'REJECTION_LOG'>(env: Environment, name: K) {
  const given = env[name];
  const raw = typeof given === 'string' && given.trim() !== '' ? given.trim() : VARIABLES[name].default;
  const value = VARIABLES[name].parser.parse(raw);
  return value === INVALID ? undefined : value;
}

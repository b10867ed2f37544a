import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VARIABLES } from '../../src/guard/config/variables';
import { envExample, variablesTable } from '../../scripts/lib/env-example';

const root = join(__dirname, '..', '..');
const read = (name: string) => readFileSync(join(root, name), 'utf8');

describe('generated documentation', () => {
  it('.env.example is what npm run docs writes from the variable table', () => {
    expect(read('.env.example')).toBe(envExample());
  });

  it('.env.example shows every variable at its default', () => {
    const example = read('.env.example');
    for (const [name, spec] of Object.entries(VARIABLES)) expect(example).toMatch(new RegExp(`^(# )?${name}=${spec.default.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  });

  it('.env.example opens with the credentials and the settings a user sets first', () => {
    const firstSettings = read('.env.example').split('\n').filter((line) => /^(# )?[A-Z_]+=/.test(line)).slice(0, 6);
    expect(firstSettings).toEqual(['ACCOUNT_SID=', 'AUTH_TOKEN=', 'STATUS_PASSWORD=', '# GUARD_MODE=enforce', '# FAIL_MODE=open', '# INBOUND_POLICY=annotate']);
  });

  it('docs/configuration.md carries the current variable table', () => {
    expect(read('docs/configuration.md')).toContain(variablesTable());
  });
});

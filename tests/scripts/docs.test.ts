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
    for (const [name, spec] of Object.entries(VARIABLES)) expect(example).toContain(`# ${name}=${spec.default}\n`);
  });

  it('the README carries the current variable table', () => {
    expect(read('README.md')).toContain(variablesTable());
  });
});

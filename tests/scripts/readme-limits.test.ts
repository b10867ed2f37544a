/** The README's table of limits stays true to the code: its variables exist, and no limit is left out. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VARIABLES, type VariableName } from '../../src/guard/config/variables';
import { CHANNELS } from '../../src/guard/limits/channels';
import { filesUnder, ROOT } from '../support/build';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Limits the guard knows'), readme.indexOf('## What it answers'));
const rows = section.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| limit') && !line.startsWith('|---'));
const cell = (row: string, index: number) => row.split(' | ')[index] ?? '';
const ticked = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
const source = filesUnder(join(ROOT, 'src', 'guard')).map((file) => readFileSync(file, 'utf8')).join('\n');

/** `ATTACHMENTS_<CHANNEL>_MAX_FILES` stands for one variable per channel; `_*` for all of a channel's. */
function expand(name: string): string[] {
  const perChannel = name.includes('<CHANNEL>') ? CHANNELS.map((c) => name.replace('<CHANNEL>', c.toUpperCase())) : [name];
  return perChannel.flatMap((n) => (n.endsWith('_*') ? Object.keys(VARIABLES).filter((v) => v.startsWith(n.slice(0, -1))) : [n]));
}

const tableVariables = rows.flatMap((row) => ticked(cell(row, 2))).flatMap(expand);

it('has a row for every limit of the README', () => {
  expect(rows.length).toBeGreaterThan(30);
});

it('names only variables the guard reads', () => {
  expect(tableVariables.filter((name) => !(name in VARIABLES))).toEqual([]);
});

it('leaves out no limit the guard enforces', () => {
  const limits = (Object.keys(VARIABLES) as VariableName[]).filter((name) => !['guard', 'status'].includes(VARIABLES[name].group) && !name.startsWith('IDENTITY_TALLY_'));
  expect(limits.filter((name) => !tableVariables.includes(name))).toEqual([]);
});

it('names rule ids the code produces', () => {
  const ids = rows.flatMap((row) => ticked(cell(row, 3))).filter((id) => id.includes('.'));
  // An id is either written out in the code, or built from a prefix and this last part.
  const produced = (id: string) => source.includes(`'${id}'`) || source.includes(`.${id.split('.').pop()}\``) || source.includes(`'${id.split('.').slice(1).join('.')}'`);
  const concrete = ids.flatMap((id) => (id.includes('<channel>') ? CHANNELS.map((c) => id.replace('<channel>', c)) : [id])).filter((id) => !id.includes('<') && !id.endsWith('*'));
  expect(concrete.filter((id) => !produced(id))).toEqual([]);
});

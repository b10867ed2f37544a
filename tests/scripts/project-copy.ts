/**
 * A copy of the project in a temporary folder, its node_modules linked, for tests that run a script
 * which builds or writes (dist/, .env, docs): what it writes never touches the working tree other
 * tests read at the same time. Timestamps are kept, so caches keyed on source times stay valid.
 */
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ROOT } from '../support/build';

/** What the scripts read: the sources, the scripts and their helpers, docs, and the project files. */
export const PROJECT_ENTRIES = ['src', 'scripts', 'bench', 'emulator', 'docs', 'package.json', 'tsconfig.json', '.twilioserverlessrc', '.env.example'];

export function copyProject(prefix: string, entries: readonly string[] = PROJECT_ENTRIES): string {
  const project = mkdtempSync(join(tmpdir(), prefix));
  for (const entry of entries) cpSync(join(ROOT, entry), join(project, entry), { recursive: true, preserveTimestamps: true });
  symlinkSync(join(ROOT, 'node_modules'), join(project, 'node_modules'), 'dir');
  return project;
}

export const removeProject = (project: string | undefined) => project && rmSync(project, { recursive: true, force: true });

/** Every file of the copy (node_modules aside) with its size and modification time: what a run may not change. */
export function snapshot(project: string, dir = project): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.name === 'node_modules') return [];
    if (entry.isDirectory()) return snapshot(project, path);
    const stat = statSync(path);
    return [`${relative(project, path)} ${stat.size} ${stat.mtimeMs}`];
  });
}

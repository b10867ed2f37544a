import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';

/**
 * Records taken in any order and given back once, sorted, holding at most `runSize` of them in
 * memory: each time `runSize` are waiting they are sorted and written to a temporary file (a run),
 * and {@link drain} merges the runs. The order must be total (no two records equal), so the merge
 * gives exactly what one sort of them all would. Records go through JSON.
 */
export class SortedSpill<T> {
  private buffer: T[] = [];
  private readonly runs: string[] = [];
  private dir: string | undefined;

  constructor(
    private readonly compare: (a: T, b: T) => number,
    private readonly runSize = 20_000,
    /** Where the temporary directory of the runs is made: the system's temporary directory by default. */
    private readonly parent = tmpdir(),
  ) {}

  push(record: T): void {
    this.buffer.push(record);
    if (this.buffer.length >= this.runSize) this.spill();
  }

  /** Runs written to disk so far. */
  get spilled(): number {
    return this.runs.length;
  }

  private spill(): void {
    this.buffer.sort(this.compare);
    this.dir ??= mkdtempSync(join(this.parent, 'audit-rates-'));
    const file = join(this.dir, `run-${this.runs.length}.ndjson`);
    writeFileSync(file, `${this.buffer.map((r) => JSON.stringify(r)).join('\n')}\n`);
    this.runs.push(file);
    this.buffer = [];
  }

  /** Every record pushed since the last drain, in order; the temporary files are removed at the end. */
  *drain(): Generator<T> {
    const waiting = this.buffer.sort(this.compare);
    this.buffer = [];
    const runs = this.runs.splice(0);
    try {
      if (runs.length === 0) return yield* waiting;
      const sources: Array<Iterator<T>> = [...runs.map((file) => recordsOf<T>(file)), waiting[Symbol.iterator]()];
      const heads = sources.map((source) => source.next());
      for (;;) {
        let best = -1;
        for (let i = 0; i < heads.length; i += 1) if (!heads[i]!.done && (best === -1 || this.compare(heads[i]!.value as T, heads[best]!.value as T) < 0)) best = i;
        if (best === -1) return;
        yield heads[best]!.value as T;
        heads[best] = sources[best]!.next();
      }
    } finally {
      this.discard();
    }
  }

  /** Removes the temporary files (after a failed run; {@link drain} does it itself). */
  discard(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
    this.runs.length = 0;
  }
}

/** The records of a run, a line at a time (64 KiB read at once). */
function* recordsOf<T>(file: string): Generator<T> {
  const fd = openSync(file, 'r');
  const chunk = Buffer.alloc(1 << 16);
  const decoder = new StringDecoder('utf8');
  let rest = '';
  try {
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      const lines = (rest + decoder.write(chunk.subarray(0, n))).split('\n');
      rest = lines.pop()!;
      for (const line of lines) yield JSON.parse(line) as T;
    }
    rest += decoder.end();
    if (rest !== '') yield JSON.parse(rest) as T;
  } finally {
    closeSync(fd);
  }
}

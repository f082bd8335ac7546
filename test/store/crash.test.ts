// Restarts, as issue 5 asks: a writer killed with SIGKILL mid-run loses at most the tick it was
// writing and never corrupts the file; a writer stopped with SIGTERM closes and loses nothing.
// The writer is a real child process (test/store/_writer.ts) writing 300 processes per tick as
// fast as it can, so a kill lands inside a transaction (or a checkpoint, or a compaction) most
// of the time.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { History } from '../../src/store/index.js';
import { population, T0, tempDir } from './_helpers.js';

const WRITER = fileURLToPath(new URL('./_writer.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PROCS = 300;

interface Run {
  /** Ticks the writer said it committed, in order. */
  printed: number[];
  /** The writer was inside writeTick when it died (its last line was "+t"). */
  midTick: boolean;
  /** "closed N" on SIGTERM. */
  closed: number | null;
  signal: NodeJS.Signals | null;
}

/** Starts the writer at startT, sends `signal` once it has printed `ticks` ticks, waits for its end. */
async function runWriter(
  t: TestContext,
  path: string,
  startT: number,
  ticks: number,
  signal: NodeJS.Signals,
): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, path, String(startT), String(PROCS)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => child.kill('SIGKILL'));
  const run: Run = { printed: [], midTick: false, closed: null, signal: null };
  const exited = once(child, 'exit');
  let sent = false;
  for await (const line of createInterface({ input: child.stdout })) {
    if (line === 'ready') continue;
    run.midTick = line.startsWith('+');
    if (run.midTick) continue;
    const closed = /^closed (\d+)$/.exec(line);
    if (closed) {
      run.closed = Number(closed[1]);
      continue;
    }
    run.printed.push(Number(line));
    if (!sent && run.printed.length >= ticks) {
      sent = true;
      child.kill(signal);
    }
  }
  const [, sig] = (await exited) as [number | null, NodeJS.Signals | null];
  run.signal = sig;
  return run;
}

function check(path: string) {
  const db = new Database(path);
  try {
    return {
      integrity: db.pragma('integrity_check', { simple: true }),
      ticks: db.prepare('SELECT t FROM ticks WHERE tier = 1 ORDER BY t').pluck().all() as number[],
      samplesPerTick: db
        .prepare('SELECT DISTINCT c FROM (SELECT count(*) AS c FROM proc_samples WHERE tier = 1 GROUP BY t)')
        .pluck()
        .all() as number[],
    };
  } finally {
    db.close();
  }
}

test('SIGKILL mid-write, four times in a row: never corrupt, every committed tick there, at most one more', async (t) => {
  const path = join(tempDir(t), 'history.db');
  let start = T0;
  let total = 0;
  let midTick = 0;
  for (let round = 0; round < 4; round++) {
    // Kill at a different point each round: 300 to 600 ticks in (5 to 10 simulated minutes).
    const run = await runWriter(t, path, start, 300 + Math.floor(Math.random() * 300), 'SIGKILL');
    assert.equal(run.signal, 'SIGKILL');
    const after = check(path);
    assert.equal(after.integrity, 'ok', `round ${round}`);
    // All rounds are within the 1 s tier's hour: every tick written so far is still there.
    const mine = after.ticks.filter((x) => x >= start * 1000).map((x) => x / 1000);
    const printed = run.printed;
    assert.deepEqual(mine.slice(0, printed.length), printed, `round ${round}: a committed tick is missing`);
    assert.ok(
      mine.length - printed.length <= 1,
      `round ${round}: ${mine.length - printed.length} unprinted ticks`,
    );
    assert.deepEqual(
      after.samplesPerTick,
      [PROCS],
      'each tick has all its processes: a tick is all or nothing',
    );
    total += mine.length;
    if (run.midTick) midTick++;
    assert.equal(after.ticks.length, total);
    console.log(
      `# round ${round}: ${printed.length} ticks committed before SIGKILL${run.midTick ? ' (killed inside writeTick)' : ''}, ${mine.length} in the file, integrity ok`,
    );
    start = (mine.at(-1) as number) + 1;
  }
  console.log(`# ${midTick} of 4 kills landed inside writeTick`);
  // The next writer opens it and carries on; the series of a process runs across all four runs.
  const h = History.open(path);
  t.after(() => h.close());
  const p = population(PROCS, 0)[17];
  assert.ok(p);
  const s = h.processSeries(p.pid, p.startTicks, T0, start, total + 1);
  assert.equal(s.t.length, total);
  assert.equal(h.knownProcesses(T0).length, PROCS);
});

test('SIGTERM: the writer closes the history and nothing is lost; the WAL is checkpointed away', async (t) => {
  const path = join(tempDir(t), 'history.db');
  const first = await runWriter(t, path, T0, 200, 'SIGKILL');
  const start = (check(path).ticks.at(-1) as number) / 1000 + 1;
  const run = await runWriter(t, path, start, 300 + Math.floor(Math.random() * 300), 'SIGTERM');
  assert.equal(run.signal, null, 'exited by itself after close()');
  assert.equal(run.closed, run.printed.length, 'every tick it wrote was reported');
  let walSize = 0;
  try {
    walSize = statSync(`${path}-wal`).size;
  } catch {}
  assert.equal(walSize, 0);
  const after = check(path);
  assert.equal(after.integrity, 'ok');
  const mine = after.ticks.filter((x) => x >= start * 1000).map((x) => x / 1000);
  assert.deepEqual(mine, run.printed, 'exactly the ticks written, none lost');
  assert.ok(after.ticks.length >= first.printed.length + run.printed.length);
  console.log(
    `# SIGTERM after ${run.printed.length} ticks: all ${mine.length} in the file, WAL ${walSize} bytes`,
  );
  // close() recorded when each process was last seen.
  const h = History.open(path);
  t.after(() => h.close());
  const last = run.printed.at(-1) as number;
  assert.ok(h.knownProcesses(0).every((p) => p.lastT === last));
});

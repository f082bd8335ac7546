// Restarts while recording: after SIGTERM nothing is lost; after SIGKILL at most the last interval
// is; the database is never corrupt. A real server on a real SQLite file, started three times.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { getJson, startServe, tempDir, waitFor } from './serve-helper.js';

const tmp = tempDir('restart');
const db = join(tmp.dir, 'history.db');
after(() => tmp.remove());

interface MachineHistory {
  series: { t: number[]; memAvailableBytes: (number | null)[] };
}

function integrity(): string {
  const conn = new Database(db);
  try {
    return conn.pragma('integrity_check', { simple: true }) as string;
  } finally {
    conn.close();
  }
}

async function machineTimes(url: string, from: number, to: number): Promise<number[]> {
  const { body } = await getJson<MachineHistory>(
    `${url}/api/machine/history?from=${from}&to=${to}&points=5000`,
  );
  return body.series.t;
}

test('history survives SIGTERM and SIGKILL; at most the last interval is lost', {
  timeout: 90_000,
}, async () => {
  const args = ['--port', '0', '--db', db, '--interval', '1s'];

  // Run 1: record about 5 s, then SIGTERM.
  const first = await startServe(args);
  let run1: { from: number; last: number };
  try {
    const from = (await getJson(`${first.url}/api/machine`)).body.t as number;
    await new Promise((r) => setTimeout(r, 5000));
    const last = (await getJson(`${first.url}/api/machine`)).body.t as number;
    run1 = { from, last };
  } finally {
    const end = await first.stop('SIGTERM');
    assert.equal(end.code, 0, `SIGTERM exits 0; stderr: ${first.stderr()}`);
  }
  assert.equal(integrity(), 'ok');

  // Run 2: the first run's samples are all there; then SIGKILL while recording.
  const second = await startServe(args);
  let killedAt: number;
  let lastSeen: number;
  try {
    const times = await machineTimes(second.url, run1.from - 1, run1.last + 0.5);
    assert.ok(
      times[0] !== undefined && times[0] <= run1.from + 0.001,
      `the first sample ${run1.from} is kept`,
    );
    assert.ok(
      (times.at(-1) ?? 0) >= run1.last - 0.001,
      `the last sample ${run1.last} before SIGTERM is kept`,
    );
    assert.ok(times.length >= 5, `${times.length} samples of run 1`);
    // Record a few seconds, then kill -9 right after a tick was served.
    await new Promise((r) => setTimeout(r, 3000));
    lastSeen = (await getJson(`${second.url}/api/machine`)).body.t as number;
    killedAt = Date.now() / 1000;
  } finally {
    const end = await second.stop('SIGKILL');
    assert.equal(end.signal, 'SIGKILL');
  }
  assert.equal(integrity(), 'ok', 'SQLite recovers the WAL: no corruption');

  // Run 3: history up to the last interval before the kill is there.
  const third = await startServe(args);
  try {
    const times = await machineTimes(third.url, run1.from - 1, killedAt);
    const beforeKill = times.filter((t) => t <= killedAt);
    const newest = beforeKill.at(-1) ?? 0;
    assert.ok(
      newest >= lastSeen - 0.001,
      `the tick served just before the kill (${lastSeen}) was on disk: newest ${newest}`,
    );
    assert.ok(
      killedAt - newest <= 2,
      `at most the last interval lost: newest ${newest}, killed at ${killedAt}`,
    );
    assert.ok(times[0] !== undefined && times[0] <= run1.from + 0.001, 'run 1 is still there');
    // And the new run records on top.
    await waitFor(
      'a new sample',
      async () => {
        const t = await machineTimes(third.url, killedAt, Date.now() / 1000 + 1);
        return t.length > 0 ? true : undefined;
      },
      5000,
    );
  } finally {
    assert.equal((await third.stop('SIGTERM')).code, 0);
  }
  assert.equal(integrity(), 'ok');
});

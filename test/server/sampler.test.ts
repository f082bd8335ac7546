// The server's sampling loop on the live /proc with real children: its tiers (smaps_rollup not on
// every tick, but sooner when RSS moves), processes that exit leaving the state at once, and what
// each tick writes to the history.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createProcFs } from '../../src/procfs/fs.js';
import type { HistoryStore } from '../../src/server/history.js';
import { ServerSampler } from '../../src/server/sampler.js';
import { SeriesRing } from '../../src/server/series.js';
import { History, type Tick } from '../../src/store/history.js';
import { startChild } from '../helpers/children.js';

const fs = createProcFs('/');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('SeriesRing keeps the last `capacity` points in order', () => {
  const ring = new SeriesRing(3);
  assert.deepEqual(ring.points(), []);
  for (let i = 1; i <= 5; i++) ring.push(i, i * 10);
  assert.equal(ring.length, 3);
  assert.deepEqual(ring.points(), [
    { t: 3, v: 30 },
    { t: 4, v: 40 },
    { t: 5, v: 50 },
  ]);
  assert.deepEqual(ring.lastValues(2), [40, 50]);
  assert.deepEqual(ring.lastValues(10), [30, 40, 50]);
});

test('SeriesRing holds memory in proportion to its points, up to its capacity', () => {
  // What V8 counts as ArrayBuffer memory (native, freed only when a ring is collected): the
  // rings of short-lived processes, seen once or twice each, must not hold an hour's arrays each.
  const before = process.memoryUsage().arrayBuffers;
  const rings = Array.from({ length: 2000 }, (_, i) => {
    const r = new SeriesRing(3601);
    r.push(i, i);
    return r;
  });
  const held = process.memoryUsage().arrayBuffers - before;
  assert.equal(rings.length, 2000);
  assert.ok(held <= 2000 * 2048, `2000 rings of one point hold ${held} bytes of ArrayBuffers`);

  // An hour at 1 s. The ring grows as points come, and keeps them in order across each growth.
  const ring = new SeriesRing(3601);
  assert.ok(ring.allocatedBytes <= 64 * 16, `a new ring holds ${ring.allocatedBytes} bytes`);
  for (let i = 1; i <= 1000; i++) ring.push(i, i * 10);
  assert.equal(ring.length, 1000);
  assert.deepEqual(ring.points()[0], { t: 1, v: 10 });
  assert.deepEqual(ring.lastValues(2), [9990, 10000]);
  assert.ok(ring.allocatedBytes < 3601 * 16, `1000 points in ${ring.allocatedBytes} bytes`);
  for (let i = 1001; i <= 5000; i++) ring.push(i, i * 10);
  assert.equal(ring.length, 3601);
  assert.equal(ring.allocatedBytes, 3601 * 16, 'never past the capacity');
  const points = ring.points();
  assert.deepEqual(points[0], { t: 1400, v: 14000 });
  assert.deepEqual(points.at(-1), { t: 5000, v: 50000 });
  assert.ok(points.every((p, i) => i === 0 || p.t === (points[i - 1]?.t ?? 0) + 1));
});

test('smaps_rollup is read at first sight, then not every tick, and sooner after a big RSS move', async () => {
  const steady = await startChild<{ pid: number }>('grow', ['steady', '32']);
  const leak = await startChild<{ pid: number }>('grow', ['leak', '4096']);
  try {
    await sleep(300);
    const sampler = new ServerSampler(fs, null, { rollupEverySec: 30 });
    const t0 = Date.now() / 1000;
    sampler.tick(t0);
    const s = sampler.state.processes.get(steady.info.pid);
    const l = sampler.state.processes.get(leak.info.pid);
    assert.ok(s?.rollup && l?.rollup, 'both have a rollup from the first tick');
    assert.equal(s.rollupT, t0);
    for (let i = 1; i <= 4; i++) {
      await sleep(500);
      sampler.tick(t0 + i);
    }
    // The steady child kept its first rollup (the next is 15-45 s away)...
    assert.equal(s.rollupT, t0);
    assert.ok(sampler.state.processes.get(steady.info.pid)?.sample.rssBytes);
    // ...while the leaker, 4 MiB/s from a few MiB, moved by more than 5% and was read again.
    assert.ok((l.rollupT ?? 0) > t0, `rollup brought forward: ${l.rollupT}`);
    assert.equal(l.ring?.length, 5, 'one RSS point per tick');
  } finally {
    await steady.stop();
    await leak.stop();
  }
});

test('a process that exits leaves the state at the next tick', async () => {
  const child = await startChild<{ pid: number }>('grow', ['steady', '1']);
  const sampler = new ServerSampler(fs, null);
  sampler.tick(Date.now() / 1000);
  assert.ok(sampler.state.processes.has(child.info.pid));
  await child.stop();
  sampler.tick(Date.now() / 1000 + 1);
  assert.ok(!sampler.state.processes.has(child.info.pid));
});

/** The /proc/PID/stat files this process holds open, by PID. */
function openStatFiles(): Map<number, number> {
  const counts = new Map<number, number>();
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue;
    }
    const m = /^\/proc\/(\d+)\/stat$/.exec(target);
    if (m) counts.set(Number(m[1]), (counts.get(Number(m[1])) ?? 0) + 1);
  }
  return counts;
}

test('stat files stay open from tick to tick, follow their process, and close when it exits', async () => {
  // Samplers of the tests above may hold files of their own: count this one's as the difference.
  const total = () => [...openStatFiles().values()].reduce((a, b) => a + b, 0);
  const before = total();
  const child = await startChild<{ pid: number }>('grow', ['leak', String(8 * 1024)]);
  const sampler = new ServerSampler(fs, null);
  try {
    const t0 = Date.now() / 1000;
    sampler.tick(t0);
    assert.equal(openStatFiles().get(child.info.pid), 1, 'one kept file for the child');
    const rss0 = sampler.state.processes.get(child.info.pid)?.sample.rssBytes ?? 0;
    await sleep(500);
    sampler.tick(t0 + 1);
    assert.equal(openStatFiles().get(child.info.pid), 1, 'the same file, not a second one');
    const rss1 = sampler.state.processes.get(child.info.pid)?.sample.rssBytes ?? 0;
    // 8 MiB/s for half a second, read through the kept file.
    assert.ok(rss1 - rss0 >= 2 * 1024 * 1024, `${rss0} -> ${rss1}`);
    await child.stop();
    sampler.tick(t0 + 2);
    assert.ok(!sampler.state.processes.has(child.info.pid));
    assert.equal(openStatFiles().get(child.info.pid), undefined, 'closed once the process is gone');
    // Every process's file is kept (the machine has fewer than MAX_KEPT_FILES).
    const kept = total() - before;
    const size = sampler.state.processes.size;
    assert.ok(kept >= size - 5 && kept <= size, `${kept} kept for ${size} processes`);
  } finally {
    sampler.stop();
    await child.stop();
  }
  assert.equal(total(), before, 'stop() closes them');
});

test('under process churn the state keeps only live processes, each ring in proportion to its points', async () => {
  const total = () => [...openStatFiles().values()].reduce((a, b) => a + b, 0);
  const before = total();
  const dir = mkdtempSync(join(tmpdir(), 'memlens-churn-'));
  const history = History.open(join(dir, 'h.db'));
  const sampler = new ServerSampler(fs, history, { intervalSec: 0.1 });
  // This test's churn children (other tests on the machine may run churn too): by parent.
  let churnPid = -1;
  const ours = new Set<string>();
  const parentOf = (pid: number) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return -1;
    }
  };
  sampler.onTick((state) => {
    for (const x of state.processes.values())
      if (x.sample.name.startsWith('churn-') && parentOf(x.pid) === churnPid)
        ours.add(`${x.pid}:${x.startTicks}`);
  });
  // Up to 8 children at once, each living up to 300 ms: a few hundred processes in 4 s of ticks.
  const churn = await startChild<{ pid: number }>('churn', ['8', '300']);
  churnPid = churn.info.pid;
  try {
    for (let i = 0; i < 40; i++) {
      sampler.tick(Date.now() / 1000);
      await sleep(100);
    }
    await churn.stop();
    sampler.tick(Date.now() / 1000);
    assert.ok(ours.size >= 20, `the sampler saw ${ours.size} of this test's churn children`);
    const left = [...sampler.state.processes.values()].filter((x) => ours.has(`${x.pid}:${x.startTicks}`));
    assert.deepEqual(
      left.map((x) => x.pid),
      [],
      'every churn child has exited and been reaped: none is tracked',
    );
    const kept = total() - before;
    const size = sampler.state.processes.size;
    assert.ok(kept <= size, `${kept} stat files kept open for ${size} processes`);
    for (const x of sampler.state.processes.values()) {
      if (!x.ring) continue;
      // Two Float64Arrays, room for at least 64 points (a new ring), at most twice its points.
      const bound = 16 * Math.max(64, 2 * x.ring.length);
      assert.ok(
        x.ring.allocatedBytes <= bound,
        `pid ${x.pid}: ${x.ring.length} points in ${x.ring.allocatedBytes} bytes`,
      );
    }
  } finally {
    sampler.stop();
    await churn.stop();
    history.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('each tick writes the machine and every user process; cgroups every few ticks; compact every minute', () => {
  const ticks: { t: number; tick: Tick }[] = [];
  const compacts: number[] = [];
  const store = {
    writeTick: (t: number, tick: Tick) => ticks.push({ t, tick }),
    compact: (t: number) => compacts.push(t),
  } as unknown as HistoryStore;
  const sampler = new ServerSampler(fs, store, { cgroupEveryTicks: 3, compactEverySec: 60 });
  const t0 = Date.now() / 1000;
  for (let i = 0; i < 7; i++) sampler.tick(t0 + i * 20);
  assert.equal(ticks.length, 7);
  const first = ticks[0]?.tick as Tick;
  assert.ok(first.machine && first.machine.memTotalBytes > 0);
  const self = first.processes.find((p) => p.pid === process.pid);
  assert.ok(self?.rssBytes && self.pssBytes, 'this test process, with PSS');
  const kernel = first.processes.filter((p) => sampler.state.processes.get(p.pid)?.sample.kernelThread);
  assert.deepEqual(kernel, [], 'no rows for kernel threads');
  const withCgroups = ticks.map((x) => x.tick.cgroups.length > 0);
  if (sampler.state.cgroups.length > 0) {
    assert.deepEqual(withCgroups, [true, false, false, true, false, false, true]);
  }
  assert.deepEqual(compacts, [t0, t0 + 60, t0 + 120]);
});

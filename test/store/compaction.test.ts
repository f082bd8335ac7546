// Roll-ups, expiry, tier choice and downsampling, with time driven by the `t` and `now` passed
// in: no test waits.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Columnar, History, type RetentionTier } from '../../src/store/index.js';
import { cgroup, countByTier, inspectDb, MiB, machine, proc, T0, tempDir } from './_helpers.js';

/** Small tiers so tests cover every tier in seconds of writing: 1 s/2 min, 10 s/10 min, 60 s/1 h. */
const SMALL: RetentionTier[] = [
  { stepSec: 1, keepSec: 120 },
  { stepSec: 10, keepSec: 600 },
  { stepSec: 60, keepSec: 3600 },
];

interface SampleRow {
  t: number;
  n: number;
  last_dt: number;
  rss_bytes: number | null;
  swap_bytes: number | null;
  minor_faults: number | null;
}

test('compact rolls 1 s ticks into 1 min buckets: weighted means, last counters, nulls left out', (t) => {
  const path = join(tempDir(t), 'h.db');
  const h = History.open(path);
  t.after(() => h.close());
  for (let i = 0; i < 150; i++) {
    h.writeTick(T0 + i, {
      machine: machine({
        memAvailableBytes: (1000 + i) * MiB,
        psiSomeAvg10: i % 2 ? 1 : 0.5,
        oomKills: i < 100 ? 0 : 1,
      }),
      processes: [
        proc(10, 1, {
          rssBytes: i * MiB,
          // Unknown for the first half minute: the mean is over the known half only.
          swapBytes: i < 30 ? null : 10 * MiB,
          minorFaults: 1000 + 3 * i,
        }),
      ],
      cgroups: [cgroup('/a', { limitBytes: i < 45 ? 512 * MiB : null, usageBytes: (100 + i) * MiB })],
    });
  }
  h.compact(T0 + 150);
  // Two complete minutes; the third (120..149) waits until it ends.
  const rows = inspectDb(path, (db) =>
    db
      .prepare(
        'SELECT t, n, last_dt, rss_bytes, swap_bytes, minor_faults FROM proc_samples WHERE tier = 60 ORDER BY t',
      )
      .all(),
  ) as SampleRow[];
  assert.deepEqual(rows, [
    // mean(0..59) MiB = 29.5 MiB
    {
      t: T0 * 1000,
      n: 60,
      last_dt: 59_000,
      rss_bytes: 29.5 * MiB,
      swap_bytes: 10 * MiB,
      minor_faults: 1000 + 3 * 59,
    },
    {
      t: (T0 + 60) * 1000,
      n: 60,
      last_dt: 59_000,
      rss_bytes: 89.5 * MiB,
      swap_bytes: 10 * MiB,
      minor_faults: 1000 + 3 * 119,
    },
  ]);
  const ticks = inspectDb(path, (db) =>
    db
      .prepare(
        'SELECT n, mem_available_bytes AS a, psi_some_avg10 AS psi, oom_kills AS oom FROM ticks WHERE tier = 60 ORDER BY t',
      )
      .all(),
  );
  assert.deepEqual(ticks, [
    { n: 60, a: 1029.5 * MiB, psi: 0.75, oom: 0 },
    { n: 60, a: 1089.5 * MiB, psi: 0.75, oom: 1 },
  ]);
  // A limit is a setting: the bucket keeps the last one (none), not an average.
  const limits = inspectDb(path, (db) =>
    db.prepare('SELECT limit_bytes FROM cgroup_samples WHERE tier = 60 ORDER BY t').pluck().all(),
  );
  assert.deepEqual(limits, [512 * MiB, null]);

  // Running it again with nothing new changes nothing; the third minute rolls once it has ended.
  h.compact(T0 + 150);
  assert.deepEqual(countByTier(path, 'proc_samples'), { 1: 150, 60: 2 });
  h.compact(T0 + 180);
  assert.deepEqual(countByTier(path, 'proc_samples'), { 1: 150, 60: 3 });
  const third = inspectDb(path, (db) =>
    db
      .prepare('SELECT n, last_dt, rss_bytes FROM proc_samples WHERE tier = 60 AND t = ?')
      .get((T0 + 120) * 1000),
  );
  // A partial bucket: 30 ticks, its counters read at 149 s.
  assert.deepEqual(third, { n: 30, last_dt: 29_000, rss_bytes: 134.5 * MiB });
});

test('coarser tiers weight each bucket by the ticks it stands for', (t) => {
  const path = join(tempDir(t), 'h.db');
  const h = History.open(path);
  t.after(() => h.close());
  // Minute 0: 60 ticks at 10 MiB. Minute 1: only 30 ticks (the sampler was stopped) at 40 MiB.
  for (let i = 0; i < 60; i++)
    h.writeTick(T0 + i, { machine: null, processes: [proc(1, 1, { rssBytes: 10 * MiB })], cgroups: [] });
  for (let i = 60; i < 90; i++)
    h.writeTick(T0 + i, { machine: null, processes: [proc(1, 1, { rssBytes: 40 * MiB })], cgroups: [] });
  h.compact(T0 + 600);
  const tenMin = inspectDb(path, (db) =>
    db.prepare('SELECT n, rss_bytes FROM proc_samples WHERE tier = 600').all(),
  );
  // (10 * 60 + 40 * 30) / 90 = 20 MiB; the unweighted mean of the minutes would say 25.
  assert.deepEqual(tenMin, [{ n: 90, rss_bytes: 20 * MiB }]);
});

test('compact deletes what is past each tier keep, and processes with no samples left', (t) => {
  const path = join(tempDir(t), 'h.db');
  let h = History.open(path, { retention: SMALL });
  for (let i = 0; i < 300; i++)
    h.writeTick(T0 + i, { machine: machine(), processes: [proc(1, 1), proc(2, 2)], cgroups: [cgroup('/a')] });
  h.compact(T0 + 300);
  // 1 s: the last 120 s. 10 s: all 30 buckets. 60 s: 5 buckets.
  assert.deepEqual(countByTier(path, 'ticks'), { 1: 120, 10: 30, 60: 5 });
  assert.deepEqual(countByTier(path, 'proc_samples'), { 1: 240, 10: 60, 60: 10 });
  assert.deepEqual(countByTier(path, 'cgroup_samples'), { 1: 120, 10: 30, 60: 5 });
  const oldest = inspectDb(path, (db) => db.prepare('SELECT min(t) FROM ticks WHERE tier = 1').pluck().get());
  assert.equal(oldest, (T0 + 180) * 1000);

  // Much later: the 1 s and 10 s tiers are empty; 60 s keeps the buckets that start in its last hour.
  h.compact(T0 + 3600 + 150);
  assert.deepEqual(countByTier(path, 'ticks'), { 60: 2 });
  assert.equal(h.knownProcesses(0).length, 2, 'kept while samples remain');
  h.close();
  h = History.open(path, { retention: SMALL });
  t.after(() => h.close());
  h.compact(T0 + 3600 + 300);
  assert.deepEqual(countByTier(path, 'ticks'), {});
  assert.deepEqual(countByTier(path, 'proc_samples'), {});
  assert.deepEqual(h.knownProcesses(0), []);
  assert.equal(
    inspectDb(path, (db) => db.prepare('SELECT count(*) FROM cgroups').pluck().get()),
    0,
  );
});

test('a long stop is caught up by one compact: everything rolled before anything expires', (t) => {
  const path = join(tempDir(t), 'h.db');
  const h = History.open(path, { retention: SMALL });
  t.after(() => h.close());
  for (let i = 0; i < 600; i++)
    h.writeTick(T0 + i, {
      machine: null,
      processes: [proc(1, 1, { rssBytes: (i < 300 ? 1 : 3) * MiB })],
      cgroups: [],
    });
  // No compaction while writing; the first one comes 50 minutes later.
  h.compact(T0 + 3000);
  assert.deepEqual(countByTier(path, 'proc_samples'), { 60: 10 });
  const s = h.processSeries(1, 1, T0, T0 + 600);
  assert.deepEqual(
    s.t,
    Array.from({ length: 10 }, (_, k) => T0 + 60 * k),
  );
  assert.deepEqual(
    s.rssBytes,
    [1, 1, 1, 1, 1, 3, 3, 3, 3, 3].map((v) => v * MiB),
  );
});

/**
 * 1506 s of one process at 1 s, compacted every 10 s (the last time at 1500 s, so the last six
 * ticks are not rolled up yet).
 */
function longRun(t: import('node:test').TestContext) {
  const path = join(tempDir(t), 'h.db');
  const h = History.open(path, { retention: SMALL });
  t.after(() => h.close());
  for (let i = 0; i < 1506; i++) {
    h.writeTick(T0 + i, {
      machine: machine({ memAvailableBytes: i * MiB }),
      processes: [proc(1, 1, { rssBytes: i * MiB, minorFaults: 5 * i })],
      cgroups: [],
    });
    if (i % 10 === 9) h.compact(T0 + i + 1);
  }
  return { h, path, now: T0 + 1505 };
}

function col(s: Columnar, field: string): (number | null)[] {
  const c = s[field];
  assert.ok(c, `no field ${field}`);
  return c;
}

function steps(ts: number[]): number[] {
  return ts.slice(1).map((x, i) => x - (ts[i] as number));
}

test('a series comes from the finest tier that reaches back far enough, finer tiers filling in the newest part', (t) => {
  const { h, now } = longRun(t);
  // 1 s tier: 100 s at 1 s.
  const recent = h.processSeries(1, 1, now - 99, now);
  assert.equal(recent.t.length, 100);
  assert.ok(steps(recent.t).every((d) => d === 1));
  assert.deepEqual(col(recent, 'rssBytes').at(-1), 1505 * MiB);
  assert.deepEqual(col(recent, 'minorFaultsPerSec').slice(1), Array(99).fill(5));

  // 8 minutes: past the 1 s tier's 2 min, so 10 s buckets, then the last seconds not rolled yet.
  const mid = h.processSeries(1, 1, now - 480, now);
  const midSteps = steps(mid.t);
  assert.ok(
    midSteps.slice(0, 40).every((d) => d === 10),
    `10 s steps first: ${midSteps.slice(0, 40)}`,
  );
  assert.ok(
    midSteps.slice(-5).every((d) => d === 1),
    `1 s steps last: ${midSteps.slice(-5)}`,
  );
  assert.equal(mid.t.at(-1), now);
  // A 10 s bucket is the mean of its ticks: the bucket at 1100..1109 has mean rss 1104.5 MiB.
  const k = mid.t.indexOf(T0 + 1100);
  assert.equal(col(mid, 'rssBytes')[k], 1104.5 * MiB);
  // Rates across tiers stay 5/s: each row's counter is paired with when it was read.
  assert.ok(
    col(mid, 'minorFaultsPerSec')
      .slice(1)
      .every((r) => r === 5),
    `${mid.minorFaultsPerSec}`,
  );

  // Everything: 60 s buckets from the start, then 10 s, then 1 s.
  const all = h.processSeries(1, 1, T0, now);
  assert.equal(all.t[0], T0);
  assert.equal(all.t[1], T0 + 60);
  assert.equal(all.t.at(-1), now);
  assert.ok(steps(all.t).every((d) => d > 0));
  assert.ok(
    col(all, 'minorFaultsPerSec')
      .slice(1)
      .every((r) => r === 5),
  );
  // Machine series choose the same way.
  assert.deepEqual(h.machineSeries(T0, now).t, all.t);
});

test('downsampling: at most maxPoints, buckets of whole steps aligned in time, weighted means', (t) => {
  const { h, now } = longRun(t);
  for (const maxPoints of [1, 2, 7, 50, 100, 199]) {
    const s = h.processSeries(1, 1, T0, now, maxPoints);
    assert.ok(s.t.length <= maxPoints, `${s.t.length} > ${maxPoints}`);
    assert.ok(
      s.t.length >= Math.min(maxPoints, 2) - (maxPoints > 2 ? 1 : 0),
      `${maxPoints}: ${s.t.length} points`,
    );
    // The machine's memAvailable is i MiB at tick i, so any bucket's weighted mean is its mean tick.
    // The series overall: its first point starts at T0, its mean values rise.
    assert.equal(s.t[0], T0);
    const avail = s.rssBytes as number[];
    assert.ok(avail.every((v, i) => i === 0 || v > (avail[i - 1] as number)));
  }
  // One point: the mean over everything, 752.5 MiB, whatever mix of tiers carries it.
  assert.deepEqual(h.machineSeries(T0, now, 1).memAvailableBytes, [752.5 * MiB]);
  assert.deepEqual(h.processSeries(1, 1, T0, now, 1).minorFaultsPerSec, [5]);

  // The 1 s tier on its own: 120 ticks into 10 points -> buckets of 14 s aligned to multiples of 14 s.
  const fine = h.processSeries(1, 1, now - 119, now, 10);
  const w = 1000 * Math.ceil(119_000 / 9 / 1000);
  const groups = new Map<number, number[]>();
  for (let i = now - 119; i <= now; i++) {
    const key = Math.floor((i * 1000) / w);
    groups.set(key, [...(groups.get(key) ?? []), i]);
  }
  assert.deepEqual(
    fine.t,
    [...groups.values()].map((g) => g[0]),
  );
  assert.deepEqual(
    fine.rssBytes,
    [...groups.values()].map((g) => Math.round((g.reduce((a, b) => a + (b - T0), 0) / g.length) * MiB)),
  );
  // Fewer rows than maxPoints: every row.
  assert.equal(h.processSeries(1, 1, now - 119, now, 1000).t.length, 120);
});

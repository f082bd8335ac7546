// What the history costs: time and bytes written per tick at 300 processes, bytes per stored row
// in each tier (measured on a real file), and from those the database size per day and at steady
// state for the default retention. A scaled-down run checks that the file stops growing once every
// tier is full, and that the projection method predicts its size.

import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import Database from 'better-sqlite3';
import { DEFAULT_RETENTION, describeRetention, History, type RetentionTier } from '../../src/store/index.js';
import { cgroupPopulation, machine, population, T0, tempDir } from './_helpers.js';

const PROCS = 300;
const CGROUPS = 20;
const MB = 1e6;

/** Bytes this process has passed to write(2) so far (wchar of /proc/self/io). */
function writtenBytes(): number {
  const m = /^wchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}

function tickAt(i: number, procs = PROCS, cgroups = CGROUPS) {
  return {
    machine: machine({ memAvailableBytes: 4e9 + (i % 1000) * 4096 }),
    processes: population(procs, i),
    cgroups: cgroupPopulation(cgroups, i),
  };
}

const TABLES = ['ticks', 'proc_samples', 'cgroup_samples'] as const;
type Table = (typeof TABLES)[number];

/**
 * Bytes per row of each table in each tier: a copy of the file keeps one tier, is vacuumed, and
 * the bytes its table's pages hold (dbstat: page size less unused space, so cells, their headers
 * and interior pages, but not the free end of the last page) are divided by its rows. How full
 * pages are in a running file is measured separately (`fill`).
 */
function bytesPerRow(t: TestContext, path: string, tiers: number[]): Record<number, Record<Table, number>> {
  const dir = tempDir(t, 'memlens-growth-');
  const out: Record<number, Record<Table, number>> = {};
  for (const tier of tiers) {
    const copy = join(dir, `tier-${tier}.db`);
    const src = new Database(path, { readonly: true });
    src.exec(`VACUUM INTO '${copy}'`);
    src.close();
    const db = new Database(copy);
    for (const table of TABLES) db.prepare(`DELETE FROM ${table} WHERE tier != ?`).run(tier);
    db.exec('VACUUM');
    const per = {} as Record<Table, number>;
    for (const table of TABLES) {
      const rows = db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
      const bytes = db
        .prepare('SELECT sum(pgsize - unused) FROM dbstat WHERE name = ?')
        .pluck()
        .get(table) as number;
      per[table] = bytes / rows;
    }
    db.close();
    out[tier] = per;
  }
  return out;
}

/** Rows each tier holds after `days` of running, per entity, and the bytes they take. */
function projectBytes(
  retention: readonly RetentionTier[],
  perRow: Record<number, Record<Table, number>>,
  seconds: number,
  entities: Record<Table, number>,
): number {
  let bytes = 0;
  for (const tier of retention) {
    const rows = Math.floor(Math.min(seconds, tier.keepSec) / tier.stepSec);
    const per = perRow[tier.stepSec];
    assert.ok(per);
    for (const table of TABLES) bytes += rows * entities[table] * per[table];
  }
  return bytes;
}

/** Filled in by the subtests in order: bytes per row of each tier, how full a running file's pages are. */
let perRow: Record<number, Record<Table, number>> | undefined;
let fill: number | undefined;

test('growth', async (t) => {
  await t.test('write cost per tick at 300 processes, and bytes per row in each tier', (t) => {
    const path = join(tempDir(t), 'history.db');
    const h = History.open(path);
    t.after(() => h.close());
    const ticks = Array.from({ length: 1200 }, (_, i) => tickAt(i));
    for (let i = 0; i < 200; i++) {
      h.writeTick(T0 + i, ticks[i] as ReturnType<typeof tickAt>);
      if (i % 60 === 59) h.compact(T0 + i + 1);
    }

    // Ticks 200..1199: time of each writeTick and compact(), and bytes written (WAL and checkpoints).
    const times: number[] = [];
    const compactMs: number[] = [];
    const w0 = writtenBytes();
    for (let i = 200; i < 1200; i++) {
      const start = process.hrtime.bigint();
      h.writeTick(T0 + i, ticks[i] as ReturnType<typeof tickAt>);
      times.push(Number(process.hrtime.bigint() - start) / 1000);
      if (i % 60 === 59) {
        const c = process.hrtime.bigint();
        h.compact(T0 + i + 1);
        compactMs.push(Number(process.hrtime.bigint() - c) / 1e6);
      }
    }
    const wrote = (writtenBytes() - w0) / 1000;
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
    const median = med(times);
    const p95 = [...times].sort((a, b) => a - b)[Math.floor(times.length * 0.95)] as number;
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    console.log(
      `# writeTick, ${PROCS} processes + ${CGROUPS} cgroups + machine: median ${median.toFixed(0)} µs, ` +
        `mean ${mean.toFixed(0)} µs, p95 ${p95.toFixed(0)} µs; ${(wrote / 1024).toFixed(1)} KiB written per tick ` +
        `(WAL and checkpoints); compact() each minute: median ${med(compactMs).toFixed(1)} ms, ` +
        `max ${Math.max(...compactMs).toFixed(1)} ms`,
    );
    // Generous bounds for slow CI machines: the point is the order of magnitude (1 s ticks).
    assert.ok(median < 5000, `median ${median} µs per tick`);
    assert.ok(wrote < 512 * 1024, `${wrote} bytes per tick`);

    perRow = bytesPerRow(t, path, [1, 60, 600]);
    for (const [tier, per] of Object.entries(perRow))
      console.log(
        `# bytes per row, tier ${tier} s: ticks ${per.ticks.toFixed(1)}, proc_samples ${per.proc_samples.toFixed(1)}, cgroup_samples ${per.cgroup_samples.toFixed(1)}`,
      );
    for (const per of Object.values(perRow)) assert.ok(per.proc_samples > 30 && per.proc_samples < 150);
  });

  await t.test('a scaled-down retention: the file stops growing once every tier is full', (t) => {
    // 1 s for 2 min, 10 s for 10 min, 1 min for 30 min: steady state after 30 simulated minutes.
    const retention: RetentionTier[] = [
      { stepSec: 1, keepSec: 120 },
      { stepSec: 10, keepSec: 600 },
      { stepSec: 60, keepSec: 1800 },
    ];
    const procs = 100;
    const cgroups = 5;
    const path = join(tempDir(t), 'history.db');
    const h = History.open(path, { retention });
    t.after(() => h.close());
    const sizes: number[] = [];
    const pagesInUse = (): number =>
      inspect(
        path,
        (db) =>
          (db.pragma('page_count', { simple: true }) as number) -
          (db.pragma('freelist_count', { simple: true }) as number),
      );
    const used: number[] = [];
    for (let i = 0; i < 3600; i++) {
      h.writeTick(T0 + i, tickAt(i, procs, cgroups));
      if (i % 60 === 59) h.compact(T0 + i + 1);
      if (i % 600 === 599) {
        sizes.push(statSync(path).size);
        used.push(pagesInUse());
      }
    }
    console.log(
      `# scaled run, every 10 simulated min: pages in use ${used.join(', ')}; db file ${sizes.map((s) => (s / MB).toFixed(2)).join(', ')} MB; WAL ${(statSync(`${path}-wal`).size / MB).toFixed(2)} MB`,
    );
    // Full after 30 min: from then on, as many pages in use (freed pages are reused).
    const at40 = used[3] as number;
    const at60 = used[5] as number;
    assert.ok(at60 <= at40 * 1.03, `grew from ${at40} to ${at60} pages`);

    // How full the pages of a running file are: its pages in use against the bytes its rows need.
    const rowsPer = bytesPerRow(
      t,
      path,
      retention.map((r) => r.stepSec),
    );
    const needed = projectBytes(retention, rowsPer, 3600, {
      ticks: 1,
      proc_samples: procs,
      cgroup_samples: cgroups,
    });
    fill = needed / (at60 * 4096);
    console.log(
      `# the rows need ${(needed / MB).toFixed(2)} MB; ${((at60 * 4096) / MB).toFixed(2)} MB of pages hold them: ${(fill * 100).toFixed(0)}% full`,
    );
    assert.ok(fill > 0.5 && fill <= 1, `fill ${fill}`);
  });

  await t.test('projected size of the default retention, per day and at steady state', () => {
    assert.ok(perRow && fill, 'the subtests before measured bytes per row and fill');
    const rows = perRow;
    const f = fill;
    // 300 processes, 20 cgroups, the machine.
    const entities = { ticks: 1, proc_samples: PROCS, cgroup_samples: CGROUPS };
    const size = (days: number) => projectBytes(DEFAULT_RETENTION, rows, days * 86400, entities) / f;
    const lines = [1, 2, 7, 30, 90].map((d) => `day ${d}: ${(size(d) / MB).toFixed(0)} MB`);
    console.log(
      `# projected database (${describeRetention(DEFAULT_RETENTION)}; ${PROCS} processes, ${CGROUPS} cgroups): ${lines.join(', ')}`,
    );
    console.log(
      `# growth per day: ${((size(2) - size(1)) / MB).toFixed(1)} MB in the first week, ` +
        `${((size(31) - size(30)) / MB).toFixed(1)} MB from day 7 to day 90, 0 after; ` +
        `steady state ${(size(90) / MB).toFixed(0)} MB, plus a WAL of about 4 MB (at most 16 MB kept)`,
    );
    assert.equal(size(365), size(90), 'bounded');
  });
});

function inspect<T>(path: string, fn: (db: Database.Database) => T): T {
  const db = new Database(path, { readonly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

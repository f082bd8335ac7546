// Shared by the store tests: temporary folders that clean up after themselves, sample rows with
// realistic magnitudes, and a direct look into the SQLite file (for counts the API does not show).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import Database from 'better-sqlite3';
import type { CgroupSampleRow, MachineSampleRow, ProcSampleRow } from '../../src/store/index.js';

export const MiB = 1024 * 1024;
/** A round start time (unix seconds), a multiple of 600 so buckets start on it. */
export const T0 = 1_800_000_000;

/** A fresh folder, removed when the test ends. */
export function tempDir(t: TestContext, prefix = 'memlens-store-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function proc(pid: number, startTicks: number, over: Partial<ProcSampleRow> = {}): ProcSampleRow {
  return {
    pid,
    startTicks,
    name: `proc-${pid}`,
    vszBytes: 1200 * MiB,
    rssBytes: 52 * MiB,
    pssBytes: 40 * MiB,
    ussBytes: 30 * MiB,
    swapBytes: 0,
    anonBytes: 28 * MiB,
    fileBytes: 22 * MiB,
    shmemBytes: 2 * MiB,
    minorFaults: 10_000,
    majorFaults: 12,
    ...over,
  };
}

export function machine(over: Partial<MachineSampleRow> = {}): MachineSampleRow {
  return {
    memTotalBytes: 8 * 1024 * MiB,
    memAvailableBytes: 5 * 1024 * MiB,
    cachedBytes: 2 * 1024 * MiB,
    swapTotalBytes: 2 * 1024 * MiB,
    swapFreeBytes: 2 * 1024 * MiB,
    psiSomeAvg10: 0.25,
    psiFullAvg10: 0,
    oomKills: 0,
    ...over,
  };
}

export function cgroup(path: string, over: Partial<CgroupSampleRow> = {}): CgroupSampleRow {
  return {
    path,
    usageBytes: 300 * MiB,
    workingSetBytes: 250 * MiB,
    limitBytes: 1024 * MiB,
    anonBytes: 200 * MiB,
    fileBytes: 90 * MiB,
    shmemBytes: 1 * MiB,
    kernelBytes: 9 * MiB,
    oomKills: 0,
    psiSomeAvg10: 0,
    ...over,
  };
}

/**
 * A population of `n` processes as a real machine shows them at tick `i`: sizes from a few MiB to
 * GiBs, kiB-aligned as the kernel reports them, drifting a little each tick, fault counters rising.
 */
export function population(n: number, i: number): ProcSampleRow[] {
  const out: ProcSampleRow[] = [];
  for (let k = 0; k < n; k++) {
    // A fixed per-process size between ~2 MiB and ~1.5 GiB, plus a small wobble per tick.
    const base = Math.round(2 * MiB * 1.025 ** ((k * 37) % 270));
    const wobble = ((k * 7919 + i * 104729) % 64) * 4096;
    const rss = Math.floor((base + wobble) / 1024) * 1024;
    out.push({
      pid: 100 + k * 13,
      startTicks: 1000 + k * 211,
      name: `svc-${k}`,
      vszBytes: Math.floor((rss * 6 + 300 * MiB) / 4096) * 4096,
      rssBytes: rss,
      pssBytes: Math.floor((rss * 0.8) / 1024) * 1024,
      ussBytes: Math.floor((rss * 0.6) / 1024) * 1024,
      swapBytes: k % 5 === 0 ? Math.floor((rss * 0.1) / 1024) * 1024 : 0,
      anonBytes: Math.floor((rss * 0.55) / 1024) * 1024,
      fileBytes: Math.floor((rss * 0.4) / 1024) * 1024,
      shmemBytes: k % 7 === 0 ? 4 * MiB : 0,
      minorFaults: 50_000 + k * 1000 + i * (k % 11),
      majorFaults: 100 + k + (i >> 8),
    });
  }
  return out;
}

export function cgroupPopulation(n: number, i: number): CgroupSampleRow[] {
  return Array.from({ length: n }, (_, k) =>
    cgroup(`/system.slice/unit-${k}.service`, {
      usageBytes: (100 + k * 10) * MiB + (i % 32) * 4096,
      workingSetBytes: (80 + k * 10) * MiB + (i % 32) * 4096,
      limitBytes: k % 3 === 0 ? null : 2048 * MiB,
      psiSomeAvg10: k % 4 === 0 ? (i % 100) / 10 : 0,
    }),
  );
}

/** Runs `fn` on the history file opened directly, read-only. */
export function inspectDb<T>(path: string, fn: (db: Database.Database) => T): T {
  const db = new Database(path, { readonly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

export function countByTier(path: string, table: string): Record<number, number> {
  return inspectDb(path, (db) => {
    const out: Record<number, number> = {};
    for (const r of db.prepare(`SELECT tier, count(*) AS c FROM ${table} GROUP BY tier`).all() as {
      tier: number;
      c: number;
    }[])
      out[r.tier] = r.c;
    return out;
  });
}

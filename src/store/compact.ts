// Compaction: each tier's complete buckets rolled into the next coarser tier, then what is past
// each tier's keep deleted, never rows not rolled up yet. Roll-ups read one bucket of the finer
// tier at a time (18,000 rows for a minute of 300 processes) and aggregate in JS: weighted means,
// last counters (aggregate.ts). A watermark per tier (meta `rolled_until:<step>`) says how far it
// has been rolled, so a compaction after a long stop catches up, and one with nothing new is a
// few index lookups.

import type Database from 'better-sqlite3';
import { type Kind, MIN_T, prepareInsert, SPECS, type Statement, TABLES, type TierState } from './_db.js';
import { BucketAccumulator } from './aggregate.js';
import { columnList } from './columns.js';

export class Compactor {
  private readonly nextT: Statement;
  private readonly bucketRows: Record<Kind, Statement>;
  private readonly inserts: Record<Kind, Statement>;
  private readonly expire: Statement[];
  private readonly expireProcs: Statement;
  private readonly expireCgroups: Statement;
  private readonly maxKeepMs: number;
  /** Tiers in the file that the retention no longer names: expired with the longest keep. */
  private readonly strayTiers: number[];
  readonly run: (nowMs: number) => void;

  constructor(
    db: Database.Database,
    private readonly state: TierState,
    beforeWrite: () => void,
  ) {
    const retention = state.retention;
    this.maxKeepMs = Math.max(...retention.map((t) => t.keepSec)) * 1000;
    this.nextT = db.prepare('SELECT min(t) FROM ticks WHERE tier = ? AND t >= ? AND t < ?').pluck();
    const kinds: Kind[] = ['machine', 'process', 'cgroup'];
    const rows = (kind: Kind) => {
      const { table, idColumn } = TABLES[kind];
      return db
        .prepare(
          `SELECT ${idColumn ?? '0'}, t, n, last_dt, ${columnList(SPECS[kind])} FROM ${table} WHERE tier = ? AND t >= ? AND t < ?`,
        )
        .raw();
    };
    this.bucketRows = Object.fromEntries(kinds.map((k) => [k, rows(k)])) as Record<Kind, Statement>;
    this.inserts = Object.fromEntries(kinds.map((k) => [k, prepareInsert(db, k)])) as Record<Kind, Statement>;
    this.expire = kinds.map((k) => db.prepare(`DELETE FROM ${TABLES[k].table} WHERE tier = ? AND t < ?`));
    this.expireProcs = db.prepare('DELETE FROM processes WHERE last_t IS NOT NULL AND last_t < ?');
    this.expireCgroups = db.prepare('DELETE FROM cgroups WHERE last_t IS NOT NULL AND last_t < ?');
    const inFile = db
      .prepare(
        `WITH RECURSIVE x(tier) AS (SELECT min(tier) FROM ticks
           UNION ALL SELECT (SELECT min(tier) FROM ticks WHERE tier > x.tier) FROM x WHERE x.tier IS NOT NULL)
         SELECT tier FROM x WHERE tier IS NOT NULL`,
      )
      .pluck()
      .all() as number[];
    this.strayTiers = inFile.filter((tier) => !retention.some((r) => r.stepSec === tier));
    this.run = db.transaction((nowMs: number) => {
      beforeWrite();
      this.compact(nowMs);
    });
  }

  private compact(nowMs: number): void {
    const retention = this.state.retention;
    for (let i = 1; i < retention.length; i++) this.rollUp(i, nowMs);
    for (let i = 0; i < retention.length; i++) {
      let cutoff = nowMs - (retention[i]?.keepSec ?? 0) * 1000;
      if (i + 1 < retention.length) cutoff = Math.min(cutoff, this.state.rolledUntil(i + 1) ?? MIN_T);
      for (const stmt of this.expire) stmt.run(this.state.step(i), cutoff);
    }
    for (const tier of this.strayTiers)
      for (const stmt of this.expire) stmt.run(tier, nowMs - this.maxKeepMs);
    this.expireProcs.run(nowMs - this.maxKeepMs);
    this.expireCgroups.run(nowMs - this.maxKeepMs);
  }

  /** Rolls tier i-1's buckets that ended by nowMs into tier i. */
  private rollUp(i: number, nowMs: number): void {
    const fine = this.state.step(i - 1);
    const coarse = this.state.step(i);
    const bucketMs = coarse * 1000;
    let limit = Math.floor(nowMs / bucketMs) * bucketMs;
    // A coarser tier only takes buckets the finer one holds complete.
    if (i > 1) limit = Math.min(limit, this.state.rolledUntil(i - 1) ?? MIN_T);
    const done = this.state.rolledUntil(i);
    if (limit <= (done ?? MIN_T)) return;
    let from = done ?? MIN_T;
    for (;;) {
      // Skip empty stretches (the writer was stopped) in one lookup.
      const next = this.nextT.get(fine, from, limit) as number | null;
      if (next === null) break;
      const b = Math.floor(next / bucketMs) * bucketMs;
      this.rollBucket(fine, coarse, b, b + bucketMs);
      from = b + bucketMs;
    }
    this.state.setRolledUntil(i, limit);
  }

  private rollBucket(fine: number, coarse: number, b: number, e: number): void {
    for (const kind of ['machine', 'process', 'cgroup'] as const) {
      const specs = SPECS[kind];
      const groups = new Map<number, BucketAccumulator>();
      for (const r of this.bucketRows[kind].all(fine, b, e) as unknown[][]) {
        const id = r[0] as number;
        let acc = groups.get(id);
        if (!acc) {
          acc = new BucketAccumulator(specs);
          groups.set(id, acc);
        }
        const t = r[1] as number;
        acc.add(t, r[2] as number, t + (r[3] as number), r, 4);
      }
      const insert = this.inserts[kind];
      for (const [id, acc] of groups) {
        const values = specs.map((_, j) => acc.value(j));
        // When the last tick in the bucket was, for rates from its counters.
        const lastDt = acc.lastCt - b;
        if (kind === 'machine') insert.run(coarse, b, acc.n, lastDt, ...values);
        else insert.run(coarse, b, id, acc.n, lastDt, ...values);
      }
    }
  }
}

// What the writer, the compactor and the series reader share: statement shapes, the sample kinds,
// time conversion, and the tier state kept in the file (latest tick, roll-up watermarks).

import type Database from 'better-sqlite3';
import { CGROUP_COLUMNS, type ColumnSpec, columnList, MACHINE_COLUMNS, PROC_COLUMNS } from './columns.js';
import type { RetentionTier } from './retention.js';

// biome-ignore lint/suspicious/noExplicitAny: better-sqlite3's statements take any bind values
export type Statement = Database.Statement<any[], any>;

export type Kind = 'machine' | 'process' | 'cgroup';

export const SPECS: Record<Kind, readonly ColumnSpec[]> = {
  machine: MACHINE_COLUMNS,
  process: PROC_COLUMNS,
  cgroup: CGROUP_COLUMNS,
};

/** Sample table and its entity column per kind; the machine's samples live in `ticks`. */
export const TABLES: Record<Kind, { table: string; idColumn: string | null }> = {
  machine: { table: 'ticks', idColumn: null },
  process: { table: 'proc_samples', idColumn: 'proc_id' },
  cgroup: { table: 'cgroup_samples', idColumn: 'cgroup_id' },
};

/** Lower than any time: a bound for "from the beginning". */
export const MIN_T = Number.MIN_SAFE_INTEGER;

/** Unix seconds from the API to the integer milliseconds stored. */
export function toMs(sec: number, what: string): number {
  if (!Number.isFinite(sec))
    throw new RangeError(`${what} must be a finite number of unix seconds, got "${sec}"`);
  return Math.round(sec * 1000);
}

/**
 * INSERT OR REPLACE of one sample row of a kind, bound as
 * (tier, t, [entity id,] n, last_dt, ...figures in SPECS order).
 */
export function prepareInsert(db: Database.Database, kind: Kind): Statement {
  const { table, idColumn } = TABLES[kind];
  const specs = SPECS[kind];
  const keys = ['tier', 't', ...(idColumn ? [idColumn] : []), 'n', 'last_dt'];
  const marks = Array.from({ length: keys.length + specs.length }, () => '?').join(', ');
  return db.prepare(
    `INSERT OR REPLACE INTO ${table} (${keys.join(', ')}, ${columnList(specs)}) VALUES (${marks})`,
  );
}

/** The tier state kept in the file, read fresh each time: another process may be the writer. */
export class TierState {
  private readonly maxT: Statement;
  private readonly minT: Statement;
  private readonly metaGet: Statement;
  private readonly metaSet: Statement;

  constructor(
    db: Database.Database,
    readonly retention: readonly RetentionTier[],
  ) {
    this.maxT = db.prepare('SELECT max(t) FROM ticks WHERE tier = ?').pluck();
    this.minT = db.prepare('SELECT min(t) FROM ticks WHERE tier = ?').pluck();
    this.metaGet = db.prepare('SELECT value FROM meta WHERE key = ?').pluck();
    this.metaSet = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
  }

  step(i: number): number {
    return (this.retention[i] as RetentionTier).stepSec;
  }

  /** Tier i's buckets hold the finer tier's data before this time (ms); null if never rolled. */
  rolledUntil(i: number): number | null {
    const v = this.metaGet.get(`rolled_until:${this.step(i)}`);
    return typeof v === 'number' ? v : null;
  }

  setRolledUntil(i: number, ms: number): void {
    this.metaSet.run(`rolled_until:${this.step(i)}`, ms);
  }

  /** Time (ms) of the newest tick or bucket in any tier, null for an empty history. */
  latestTickMs(): number | null {
    let latest: number | null = null;
    for (const tier of this.retention) {
      const t = this.maxT.get(tier.stepSec) as number | null;
      if (t !== null && (latest === null || t > latest)) latest = t;
    }
    return latest;
  }

  /** Time (ms) of the oldest row of tier i, null if it has none. */
  earliestMs(i: number): number | null {
    return (this.minT.get(this.step(i)) as number | null) ?? null;
  }
}

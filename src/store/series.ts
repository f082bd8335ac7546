// Reading the history back: a series of one process, cgroup or the machine over a range, from
// the finest tier that reaches back far enough, with the finer tiers filling in what has not been
// rolled up into it yet, downsampled to at most maxPoints (aggregate.ts).

import type Database from 'better-sqlite3';
import { type Kind, SPECS, type Statement, TABLES, type TierState, toMs } from './_db.js';
import { type Columnar, emptyColumnar, toColumnar } from './aggregate.js';
import { columnList } from './columns.js';

/** A process the history holds samples of. Times in unix seconds. */
export interface KnownProcess {
  pid: number;
  startTicks: number;
  name: string;
  firstT: number;
  lastT: number;
}

interface ProcessRow {
  id: number;
  pid: number;
  start_ticks: number;
  name: string;
  first_t: number;
  last_t: number | null;
}

interface Entity {
  id: number;
  firstT: number;
  lastT: number | null;
}

export class SeriesReader {
  private readonly rows: Record<Kind, Statement>;
  private readonly procExact: Statement;
  private readonly procLatest: Statement;
  private readonly cgroupByPath: Statement;
  private readonly known: Statement;
  private readonly maxStepMs: number;
  /** Runs a read in one snapshot, so a compaction by another process cannot slip between its queries. */
  private readonly snapshot: <T>(fn: () => T) => T;

  constructor(
    db: Database.Database,
    private readonly state: TierState,
  ) {
    this.maxStepMs = Math.max(...state.retention.map((t) => t.stepSec)) * 1000;
    const tx = db.transaction((fn: () => unknown) => fn());
    this.snapshot = <T>(fn: () => T): T => (db.inTransaction ? fn() : (tx(fn) as T));
    // An entity's series walks `ticks` over the range and looks each (tier, t, id) up by key;
    // CROSS JOIN keeps SQLite from scanning the samples instead.
    const joined = (kind: Kind) => {
      const { table, idColumn } = TABLES[kind];
      return db
        .prepare(
          `SELECT s.t, s.n, s.last_dt, ${columnList(SPECS[kind], 's.')} FROM ticks k CROSS JOIN ${table} s
           ON s.tier = k.tier AND s.t = k.t AND s.${idColumn} = ?
           WHERE k.tier = ? AND k.t >= ? AND k.t <= ? ORDER BY k.t`,
        )
        .raw();
    };
    this.rows = {
      machine: db
        .prepare(
          `SELECT t, n, last_dt, ${columnList(SPECS.machine)} FROM ticks WHERE tier = ? AND t >= ? AND t <= ? ORDER BY t`,
        )
        .raw(),
      process: joined('process'),
      cgroup: joined('cgroup'),
    };
    const procInfo = 'SELECT id, pid, start_ticks, name, first_t, last_t FROM processes';
    this.procExact = db.prepare(`${procInfo} WHERE pid = ? AND start_ticks = ?`);
    // The live one (last_t NULL) first, else the one seen last.
    this.procLatest = db.prepare(
      `${procInfo} WHERE pid = ? ORDER BY last_t IS NOT NULL, last_t DESC, first_t DESC LIMIT 1`,
    );
    this.cgroupByPath = db.prepare('SELECT id, first_t, last_t FROM cgroups WHERE path = ?');
    this.known = db.prepare(`${procInfo} WHERE last_t IS NULL OR last_t >= ? ORDER BY first_t, id`);
  }

  process(pid: number, startTicks: number | null, from: number, to: number, maxPoints: number): Columnar {
    const r = this.findRow(pid, startTicks);
    return this.series(
      'process',
      r ? { id: r.id, firstT: r.first_t, lastT: r.last_t } : null,
      from,
      to,
      maxPoints,
    );
  }

  machine(from: number, to: number, maxPoints: number): Columnar {
    return this.series('machine', null, from, to, maxPoints);
  }

  cgroup(path: string, from: number, to: number, maxPoints: number): Columnar {
    const r = this.cgroupByPath.get(path) as
      | { id: number; first_t: number; last_t: number | null }
      | undefined;
    return this.series(
      'cgroup',
      r ? { id: r.id, firstT: r.first_t, lastT: r.last_t } : null,
      from,
      to,
      maxPoints,
    );
  }

  knownProcesses(since: number): KnownProcess[] {
    const sinceMs = toMs(since, 'since');
    return this.snapshot(() => {
      const latest = this.state.latestTickMs();
      const out: KnownProcess[] = [];
      for (const r of this.known.all(sinceMs) as ProcessRow[]) {
        const info = toKnown(r, latest);
        if (info.lastT * 1000 >= sinceMs) out.push(info);
      }
      return out;
    });
  }

  findProcess(pid: number, startTicks: number | null): KnownProcess | null {
    const r = this.findRow(pid, startTicks);
    return r ? toKnown(r, this.state.latestTickMs()) : null;
  }

  private findRow(pid: number, startTicks: number | null): ProcessRow | undefined {
    return (startTicks === null ? this.procLatest.get(pid) : this.procExact.get(pid, startTicks)) as
      | ProcessRow
      | undefined;
  }

  private series(kind: Kind, entity: Entity | null, from: number, to: number, maxPoints: number): Columnar {
    const fromMs = toMs(from, 'Range start');
    const toMsv = toMs(to, 'Range end');
    if (fromMs > toMsv) throw new RangeError(`Range start ${from} is after its end ${to}`);
    if (!Number.isSafeInteger(maxPoints) || maxPoints < 1)
      throw new RangeError(`maxPoints must be a whole number >= 1, got "${maxPoints}"`);
    const specs = SPECS[kind];
    if (kind !== 'machine' && entity === null) return emptyColumnar(specs);

    // Only walk the ticks the entity can be in (a coarse bucket may start before it did).
    let lo = fromMs;
    let hi = toMsv;
    if (entity) {
      lo = Math.max(lo, entity.firstT - this.maxStepMs);
      if (entity.lastT !== null) hi = Math.min(hi, entity.lastT);
    }
    const k = this.chooseTier(fromMs);
    const rows: unknown[][] = [];
    // The chosen tier, then the finer ones for what has not been rolled up into it yet.
    for (let i = k; i >= 0 && lo <= hi; i--) {
      const tier = this.state.step(i);
      const stmt = this.rows[kind];
      const got = (entity ? stmt.all(entity.id, tier, lo, hi) : stmt.all(tier, lo, hi)) as unknown[][];
      for (const r of got) rows.push(r);
      if (i > 0) {
        const until = this.state.rolledUntil(i);
        if (until !== null) lo = Math.max(lo, until);
      }
    }
    const stepMs = this.state.step(k) * 1000;
    return toColumnar(specs, { rows, fromMs, toMs: toMsv, stepMs, maxPoints });
  }

  /**
   * The finest tier whose data reaches back to fromMs, or as far back as the coarser tiers' data
   * does (give or take one bucket of the next tier, which rolled-up buckets start on).
   */
  private chooseTier(fromMs: number): number {
    const n = this.state.retention.length;
    const earliest = Array.from({ length: n }, (_, i) => this.state.earliestMs(i));
    for (let i = 0; i < n; i++) {
      const e = earliest[i];
      if (e === null || e === undefined) continue;
      let coarser = Number.POSITIVE_INFINITY;
      for (let j = i + 1; j < n; j++) coarser = Math.min(coarser, earliest[j] ?? Number.POSITIVE_INFINITY);
      if (coarser === Number.POSITIVE_INFINITY) return i;
      const slack = this.state.step(i + 1) * 1000;
      if (e <= Math.max(fromMs, coarser) + slack) return i;
    }
    return 0;
  }
}

function toKnown(r: ProcessRow, latestMs: number | null): KnownProcess {
  // Still marked live: seen until the latest tick.
  const lastMs = r.last_t ?? Math.max(r.first_t, latestMs ?? r.first_t);
  return {
    pid: r.pid,
    startTicks: r.start_ticks,
    name: r.name,
    firstT: r.first_t / 1000,
    lastT: lastMs / 1000,
  };
}

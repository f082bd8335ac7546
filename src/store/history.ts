// memlens's history: every tick of the sampler in an embedded SQLite file, rolled up into coarser
// tiers and expired by compact(), read back as uPlot-friendly columns.
//
// One writer (the server) per file; any number of readers (other History instances, the CLI)
// may open it at the same time, as WAL allows. Times cross the API as unix seconds and are
// stored as integer milliseconds (schema.ts).
//
// Durability: each tick is one transaction; WAL with synchronous=NORMAL. A killed writer loses
// nothing committed, so at most the tick it was writing; a power cut may also lose the ticks since
// the last checkpoint (about every 80 ticks at 300 processes). close() checkpoints and truncates.

import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { BucketAccumulator, type Columnar, emptyColumnar, toColumnar } from './aggregate.js';
import {
  CGROUP_COLUMNS,
  type CgroupSampleRow,
  type ColumnSpec,
  columnList,
  MACHINE_COLUMNS,
  type MachineSampleRow,
  PROC_COLUMNS,
  type ProcSampleRow,
  valuesOf,
} from './columns.js';
import { HistoryError } from './errors.js';
import { defaultHistoryPath } from './paths.js';
import { DEFAULT_RETENTION, describeRetention, type RetentionTier, validateRetention } from './retention.js';
import { prepareDatabase } from './schema.js';

export type { Columnar } from './aggregate.js';
export type { CgroupSampleRow, MachineSampleRow, ProcSampleRow } from './columns.js';
export type { RetentionTier } from './retention.js';

export interface Tick {
  machine: MachineSampleRow | null;
  processes: ProcSampleRow[];
  cgroups: CgroupSampleRow[];
}

/** A process the history holds samples of. Times in unix seconds. */
export interface KnownProcess {
  pid: number;
  startTicks: number;
  name: string;
  firstT: number;
  lastT: number;
}

export interface HistoryOptions {
  retention?: RetentionTier[];
}

// biome-ignore lint/suspicious/noExplicitAny: better-sqlite3's statements take any bind values
type Statement = Database.Statement<any[], any>;
type Kind = 'machine' | 'process' | 'cgroup';

const SPECS: Record<Kind, readonly ColumnSpec[]> = {
  machine: MACHINE_COLUMNS,
  process: PROC_COLUMNS,
  cgroup: CGROUP_COLUMNS,
};
const MIN_T = Number.MIN_SAFE_INTEGER;
const DEFAULT_MAX_POINTS = 1000;

interface LiveProcess {
  startTicks: number;
  id: number;
  name: string;
  lastSeen: number;
  tick: number;
}
interface LiveCgroup {
  id: number;
  lastSeen: number;
  tick: number;
}
interface Entity {
  id: number;
  firstT: number;
  lastT: number | null;
}

function toMs(sec: number, what: string): number {
  if (!Number.isFinite(sec))
    throw new RangeError(`${what} must be a finite number of unix seconds, got "${sec}"`);
  return Math.round(sec * 1000);
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

export class History {
  /** The tiers, finest first. */
  readonly retention: readonly RetentionTier[];
  private readonly db: Database.Database;
  private readonly tier0: number;
  private readonly maxKeepMs: number;
  private readonly maxStepMs: number;
  /** Tiers found in the file that the retention no longer names: expired with the longest keep. */
  private readonly strayTiers: number[];
  private readonly liveProcesses = new Map<number, LiveProcess>();
  private readonly liveCgroups = new Map<string, LiveCgroup>();
  private tickNo = 0;
  /** True once this instance has settled the live markers a previous writer left behind. */
  private writing = false;
  private closed = false;

  private readonly insTick: Statement;
  private readonly insProc: Statement;
  private readonly insCgroup: Statement;
  private readonly upsertProc: Statement;
  private readonly renameProc: Statement;
  private readonly endProc: Statement;
  private readonly upsertCgroup: Statement;
  private readonly endCgroup: Statement;
  private readonly settleProcs: Statement;
  private readonly settleCgroups: Statement;
  private readonly maxT: Statement;
  private readonly minT: Statement;
  private readonly nextT: Statement;
  private readonly metaGet: Statement;
  private readonly metaSet: Statement;
  private readonly procExact: Statement;
  private readonly procLatest: Statement;
  private readonly cgroupByPath: Statement;
  private readonly known: Statement;
  private readonly seriesRows: Record<Kind, Statement>;
  private readonly bucketRows: Record<Kind, Statement>;
  private readonly expire: Statement[];
  private readonly expireProcs: Statement;
  private readonly expireCgroups: Statement;
  private readonly writeTx: (t: number, tick: Tick) => void;
  private readonly compactTx: (nowMs: number) => void;

  /**
   * Opens (creating folders, file and schema as needed) the history at `path`. Throws a
   * HistoryError: E_NOT_HISTORY for a file that is not a memlens history (left untouched),
   * E_SCHEMA_NEWER, E_OPEN, E_RETENTION.
   */
  static open(path: string, opts: HistoryOptions = {}): History {
    const retention = validateRetention(opts.retention ?? DEFAULT_RETENTION);
    if (path !== ':memory:') {
      try {
        mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      } catch (err) {
        throw new HistoryError('E_OPEN', `Cannot create the folder of "${path}": ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
    let db: Database.Database;
    try {
      db = new Database(path);
    } catch (err) {
      throw new HistoryError('E_OPEN', `Cannot open "${path}": ${(err as Error).message}`, { cause: err });
    }
    try {
      prepareDatabase(db, path);
      return new History(db, retention);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** $XDG_STATE_HOME/memlens/history.db, else ~/.local/state/memlens/history.db. */
  static defaultPath(env: NodeJS.ProcessEnv = process.env): string {
    return defaultHistoryPath(env);
  }

  private constructor(db: Database.Database, retention: readonly RetentionTier[]) {
    this.db = db;
    this.retention = retention;
    this.tier0 = (retention[0] as RetentionTier).stepSec;
    this.maxKeepMs = Math.max(...retention.map((t) => t.keepSec)) * 1000;
    this.maxStepMs = Math.max(...retention.map((t) => t.stepSec)) * 1000;
    const p = (sql: string): Statement => db.prepare(sql);
    const mcols = columnList(MACHINE_COLUMNS);
    const pcols = columnList(PROC_COLUMNS);
    const ccols = columnList(CGROUP_COLUMNS);

    this.insTick = p(
      `INSERT OR REPLACE INTO ticks (tier, t, n, last_dt, ${mcols}) VALUES (${placeholders(4 + MACHINE_COLUMNS.length)})`,
    );
    this.insProc = p(
      `INSERT OR REPLACE INTO proc_samples (tier, t, proc_id, n, last_dt, ${pcols}) VALUES (${placeholders(5 + PROC_COLUMNS.length)})`,
    );
    this.insCgroup = p(
      `INSERT OR REPLACE INTO cgroup_samples (tier, t, cgroup_id, n, last_dt, ${ccols}) VALUES (${placeholders(5 + CGROUP_COLUMNS.length)})`,
    );
    this.upsertProc = p(
      `INSERT INTO processes (pid, start_ticks, name, first_t, last_t) VALUES (?, ?, ?, ?, NULL)
       ON CONFLICT (pid, start_ticks) DO UPDATE SET name = excluded.name, last_t = NULL RETURNING id`,
    ).pluck();
    this.renameProc = p('UPDATE processes SET name = ? WHERE id = ?');
    this.endProc = p('UPDATE processes SET last_t = ? WHERE id = ?');
    this.upsertCgroup = p(
      `INSERT INTO cgroups (path, first_t, last_t) VALUES (?, ?, NULL)
       ON CONFLICT (path) DO UPDATE SET last_t = NULL RETURNING id`,
    ).pluck();
    this.endCgroup = p('UPDATE cgroups SET last_t = ? WHERE id = ?');
    this.settleProcs = p(
      'UPDATE processes SET last_t = max(first_t, coalesce(?, first_t)) WHERE last_t IS NULL',
    );
    this.settleCgroups = p(
      'UPDATE cgroups SET last_t = max(first_t, coalesce(?, first_t)) WHERE last_t IS NULL',
    );
    this.maxT = p('SELECT max(t) FROM ticks WHERE tier = ?').pluck();
    this.minT = p('SELECT min(t) FROM ticks WHERE tier = ?').pluck();
    this.nextT = p('SELECT min(t) FROM ticks WHERE tier = ? AND t >= ? AND t < ?').pluck();
    this.metaGet = p('SELECT value FROM meta WHERE key = ?').pluck();
    this.metaSet = p('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
    const procInfo = 'SELECT id, pid, start_ticks, name, first_t, last_t FROM processes';
    this.procExact = p(`${procInfo} WHERE pid = ? AND start_ticks = ?`);
    // The live one (last_t NULL) first, else the one seen last.
    this.procLatest = p(
      `${procInfo} WHERE pid = ? ORDER BY last_t IS NOT NULL, last_t DESC, first_t DESC LIMIT 1`,
    );
    this.cgroupByPath = p('SELECT id, first_t, last_t FROM cgroups WHERE path = ?');
    this.known = p(`${procInfo} WHERE last_t IS NULL OR last_t >= ? ORDER BY first_t, id`);

    // A series walks ticks over the range and looks each (tier, t, id) up by key: CROSS JOIN
    // keeps SQLite from scanning the samples instead.
    const joined = (table: string, idCol: string, cols: readonly ColumnSpec[]) =>
      p(
        `SELECT s.t, s.n, s.last_dt, ${columnList(cols, 's.')} FROM ticks k CROSS JOIN ${table} s
         ON s.tier = k.tier AND s.t = k.t AND s.${idCol} = ?
         WHERE k.tier = ? AND k.t >= ? AND k.t <= ? ORDER BY k.t`,
      ).raw();
    this.seriesRows = {
      machine: p(
        `SELECT t, n, last_dt, ${mcols} FROM ticks WHERE tier = ? AND t >= ? AND t <= ? ORDER BY t`,
      ).raw(),
      process: joined('proc_samples', 'proc_id', PROC_COLUMNS),
      cgroup: joined('cgroup_samples', 'cgroup_id', CGROUP_COLUMNS),
    };
    this.bucketRows = {
      machine: p(`SELECT 0, t, n, last_dt, ${mcols} FROM ticks WHERE tier = ? AND t >= ? AND t < ?`).raw(),
      process: p(
        `SELECT proc_id, t, n, last_dt, ${pcols} FROM proc_samples WHERE tier = ? AND t >= ? AND t < ?`,
      ).raw(),
      cgroup: p(
        `SELECT cgroup_id, t, n, last_dt, ${ccols} FROM cgroup_samples WHERE tier = ? AND t >= ? AND t < ?`,
      ).raw(),
    };
    this.expire = ['ticks', 'proc_samples', 'cgroup_samples'].map((table) =>
      p(`DELETE FROM ${table} WHERE tier = ? AND t < ?`),
    );
    this.expireProcs = p('DELETE FROM processes WHERE last_t IS NOT NULL AND last_t < ?');
    this.expireCgroups = p('DELETE FROM cgroups WHERE last_t IS NOT NULL AND last_t < ?');

    const tiersInFile = db
      .prepare(
        `WITH RECURSIVE x(tier) AS (SELECT min(tier) FROM ticks
           UNION ALL SELECT (SELECT min(tier) FROM ticks WHERE tier > x.tier) FROM x WHERE x.tier IS NOT NULL)
         SELECT tier FROM x WHERE tier IS NOT NULL`,
      )
      .pluck()
      .all() as number[];
    this.strayTiers = tiersInFile.filter((tier) => !retention.some((r) => r.stepSec === tier));

    this.writeTx = db.transaction((t: number, tick: Tick) => this.writeRows(t, tick));
    this.compactTx = db.transaction((nowMs: number) => this.compactRows(nowMs));
  }

  /** Writes one tick (t in unix seconds) into the finest tier, in one transaction. */
  writeTick(t: number, tick: Tick): void {
    const tms = toMs(t, 'Tick time');
    try {
      this.writeTx(tms, tick);
    } catch (err) {
      // The ids and live markers of the rolled-back transaction may not exist: start over.
      this.forgetLive();
      throw err;
    }
  }

  private forgetLive(): void {
    this.liveProcesses.clear();
    this.liveCgroups.clear();
    this.writing = false;
  }

  /**
   * Before this instance's first write: processes a previous writer left marked live (it was
   * killed) were last seen in its last tick.
   */
  private startWriting(): void {
    if (this.writing) return;
    const last = this.latestTickMs();
    this.settleProcs.run(last);
    this.settleCgroups.run(last);
    this.writing = true;
  }

  private writeRows(tms: number, tick: Tick): void {
    this.startWriting();
    const tier = this.tier0;
    const no = ++this.tickNo;
    this.insTick.run(tier, tms, 1, 0, ...valuesOf(MACHINE_COLUMNS, tick.machine));

    const live = this.liveProcesses;
    for (const p of tick.processes) {
      let e = live.get(p.pid);
      if (e === undefined || e.startTicks !== p.startTicks) {
        if (e !== undefined) this.endProc.run(e.lastSeen, e.id);
        const id = this.upsertProc.get(p.pid, p.startTicks, p.name, tms) as number;
        e = { startTicks: p.startTicks, id, name: p.name, lastSeen: tms, tick: no };
        live.set(p.pid, e);
      } else if (e.name !== p.name) {
        this.renameProc.run(p.name, e.id);
        e.name = p.name;
      }
      e.lastSeen = tms;
      e.tick = no;
      // Column order of PROC_COLUMNS.
      this.insProc.run(
        tier,
        tms,
        e.id,
        1,
        0,
        p.vszBytes ?? null,
        p.rssBytes ?? null,
        p.pssBytes ?? null,
        p.ussBytes ?? null,
        p.swapBytes ?? null,
        p.anonBytes ?? null,
        p.fileBytes ?? null,
        p.shmemBytes ?? null,
        p.minorFaults ?? null,
        p.majorFaults ?? null,
      );
    }
    for (const [pid, e] of live) {
      if (e.tick === no) continue;
      this.endProc.run(e.lastSeen, e.id);
      live.delete(pid);
    }

    const cgroups = this.liveCgroups;
    for (const c of tick.cgroups) {
      let e = cgroups.get(c.path);
      if (e === undefined) {
        e = { id: this.upsertCgroup.get(c.path, tms) as number, lastSeen: tms, tick: no };
        cgroups.set(c.path, e);
      }
      e.lastSeen = tms;
      e.tick = no;
      this.insCgroup.run(tier, tms, e.id, 1, 0, ...valuesOf(CGROUP_COLUMNS, c));
    }
    for (const [path, e] of cgroups) {
      if (e.tick === no) continue;
      this.endCgroup.run(e.lastSeen, e.id);
      cgroups.delete(path);
    }
  }

  /**
   * One process's history over [from, to] (unix seconds): vszBytes ... shmemBytes, and
   * minorFaultsPerSec / majorFaultsPerSec from consecutive fault counters. `startTicks` null picks
   * the latest process with that pid. Unknown process: empty arrays.
   */
  processSeries(
    pid: number,
    startTicks: number | null,
    from: number,
    to: number,
    maxPoints = DEFAULT_MAX_POINTS,
  ): Columnar {
    const row = (startTicks === null ? this.procLatest.get(pid) : this.procExact.get(pid, startTicks)) as
      | ProcessRow
      | undefined;
    return this.series(
      'process',
      row ? { id: row.id, firstT: row.first_t, lastT: row.last_t } : null,
      from,
      to,
      maxPoints,
    );
  }

  /** The machine's history over [from, to]: every MachineSampleRow field; oomKills is the counter. */
  machineSeries(from: number, to: number, maxPoints = DEFAULT_MAX_POINTS): Columnar {
    return this.series('machine', null, from, to, maxPoints);
  }

  /** One memory cgroup's history over [from, to]; limitBytes null = no limit. Unknown path: empty. */
  cgroupSeries(path: string, from: number, to: number, maxPoints = DEFAULT_MAX_POINTS): Columnar {
    const row = this.cgroupByPath.get(path) as
      | { id: number; first_t: number; last_t: number | null }
      | undefined;
    return this.series(
      'cgroup',
      row ? { id: row.id, firstT: row.first_t, lastT: row.last_t } : null,
      from,
      to,
      maxPoints,
    );
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
      const tier = (this.retention[i] as RetentionTier).stepSec;
      const stmt = this.seriesRows[kind];
      const got = (
        kind === 'machine' ? stmt.all(tier, lo, hi) : stmt.all(entity?.id, tier, lo, hi)
      ) as unknown[][];
      for (const r of got) rows.push(r);
      if (i > 0) {
        const until = this.rolledUntil(i);
        if (until !== null) lo = Math.max(lo, until);
      }
    }
    const stepMs = (this.retention[k] as RetentionTier).stepSec * 1000;
    return toColumnar(specs, { rows, fromMs, toMs: toMsv, stepMs, maxPoints });
  }

  /**
   * The finest tier whose data reaches back to fromMs, or as far back as the coarser tiers' data
   * does (give or take one bucket of the next tier, which rolled-up buckets start on).
   */
  private chooseTier(fromMs: number): number {
    const tiers = this.retention;
    const earliest = tiers.map((t) => this.minT.get(t.stepSec) as number | null);
    for (let i = 0; i < tiers.length; i++) {
      const e = earliest[i];
      if (e === null || e === undefined) continue;
      let coarser = Number.POSITIVE_INFINITY;
      for (let j = i + 1; j < tiers.length; j++)
        coarser = Math.min(coarser, earliest[j] ?? Number.POSITIVE_INFINITY);
      if (coarser === Number.POSITIVE_INFINITY) return i;
      const slack = (tiers[i + 1] as RetentionTier).stepSec * 1000;
      if (e <= Math.max(fromMs, coarser) + slack) return i;
    }
    return 0;
  }

  /** Tier i's buckets cover the finer tier's data before this time (ms), or null if never rolled. */
  private rolledUntil(i: number): number | null {
    const v = this.metaGet.get(`rolled_until:${(this.retention[i] as RetentionTier).stepSec}`);
    return typeof v === 'number' ? v : null;
  }

  /** Processes with samples since `since` (unix seconds), in order of first sample. */
  knownProcesses(since: number): KnownProcess[] {
    const sinceMs = toMs(since, 'since');
    const latest = this.latestTickMs();
    const out: KnownProcess[] = [];
    for (const r of this.known.all(sinceMs) as ProcessRow[]) {
      const info = toKnown(r, latest);
      if (info.lastT * 1000 >= sinceMs) out.push(info);
    }
    return out;
  }

  /** One process by identity, or the latest with that pid (startTicks null); null if never seen. */
  findProcess(pid: number, startTicks: number | null): KnownProcess | null {
    const r = (startTicks === null ? this.procLatest.get(pid) : this.procExact.get(pid, startTicks)) as
      | ProcessRow
      | undefined;
    return r ? toKnown(r, this.latestTickMs()) : null;
  }

  /** Time of the newest tick (unix seconds), or null for an empty history. */
  lastTickTime(): number | null {
    const ms = this.latestTickMs();
    return ms === null ? null : ms / 1000;
  }

  private latestTickMs(): number | null {
    let latest: number | null = null;
    for (const tier of this.retention) {
      const t = this.maxT.get(tier.stepSec) as number | null;
      if (t !== null && (latest === null || t > latest)) latest = t;
    }
    return latest;
  }

  /**
   * Rolls each tier's complete buckets (ending by `now`, unix seconds) into the next coarser tier,
   * then deletes what is older than each tier's keep (never rows not yet rolled up). Runs in one
   * transaction; with nothing new it costs a few index lookups. Meant to run every minute.
   */
  compact(now: number): void {
    this.compactTx(toMs(now, 'now'));
  }

  private compactRows(nowMs: number): void {
    this.startWriting();
    const tiers = this.retention;
    for (let i = 1; i < tiers.length; i++) this.rollUp(i, nowMs);
    for (let i = 0; i < tiers.length; i++) {
      const tier = tiers[i] as RetentionTier;
      let cutoff = nowMs - tier.keepSec * 1000;
      if (i + 1 < tiers.length) cutoff = Math.min(cutoff, this.rolledUntil(i + 1) ?? MIN_T);
      for (const stmt of this.expire) stmt.run(tier.stepSec, cutoff);
    }
    for (const tier of this.strayTiers)
      for (const stmt of this.expire) stmt.run(tier, nowMs - this.maxKeepMs);
    this.expireProcs.run(nowMs - this.maxKeepMs);
    this.expireCgroups.run(nowMs - this.maxKeepMs);
  }

  private rollUp(i: number, nowMs: number): void {
    const fine = (this.retention[i - 1] as RetentionTier).stepSec;
    const coarse = (this.retention[i] as RetentionTier).stepSec;
    const bucketMs = coarse * 1000;
    let limit = Math.floor(nowMs / bucketMs) * bucketMs;
    // A coarser tier only takes buckets the finer one holds complete.
    if (i > 1) limit = Math.min(limit, this.rolledUntil(i - 1) ?? MIN_T);
    const done = this.rolledUntil(i);
    if (limit <= (done ?? MIN_T)) return;
    let from = done ?? MIN_T;
    for (;;) {
      const next = this.nextT.get(fine, from, limit) as number | null;
      if (next === null) break;
      const b = Math.floor(next / bucketMs) * bucketMs;
      this.rollBucket(fine, coarse, b, b + bucketMs);
      from = b + bucketMs;
    }
    this.metaSet.run(`rolled_until:${coarse}`, limit);
  }

  private rollBucket(fine: number, coarse: number, b: number, e: number): void {
    const kinds: [Kind, Statement][] = [
      ['machine', this.insTick],
      ['process', this.insProc],
      ['cgroup', this.insCgroup],
    ];
    for (const [kind, insert] of kinds) {
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
      for (const [id, acc] of groups) {
        const values = specs.map((_, j) => acc.value(j));
        const lastDt = acc.lastCt - b;
        if (kind === 'machine') insert.run(coarse, b, acc.n, lastDt, ...values);
        else insert.run(coarse, b, id, acc.n, lastDt, ...values);
      }
    }
  }

  /** "1 s for 1 h, 1 min for 7 d, 10 min for 90 d" */
  retentionDescription(): string {
    return describeRetention(this.retention);
  }

  /** Bytes on disk: the database file and its WAL. */
  fileSizeBytes(): number {
    if (this.db.memory) return 0;
    return fileSize(this.db.name) + fileSize(`${this.db.name}-wal`);
  }

  /** The file this history lives in. */
  get path(): string {
    return this.db.name;
  }

  /** Marks the processes still live as last seen now, checkpoints (TRUNCATE) and closes. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.writing && (this.liveProcesses.size > 0 || this.liveCgroups.size > 0)) {
        try {
          this.db.transaction(() => {
            for (const e of this.liveProcesses.values()) this.endProc.run(e.lastSeen, e.id);
            for (const e of this.liveCgroups.values()) this.endCgroup.run(e.lastSeen, e.id);
          })();
        } catch {
          // Only a convenience: markers left live read as "until the last tick", which is what
          // these would say, and the next writer settles them the same way.
        }
      }
      this.forgetLive();
      try {
        this.db.pragma('optimize');
      } catch {
        // Query planner statistics only.
      }
      if (!this.db.memory) this.db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      this.db.close();
    }
  }
}

interface ProcessRow {
  id: number;
  pid: number;
  start_ticks: number;
  name: string;
  first_t: number;
  last_t: number | null;
}

function toKnown(r: ProcessRow, latestMs: number | null): KnownProcess {
  const lastMs = r.last_t ?? Math.max(r.first_t, latestMs ?? r.first_t);
  return {
    pid: r.pid,
    startTicks: r.start_ticks,
    name: r.name,
    firstT: r.first_t / 1000,
    lastT: lastMs / 1000,
  };
}

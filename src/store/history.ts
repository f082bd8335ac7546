// memlens's history: every tick of the sampler in an embedded SQLite file, rolled up into coarser
// tiers and expired by compact(), read back as uPlot-friendly columns.
//
// One writer (the server) per file calls writeTick and compact; any number of readers (other
// History instances, the CLI) may open it at the same time, as WAL allows. Times cross the API as
// unix seconds and are stored as integer milliseconds (schema.ts has the tables).
//
// Durability: each tick is one transaction; WAL with synchronous=NORMAL. A killed writer loses
// nothing committed, so at most the tick it was writing; a power cut may also lose the ticks since
// the last checkpoint (SQLite's default, 1000 pages: about a minute of ticks at 300 processes).
// close() checkpoints and truncates.

import { closeSync, lstatSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { createNewFile, reason, targetProblem } from '../files/private-file.js';
import { TierState, toMs } from './_db.js';
import type { Columnar } from './aggregate.js';
import { Compactor } from './compact.js';
import { HistoryError } from './errors.js';
import { defaultHistoryPath } from './paths.js';
import { DEFAULT_RETENTION, describeRetention, type RetentionTier, validateRetention } from './retention.js';
import { prepareDatabase } from './schema.js';
import { type KnownProcess, SeriesReader } from './series.js';
import { type Tick, TickWriter } from './writer.js';

export type { Columnar } from './aggregate.js';
export type { CgroupSampleRow, MachineSampleRow, ProcSampleRow } from './columns.js';
export type { RetentionTier } from './retention.js';
export type { KnownProcess } from './series.js';
export type { Tick } from './writer.js';

export interface HistoryOptions {
  /** Finest first; default 1 s for 1 h, 1 min for 7 d, 10 min for 90 d. */
  retention?: RetentionTier[];
  /**
   * How long a statement waits for another connection's lock once open (ms; default 5000). The
   * server's reader takes 0: in WAL mode reads do not wait for the writer.
   */
  busyTimeoutMs?: number;
}

const DEFAULT_MAX_POINTS = 1000;

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * Makes the file (owner-only: it says which processes ran and how big they were) before SQLite
 * opens it, so SQLite never creates it through a planted link; its -wal and -shm files take the
 * database file's mode. An existing path must be a regular file.
 */
function createPrivately(path: string): void {
  const problem = targetProblem(path);
  if (problem !== null) throw new HistoryError('E_PATH', `cannot use "${path}" as the history: ${problem}`);
  try {
    if (lstatSync(dirname(path), { throwIfNoEntry: false })?.isDirectory() !== true) {
      throw Object.assign(new Error('no folder'), { code: 'ENOENT' });
    }
    closeSync(createNewFile(path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    const kind = code === 'ENOENT' || code === 'ENOTDIR' ? 'E_PATH' : 'E_OPEN';
    const why = code === 'ENOENT' ? 'its folder does not exist: create it first' : reason(err);
    throw new HistoryError(kind, `cannot create "${path}": ${why}`, { cause: err });
  }
}

export class History {
  /** The tiers, finest first. */
  readonly retention: readonly RetentionTier[];
  private readonly state: TierState;
  private readonly writer: TickWriter;
  private readonly compactor: Compactor;
  private readonly reader: SeriesReader;
  private closed = false;

  /**
   * Opens (creating the file and schema as needed) the history at `path`, in a folder that must
   * exist. Throws a HistoryError: E_PATH for a folder that is missing or a path that is not a
   * regular file, E_NOT_HISTORY for a file that is not a memlens history (left untouched),
   * E_SCHEMA_NEWER, E_OPEN, E_RETENTION.
   */
  static open(path: string, opts: HistoryOptions = {}): History {
    const retention = validateRetention(opts.retention ?? DEFAULT_RETENTION);
    if (path !== ':memory:') createPrivately(path);
    let db: Database.Database;
    try {
      db = new Database(path);
    } catch (err) {
      throw new HistoryError('E_OPEN', `Cannot open "${path}": ${(err as Error).message}`, { cause: err });
    }
    try {
      prepareDatabase(db, path);
      if (opts.busyTimeoutMs !== undefined)
        db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs))}`);
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

  private constructor(
    private readonly db: Database.Database,
    retention: readonly RetentionTier[],
  ) {
    this.retention = retention;
    this.state = new TierState(db, retention);
    this.writer = new TickWriter(db, this.state);
    this.compactor = new Compactor(db, this.state, () => this.writer.start());
    this.reader = new SeriesReader(db, this.state);
  }

  /** Writes one tick (t in unix seconds) into the finest tier, in one transaction. */
  writeTick(t: number, tick: Tick): void {
    this.writer.write(toMs(t, 'Tick time'), tick);
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
    return this.reader.process(pid, startTicks, from, to, maxPoints);
  }

  /** The machine's history over [from, to]: every MachineSampleRow field; oomKills is the counter. */
  machineSeries(from: number, to: number, maxPoints = DEFAULT_MAX_POINTS): Columnar {
    return this.reader.machine(from, to, maxPoints);
  }

  /** One memory cgroup's history over [from, to]; limitBytes null = no limit. Unknown path: empty. */
  cgroupSeries(path: string, from: number, to: number, maxPoints = DEFAULT_MAX_POINTS): Columnar {
    return this.reader.cgroup(path, from, to, maxPoints);
  }

  /** Processes with samples since `since` (unix seconds), in order of first sample. */
  knownProcesses(since: number): KnownProcess[] {
    return this.reader.knownProcesses(since);
  }

  /** One process by identity, or the latest with that pid (startTicks null); null if never seen. */
  findProcess(pid: number, startTicks: number | null): KnownProcess | null {
    return this.reader.findProcess(pid, startTicks);
  }

  /** Time of the newest tick (unix seconds), or null for an empty history. */
  lastTickTime(): number | null {
    const ms = this.state.latestTickMs();
    return ms === null ? null : ms / 1000;
  }

  /**
   * Rolls each tier's complete buckets (ending by `now`, unix seconds) into the next coarser tier
   * (weighted mean of each figure, last value of counters and limits), then deletes what is older
   * than each tier's keep. One transaction; ~30 ms for a minute of 300 processes, a few index
   * lookups with nothing new. Meant to run every minute.
   */
  compact(now: number): void {
    this.compactor.run(toMs(now, 'now'));
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
      try {
        this.writer.end();
      } catch {
        // Only a convenience: markers left live read as "until the last tick", which is what
        // these would say, and the next writer settles them the same way.
      }
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

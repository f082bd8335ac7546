// The history's SQLite schema, how a file is recognised as ours, and the migration path.
//
// Times are integer milliseconds since the Unix epoch (`t`, `first_t`, `last_t`, and the meta
// watermarks). Every sample table is keyed (tier, t, entity) WITHOUT ROWID, so a tick appends at
// the end of each B-tree: a tick of 300 processes and 20 cgroups adds ~16 pages (~65 kB) to the
// WAL. Keyed by entity first, a tick would dirty a page per process (measured: ~1.8 MB of WAL
// per tick). A series of one entity is read by walking `ticks` over the range and looking each
// (tier, t, entity) up by key.
//
// `tier` is the tier's step in seconds (1, 60, 600): data of a tier survives a change of the others.

import type BetterSqlite3 from 'better-sqlite3';
import { CGROUP_COLUMNS, columnDefs, MACHINE_COLUMNS, PROC_COLUMNS } from './columns.js';
import { HistoryError } from './errors.js';

/** PRAGMA application_id of a memlens history: "MLNS". */
export const APPLICATION_ID = 0x4d4c4e53;
/** PRAGMA user_version this code writes and reads. */
export const SCHEMA_VERSION = 1;

const SCHEMA_V1 = `
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value
) WITHOUT ROWID;

-- One row per process ever seen. last_t is NULL while a writer sees the process in every tick
-- (it is then the time of the latest tick), and set when the process leaves or the writer stops.
CREATE TABLE processes (
  id INTEGER PRIMARY KEY,
  pid INTEGER NOT NULL,
  start_ticks INTEGER NOT NULL,
  name TEXT NOT NULL,
  first_t INTEGER NOT NULL,
  last_t INTEGER,
  UNIQUE (pid, start_ticks)
);
-- knownProcesses, and the expiry of processes with no samples left, without a scan: the index
-- changes only when a process appears or leaves, not every tick.
CREATE INDEX processes_last_t ON processes (last_t);

CREATE TABLE cgroups (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE,
  first_t INTEGER NOT NULL,
  last_t INTEGER
);
CREATE INDEX cgroups_last_t ON cgroups (last_t);

-- One row per tick (finest tier) or per bucket (coarser tiers, t = bucket start), with the
-- machine's figures (NULL when not read). In every sample table, n = ticks the row stands for and
-- last_dt = ms from t to the last of them (0 for a tick), when its counters were read.
CREATE TABLE ticks (
  tier INTEGER NOT NULL,
  t INTEGER NOT NULL,
  n INTEGER NOT NULL,
  last_dt INTEGER NOT NULL,
  ${columnDefs(MACHINE_COLUMNS)},
  PRIMARY KEY (tier, t)
) WITHOUT ROWID;

CREATE TABLE proc_samples (
  tier INTEGER NOT NULL,
  t INTEGER NOT NULL,
  proc_id INTEGER NOT NULL,
  n INTEGER NOT NULL,
  last_dt INTEGER NOT NULL,
  ${columnDefs(PROC_COLUMNS)},
  PRIMARY KEY (tier, t, proc_id)
) WITHOUT ROWID;

CREATE TABLE cgroup_samples (
  tier INTEGER NOT NULL,
  t INTEGER NOT NULL,
  cgroup_id INTEGER NOT NULL,
  n INTEGER NOT NULL,
  last_dt INTEGER NOT NULL,
  ${columnDefs(CGROUP_COLUMNS)},
  PRIMARY KEY (tier, t, cgroup_id)
) WITHOUT ROWID;
`;

/**
 * Migrations: MIGRATIONS[v] turns a schema v-1 file into schema v, inside the same transaction
 * that sets user_version. None yet: schema 1 is the first. The next change adds
 *   2: (db) => db.exec('ALTER TABLE proc_samples ADD COLUMN ...'),
 * bumps SCHEMA_VERSION, and adds a test that opens a schema-1 file.
 */
export const MIGRATIONS: Readonly<Record<number, (db: BetterSqlite3.Database) => void>> = {};

interface FileState {
  applicationId: number;
  userVersion: number;
  tables: string[];
}

function readState(db: BetterSqlite3.Database, path: string): FileState {
  try {
    return {
      applicationId: db.pragma('application_id', { simple: true }) as number,
      userVersion: db.pragma('user_version', { simple: true }) as number,
      tables: db
        .prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .pluck()
        .all(),
    };
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_NOTADB')
      throw new HistoryError(
        'E_NOT_HISTORY',
        `"${path}" is not a memlens history: it is not an SQLite database`,
        {
          cause: err,
        },
      );
    throw new HistoryError('E_OPEN', `Cannot read "${path}": ${(err as Error).message}`, { cause: err });
  }
}

/** Throws unless the file is empty or a memlens history this code can read (maybe after migrating). */
function check(state: FileState, path: string, version: number): 'create' | 'migrate' | 'ready' {
  if (state.applicationId === 0 && state.userVersion === 0 && state.tables.length === 0) return 'create';
  if (state.applicationId !== APPLICATION_ID) {
    const id = `0x${(state.applicationId >>> 0).toString(16).padStart(8, '0')}`;
    const tables = state.tables.length
      ? `tables ${state.tables.map((t) => `"${t}"`).join(', ')}`
      : 'no tables';
    throw new HistoryError(
      'E_NOT_HISTORY',
      `"${path}" is not a memlens history: it is an SQLite database of another program (application_id ${id}, ${tables})`,
    );
  }
  if (state.userVersion > version)
    throw new HistoryError(
      'E_SCHEMA_NEWER',
      `"${path}" is a memlens history of schema ${state.userVersion}, written by a newer memlens; this one reads up to schema ${version}`,
    );
  return state.userVersion < version ? 'migrate' : 'ready';
}

/**
 * Makes `db` a ready memlens history: recognises the file before writing anything to it (a
 * foreign file is left byte for byte as it was), then WAL mode, synchronous=NORMAL, and the schema
 * created or migrated under an immediate transaction (two processes opening a new file at once
 * create it once).
 */
export function prepareDatabase(
  db: BetterSqlite3.Database,
  path: string,
  // Parameters for the migration test only.
  migrations: Readonly<Record<number, (db: BetterSqlite3.Database) => void>> = MIGRATIONS,
  version: number = SCHEMA_VERSION,
): void {
  db.pragma('busy_timeout = 5000');
  check(readState(db, path), path, version);
  if (!db.memory) {
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal')
      throw new HistoryError('E_OPEN', `Cannot use "${path}": SQLite refused WAL mode there (got "${mode}")`);
  }
  // Commits are not fsynced; the WAL is at checkpoints. A killed process loses nothing committed,
  // a power cut at most the commits since the last checkpoint.
  db.pragma('synchronous = NORMAL');
  // The WAL is reset after each checkpoint but its file keeps its largest size: cap what stays.
  db.pragma('journal_size_limit = 16777216');
  // Pages kept in memory: 4 MiB, SQLite's own default being 2 MiB. better-sqlite3 builds SQLite
  // with 16 MiB, which the server's connection filled over its first hour as the file grew (ticks
  // append new pages), in the native heap, for no gain: writes append and the OS caches the file.
  db.pragma('cache_size = -4096');
  db.transaction(() => {
    const state = readState(db, path);
    const action = check(state, path, version);
    if (action === 'ready') return;
    let from = state.userVersion;
    if (action === 'create') {
      // A new file gets schema 1 and then every migration, so there is one way to each version.
      db.exec(SCHEMA_V1);
      db.pragma(`application_id = ${APPLICATION_ID}`);
      from = 1;
    }
    for (let v = from + 1; v <= version; v++) {
      const step = migrations[v];
      if (!step) throw new HistoryError('E_OPEN', `"${path}": no migration from schema ${v - 1} to ${v}`);
      step(db);
    }
    db.pragma(`user_version = ${version}`);
  }).immediate();
}

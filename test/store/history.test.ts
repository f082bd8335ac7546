// The history on a real SQLite file: what goes in comes back, per process identity, machine and
// cgroup; fault rates; the processes it knows; where it lives; what it refuses to open.

import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { History, HistoryError } from '../../src/store/index.js';
import { APPLICATION_ID, prepareDatabase, SCHEMA_VERSION } from '../../src/store/schema.js';
import { cgroup, inspectDb, MiB, machine, proc, T0, tempDir } from './_helpers.js';

const PROC_FIELDS = [
  'vszBytes',
  'rssBytes',
  'pssBytes',
  'ussBytes',
  'swapBytes',
  'anonBytes',
  'fileBytes',
  'shmemBytes',
  'minorFaultsPerSec',
  'majorFaultsPerSec',
];

test('a process series comes back field for field, unknown values as null, never 0', (t) => {
  const h = History.open(join(tempDir(t), 'h.db'));
  t.after(() => h.close());
  // Every field a different value so a column mix-up shows.
  for (let i = 0; i < 5; i++) {
    h.writeTick(T0 + i, {
      machine: null,
      processes: [
        proc(42, 7000, {
          vszBytes: 1000 * MiB + i,
          rssBytes: 100 * MiB + i,
          pssBytes: 90 * MiB + i,
          ussBytes: 80 * MiB + i,
          swapBytes: i === 2 ? null : 70 * MiB + i,
          anonBytes: 60 * MiB + i,
          fileBytes: 50 * MiB + i,
          shmemBytes: 40 * MiB + i,
          minorFaults: 1000 + 100 * i,
          majorFaults: 10 + i,
        }),
      ],
      cgroups: [],
    });
  }
  const s = h.processSeries(42, 7000, T0, T0 + 10);
  assert.deepEqual(Object.keys(s).sort(), ['t', ...PROC_FIELDS].sort());
  assert.deepEqual(s.t, [T0, T0 + 1, T0 + 2, T0 + 3, T0 + 4]);
  assert.deepEqual(
    s.vszBytes,
    [0, 1, 2, 3, 4].map((i) => 1000 * MiB + i),
  );
  assert.deepEqual(
    s.rssBytes,
    [0, 1, 2, 3, 4].map((i) => 100 * MiB + i),
  );
  assert.deepEqual(
    s.pssBytes,
    [0, 1, 2, 3, 4].map((i) => 90 * MiB + i),
  );
  assert.deepEqual(
    s.ussBytes,
    [0, 1, 2, 3, 4].map((i) => 80 * MiB + i),
  );
  assert.deepEqual(s.swapBytes, [70 * MiB, 70 * MiB + 1, null, 70 * MiB + 3, 70 * MiB + 4]);
  assert.deepEqual(
    s.anonBytes,
    [0, 1, 2, 3, 4].map((i) => 60 * MiB + i),
  );
  assert.deepEqual(
    s.fileBytes,
    [0, 1, 2, 3, 4].map((i) => 50 * MiB + i),
  );
  assert.deepEqual(
    s.shmemBytes,
    [0, 1, 2, 3, 4].map((i) => 40 * MiB + i),
  );
  assert.deepEqual(s.minorFaultsPerSec, [null, 100, 100, 100, 100]);
  assert.deepEqual(s.majorFaultsPerSec, [null, 1, 1, 1, 1]);
  // A sub-range, and the stored values are integers, not reals.
  assert.deepEqual(h.processSeries(42, 7000, T0 + 1, T0 + 2).t, [T0 + 1, T0 + 2]);
  const types = inspectDb(h.path, (db) =>
    db.prepare('SELECT DISTINCT typeof(rss_bytes) AS ty FROM proc_samples').pluck().all(),
  );
  assert.deepEqual(types, ['integer']);
});

test('machine and cgroup series come back field for field; a missing machine reading is a tick of nulls', (t) => {
  const h = History.open(join(tempDir(t), 'h.db'));
  t.after(() => h.close());
  const m = (i: number) =>
    machine({
      memTotalBytes: 8000 * MiB,
      memAvailableBytes: 5000 * MiB + i,
      cachedBytes: 2000 * MiB + i,
      swapTotalBytes: 1000 * MiB,
      swapFreeBytes: 900 * MiB + i,
      psiSomeAvg10: 1.25 + i,
      psiFullAvg10: 0.5,
      oomKills: 3 + i,
    });
  const c = (i: number) =>
    cgroup('/kubepods/pod-a', {
      usageBytes: 300 * MiB + i,
      workingSetBytes: 250 * MiB + i,
      limitBytes: i === 1 ? null : 1024 * MiB,
      anonBytes: 200 * MiB + i,
      fileBytes: 90 * MiB + i,
      shmemBytes: 1 * MiB + i,
      kernelBytes: 9 * MiB + i,
      oomKills: i,
      psiSomeAvg10: 0.75,
    });
  h.writeTick(T0, { machine: m(0), processes: [], cgroups: [c(0), cgroup('/other')] });
  h.writeTick(T0 + 1, { machine: null, processes: [], cgroups: [c(1)] });
  h.writeTick(T0 + 2, { machine: m(2), processes: [], cgroups: [c(2)] });

  const ms = h.machineSeries(T0, T0 + 2);
  assert.deepEqual(ms, {
    t: [T0, T0 + 1, T0 + 2],
    memTotalBytes: [8000 * MiB, null, 8000 * MiB],
    memAvailableBytes: [5000 * MiB, null, 5000 * MiB + 2],
    cachedBytes: [2000 * MiB, null, 2000 * MiB + 2],
    swapTotalBytes: [1000 * MiB, null, 1000 * MiB],
    swapFreeBytes: [900 * MiB, null, 900 * MiB + 2],
    psiSomeAvg10: [1.25, null, 3.25],
    psiFullAvg10: [0.5, null, 0.5],
    oomKills: [3, null, 5],
  });
  const cs = h.cgroupSeries('/kubepods/pod-a', T0, T0 + 2);
  assert.deepEqual(cs, {
    t: [T0, T0 + 1, T0 + 2],
    usageBytes: [0, 1, 2].map((i) => 300 * MiB + i),
    workingSetBytes: [0, 1, 2].map((i) => 250 * MiB + i),
    limitBytes: [1024 * MiB, null, 1024 * MiB],
    anonBytes: [0, 1, 2].map((i) => 200 * MiB + i),
    fileBytes: [0, 1, 2].map((i) => 90 * MiB + i),
    shmemBytes: [0, 1, 2].map((i) => 1 * MiB + i),
    kernelBytes: [0, 1, 2].map((i) => 9 * MiB + i),
    oomKills: [0, 1, 2],
    psiSomeAvg10: [0.75, 0.75, 0.75],
  });
  // /other was only in the first tick; an unknown path is an empty series.
  assert.deepEqual(h.cgroupSeries('/other', T0, T0 + 2).t, [T0]);
  const none = h.cgroupSeries('/nope', T0, T0 + 2);
  assert.deepEqual(none.t, []);
  assert.deepEqual(none.usageBytes, []);
});

test('fault rates come from consecutive counters over the real interval; a counter going back is unknown', (t) => {
  const h = History.open(join(tempDir(t), 'h.db'));
  t.after(() => h.close());
  // Ticks 0, 1, 2, then a 2-second gap to 4, a missing reading at 5, a drop at 6.
  const readings: [number, number | null][] = [
    [0, 1000],
    [1, 1050],
    [2, 1250],
    [4, 1450],
    [5, null],
    [6, 1400],
    [7, 1500],
  ];
  for (const [dt, minor] of readings)
    h.writeTick(T0 + dt, { machine: null, processes: [proc(7, 1, { minorFaults: minor })], cgroups: [] });
  const s = h.processSeries(7, 1, T0, T0 + 10);
  // 1 -> 2: 200/s; 2 -> 4: 200 over 2 s = 100/s; 5 unknown; 4 -> 6 went back: unknown; 6 -> 7: 100/s.
  assert.deepEqual(s.minorFaultsPerSec, [null, 50, 200, 100, null, null, 100]);
  // Downsampled into 2-second buckets the rate is still the counter's increase over time.
  const d = h.processSeries(7, 1, T0, T0 + 6, 4);
  assert.ok(d.t.length <= 4, `${d.t.length} points`);
});

test('process identity is (pid, start time): a reused pid is a second series; null start picks the latest', (t) => {
  const h = History.open(join(tempDir(t), 'h.db'));
  t.after(() => h.close());
  for (let i = 0; i < 3; i++)
    h.writeTick(T0 + i, {
      machine: null,
      processes: [proc(500, 1111, { rssBytes: 10 * MiB }), proc(501, 2222)],
      cgroups: [],
    });
  // pid 500 exits; a new process gets pid 500 and renames itself after exec.
  for (let i = 3; i < 6; i++)
    h.writeTick(T0 + i, {
      machine: null,
      processes: [
        proc(500, 9999, { rssBytes: 20 * MiB, name: i < 4 ? 'bash' : 'postgres' }),
        proc(501, 2222),
      ],
      cgroups: [],
    });

  const old = h.processSeries(500, 1111, T0, T0 + 10);
  const cur = h.processSeries(500, 9999, T0, T0 + 10);
  assert.deepEqual(old.t, [T0, T0 + 1, T0 + 2]);
  assert.deepEqual(old.rssBytes, [10 * MiB, 10 * MiB, 10 * MiB]);
  assert.deepEqual(cur.t, [T0 + 3, T0 + 4, T0 + 5]);
  assert.deepEqual(cur.rssBytes, [20 * MiB, 20 * MiB, 20 * MiB]);
  assert.deepEqual(h.processSeries(500, null, T0, T0 + 10), cur);
  assert.deepEqual(h.processSeries(500, 4242, T0, T0 + 10).t, []);
  assert.deepEqual(h.processSeries(9, null, T0, T0 + 10).rssBytes, []);

  assert.deepEqual(h.knownProcesses(0), [
    { pid: 500, startTicks: 1111, name: 'proc-500', firstT: T0, lastT: T0 + 2 },
    { pid: 501, startTicks: 2222, name: 'proc-501', firstT: T0, lastT: T0 + 5 },
    { pid: 500, startTicks: 9999, name: 'postgres', firstT: T0 + 3, lastT: T0 + 5 },
  ]);
  assert.deepEqual(
    h.knownProcesses(T0 + 3).map((p) => [p.pid, p.startTicks]),
    [
      [501, 2222],
      [500, 9999],
    ],
  );
  assert.equal(h.findProcess(500, null)?.startTicks, 9999);
  assert.equal(h.findProcess(500, 1111)?.lastT, T0 + 2);
  assert.equal(h.findProcess(1, null), null);
  assert.equal(h.lastTickTime(), T0 + 5);
});

test('knownProcesses after a restart: a clean close and a killed writer both leave the right last time', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'h.db');
  let h = History.open(path);
  for (let i = 0; i < 3; i++) h.writeTick(T0 + i, { machine: null, processes: [proc(1, 1)], cgroups: [] });
  h.close();
  h = History.open(path);
  assert.deepEqual(
    h.knownProcesses(0).map((p) => [p.firstT, p.lastT]),
    [[T0, T0 + 2]],
  );
  // The process is back in the next run (same identity) and lives on.
  for (let i = 10; i < 13; i++) h.writeTick(T0 + i, { machine: null, processes: [proc(1, 1)], cgroups: [] });
  // Another reader sees it live up to the latest tick while the writer runs.
  const reader = History.open(path);
  assert.deepEqual(
    reader.knownProcesses(0).map((p) => [p.firstT, p.lastT]),
    [[T0, T0 + 12]],
  );
  reader.close();
  // A writer that dies without close() leaves the process marked live: the next writer settles it
  // at the last tick the dead one wrote, before writing its own.
  // @ts-expect-error: simulate a crash by dropping the connection without the writer's close()
  h.db.close();
  h = History.open(path);
  t.after(() => h.close());
  h.writeTick(T0 + 100, { machine: null, processes: [proc(2, 2)], cgroups: [] });
  assert.deepEqual(
    h.knownProcesses(0).map((p) => [p.pid, p.firstT, p.lastT]),
    [
      [1, T0, T0 + 12],
      [2, T0 + 100, T0 + 100],
    ],
  );
});

test('defaultPath: $XDG_STATE_HOME/memlens/history.db, else ~/.local/state/memlens/history.db', () => {
  assert.equal(
    History.defaultPath({ XDG_STATE_HOME: '/srv/state', HOME: '/home/ann' }),
    '/srv/state/memlens/history.db',
  );
  assert.equal(History.defaultPath({ HOME: '/home/ann' }), '/home/ann/.local/state/memlens/history.db');
  assert.equal(
    History.defaultPath({ XDG_STATE_HOME: '', HOME: '/home/ann' }),
    '/home/ann/.local/state/memlens/history.db',
  );
  // The spec says relative paths are invalid and to be ignored.
  assert.equal(
    History.defaultPath({ XDG_STATE_HOME: 'state', HOME: '/home/ann' }),
    '/home/ann/.local/state/memlens/history.db',
  );
  assert.match(History.defaultPath(), /\/memlens\/history\.db$/);
});

test('open makes the file 0600 (never the folders), WAL mode, a stamped schema; fileSizeBytes counts db and WAL', (t) => {
  const missing = join(tempDir(t), 'a', 'history.db');
  assert.throws(
    () => History.open(missing),
    (err: unknown) =>
      err instanceof HistoryError &&
      err.code === 'E_PATH' &&
      err.message === `cannot create "${missing}": its folder does not exist: create it first`,
  );
  const path = join(tempDir(t), 'history.db');
  const h = History.open(path);
  h.writeTick(T0, { machine: machine(), processes: [proc(1, 1)], cgroups: [] });
  assert.ok(h.fileSizeBytes() >= statSync(path).size);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const pragmas = inspectDb(path, (db) => ({
    journal: db.pragma('journal_mode', { simple: true }),
    app: db.pragma('application_id', { simple: true }),
    version: db.pragma('user_version', { simple: true }),
  }));
  assert.deepEqual(pragmas, { journal: 'wal', app: APPLICATION_ID, version: SCHEMA_VERSION });
  h.close();
  h.close(); // twice is fine
  assert.throws(() => h.writeTick(T0 + 1, { machine: null, processes: [], cgroups: [] }));
  // Reopening keeps the data.
  const again = History.open(path);
  assert.deepEqual(again.machineSeries(T0, T0).t, [T0]);
  again.close();
});

test('a connection keeps at most 4 MiB of the file in memory, not the 16 MiB better-sqlite3 builds in', (t) => {
  // The server's connection filled that cache in its native heap over its first hour.
  const path = join(tempDir(t), 'history.db');
  const db = new Database(path);
  try {
    assert.equal(db.pragma('cache_size', { simple: true }), -16000, "better-sqlite3's default");
    prepareDatabase(db, path);
    assert.equal(db.pragma('cache_size', { simple: true }), -4096, 'KiB, as SQLite counts a negative size');
  } finally {
    db.close();
  }
});

test('a file that is not a memlens history is refused with a clear error and left untouched', (t) => {
  const dir = tempDir(t);
  const text = join(dir, 'notes.txt');
  writeFileSync(text, 'these are my notes, not a database\n'.repeat(200));
  const before = readFileSync(text);
  assert.throws(
    () => History.open(text),
    (err: unknown) =>
      err instanceof HistoryError &&
      err.code === 'E_NOT_HISTORY' &&
      err.message === `"${text}" is not a memlens history: it is not an SQLite database`,
  );
  assert.deepEqual(readFileSync(text), before);

  const other = join(dir, 'app.db');
  const db = new Database(other);
  db.exec("CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('ann')");
  db.close();
  const otherBefore = readFileSync(other);
  assert.throws(
    () => History.open(other),
    (err: unknown) =>
      err instanceof HistoryError &&
      err.code === 'E_NOT_HISTORY' &&
      err.message ===
        `"${other}" is not a memlens history: it is an SQLite database of another program (application_id 0x00000000, tables "users")`,
  );
  assert.deepEqual(readFileSync(other), otherBefore, 'not switched to WAL, not written');

  // A history written by a newer memlens.
  const newer = join(dir, 'newer.db');
  History.open(newer).close();
  const nd = new Database(newer);
  nd.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  nd.close();
  assert.throws(
    () => History.open(newer),
    (err: unknown) =>
      err instanceof HistoryError &&
      err.code === 'E_SCHEMA_NEWER' &&
      /written by a newer memlens/.test(err.message),
  );

  // A folder where the file should be.
  assert.throws(
    () => History.open(dir),
    (err: unknown) =>
      err instanceof HistoryError && err.code === 'E_PATH' && /it is a folder/.test(err.message),
  );
  // An empty file is a new history.
  const empty = join(dir, 'empty.db');
  writeFileSync(empty, '');
  History.open(empty).close();
});

test('retention: described in words; nonsense tiers are refused', (t) => {
  const dir = tempDir(t);
  const h = History.open(join(dir, 'h.db'));
  assert.equal(h.retentionDescription(), '1 s for 1 h, 1 min for 7 d, 10 min for 90 d');
  h.close();
  const custom = History.open(join(dir, 'c.db'), {
    retention: [
      { stepSec: 5, keepSec: 90 },
      { stepSec: 30, keepSec: 2 * 3600 },
    ],
  });
  assert.equal(custom.retentionDescription(), '5 s for 90 s, 30 s for 2 h');
  custom.close();
  const bad: [string, { stepSec: number; keepSec: number }[]][] = [
    ['empty', []],
    ['fractional step', [{ stepSec: 0.5, keepSec: 60 }]],
    ['keep below step', [{ stepSec: 60, keepSec: 30 }]],
    [
      'step not a multiple',
      [
        { stepSec: 60, keepSec: 3600 },
        { stepSec: 90, keepSec: 7200 },
      ],
    ],
    [
      'coarser keeps less',
      [
        { stepSec: 1, keepSec: 3600 },
        { stepSec: 60, keepSec: 600 },
      ],
    ],
    [
      'finer keeps less than a bucket',
      [
        { stepSec: 1, keepSec: 30 },
        { stepSec: 60, keepSec: 600 },
      ],
    ],
  ];
  for (const [what, retention] of bad)
    assert.throws(
      () => History.open(join(dir, 'bad.db'), { retention }),
      (err: unknown) => err instanceof HistoryError && err.code === 'E_RETENTION',
      what,
    );
});

test('series arguments are checked', (t) => {
  const h = History.open(join(tempDir(t), 'h.db'));
  t.after(() => h.close());
  assert.throws(() => h.machineSeries(T0 + 10, T0), RangeError);
  assert.throws(() => h.machineSeries(Number.NaN, T0), RangeError);
  assert.throws(() => h.machineSeries(T0, T0 + 10, 0), RangeError);
  assert.throws(() => h.machineSeries(T0, T0 + 10, 2.5), RangeError);
  assert.throws(
    () => h.writeTick(Number.POSITIVE_INFINITY, { machine: null, processes: [], cgroups: [] }),
    RangeError,
  );
  assert.deepEqual(h.machineSeries(T0, T0 + 10).t, []);
  assert.equal(h.lastTickTime(), null);
  assert.deepEqual(h.knownProcesses(0), []);
});

test('schema migrations run in order inside one transaction; a failing one leaves the file as it was', (t) => {
  const path = join(tempDir(t), 'h.db');
  const h = History.open(path);
  h.writeTick(T0, { machine: null, processes: [proc(1, 1)], cgroups: [] });
  h.close();
  const columns = (db: Database.Database) =>
    (db.prepare("SELECT name FROM pragma_table_info('proc_samples')").pluck().all() as string[]).filter(
      (c) => c === 'extra',
    );

  const failing = new Database(path);
  assert.throws(
    () =>
      prepareDatabase(
        failing,
        path,
        {
          [SCHEMA_VERSION + 1]: (db) => db.exec('ALTER TABLE proc_samples ADD COLUMN extra INTEGER'),
          [SCHEMA_VERSION + 2]: () => {
            throw new Error('boom');
          },
        },
        SCHEMA_VERSION + 2,
      ),
    /boom/,
  );
  assert.equal(failing.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  assert.deepEqual(columns(failing), []);
  failing.close();

  const db = new Database(path);
  prepareDatabase(
    db,
    path,
    { [SCHEMA_VERSION + 1]: (d) => d.exec('ALTER TABLE proc_samples ADD COLUMN extra INTEGER') },
    SCHEMA_VERSION + 1,
  );
  assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION + 1);
  assert.deepEqual(columns(db), ['extra']);
  assert.equal(db.prepare('SELECT count(*) FROM proc_samples').pluck().get(), 1);
  // A missing step is an error, not a silent skip.
  db.close();
  const gap = new Database(path);
  assert.throws(
    () => prepareDatabase(gap, path, {}, SCHEMA_VERSION + 2),
    (err: unknown) =>
      err instanceof HistoryError &&
      err.message.includes(`no migration from schema ${SCHEMA_VERSION + 1} to ${SCHEMA_VERSION + 2}`),
  );
  gap.close();
});

test('cgroups read every few ticks: an empty list means not read, a cgroup missing from a list is gone', (t) => {
  const h = History.open(join(tempDir(t), 'h.db'));
  t.after(() => h.close());
  for (let i = 0; i < 9; i++) {
    const read = i % 3 === 0;
    const cgroups = read ? [cgroup('/a', { usageBytes: i * MiB }), ...(i < 6 ? [cgroup('/b')] : [])] : [];
    h.writeTick(T0 + i, { machine: null, processes: [], cgroups });
  }
  assert.deepEqual(h.cgroupSeries('/a', T0, T0 + 9).t, [T0, T0 + 3, T0 + 6]);
  assert.deepEqual(h.cgroupSeries('/a', T0, T0 + 9).usageBytes, [0, 3 * MiB, 6 * MiB]);
  assert.deepEqual(h.cgroupSeries('/b', T0, T0 + 9).t, [T0, T0 + 3]);
  const seen = inspectDb(h.path, (db) =>
    db.prepare('SELECT path, first_t, last_t FROM cgroups ORDER BY path').all(),
  );
  assert.deepEqual(seen, [
    { path: '/a', first_t: T0 * 1000, last_t: null },
    { path: '/b', first_t: T0 * 1000, last_t: (T0 + 3) * 1000 },
  ]);
});

// Writing ticks: one transaction per tick, prepared statements reused, and process and cgroup ids
// kept in memory so a tick of 300 processes is ~300 key-ordered inserts and nothing else.
//
// processes.last_t is NULL while the writer sees the process in every tick, and set when it leaves
// or the writer closes: a tick does not update 300 process rows. A writer that was killed leaves
// its processes marked live; that reads as "seen until the last tick", which is true, and the next
// writer settles them to that time before its first write.

import type Database from 'better-sqlite3';
import { MIN_T, prepareInsert, type Statement, type TierState } from './_db.js';
import {
  CGROUP_COLUMNS,
  type CgroupSampleRow,
  MACHINE_COLUMNS,
  type MachineSampleRow,
  type ProcSampleRow,
  valuesOf,
} from './columns.js';

export interface Tick {
  /** null: not read this tick (the tick's row then holds nulls). */
  machine: MachineSampleRow | null;
  /** Every process seen this tick: one missing from it has exited. */
  processes: ProcSampleRow[];
  /**
   * The memory cgroups, when read this tick; [] when not read (the server reads them every few
   * ticks). A cgroup missing from a non-empty list is gone.
   */
  cgroups: CgroupSampleRow[];
}

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

export class TickWriter {
  private readonly tier0: number;
  private readonly processes = new Map<number, LiveProcess>();
  private readonly cgroups = new Map<string, LiveCgroup>();
  private tickNo = 0;
  /** True once this instance has settled the live markers a previous writer left behind. */
  private started = false;

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
  private readonly tx: (tms: number, tick: Tick) => void;

  constructor(
    private readonly db: Database.Database,
    private readonly state: TierState,
  ) {
    this.tier0 = state.step(0);
    this.insTick = prepareInsert(db, 'machine');
    this.insProc = prepareInsert(db, 'process');
    this.insCgroup = prepareInsert(db, 'cgroup');
    this.upsertProc = db
      .prepare(
        `INSERT INTO processes (pid, start_ticks, name, first_t, last_t) VALUES (?, ?, ?, ?, NULL)
         ON CONFLICT (pid, start_ticks) DO UPDATE SET name = excluded.name, last_t = NULL RETURNING id`,
      )
      .pluck();
    this.renameProc = db.prepare('UPDATE processes SET name = ? WHERE id = ?');
    this.endProc = db.prepare('UPDATE processes SET last_t = ? WHERE id = ?');
    this.upsertCgroup = db
      .prepare(
        `INSERT INTO cgroups (path, first_t, last_t) VALUES (?, ?, NULL)
         ON CONFLICT (path) DO UPDATE SET last_t = NULL RETURNING id`,
      )
      .pluck();
    this.endCgroup = db.prepare('UPDATE cgroups SET last_t = ? WHERE id = ?');
    const settle = (table: string) =>
      db.prepare(`UPDATE ${table} SET last_t = max(first_t, coalesce(?, ${MIN_T})) WHERE last_t IS NULL`);
    this.settleProcs = settle('processes');
    this.settleCgroups = settle('cgroups');
    this.tx = db.transaction((tms: number, tick: Tick) => this.writeRows(tms, tick));
  }

  /** Writes one tick at tms (ms) in one transaction. */
  write(tms: number, tick: Tick): void {
    try {
      this.tx(tms, tick);
    } catch (err) {
      // The ids and markers of the rolled-back transaction may not exist: start over.
      this.forget();
      throw err;
    }
  }

  /**
   * Before this instance's first write (a tick or a compaction): processes a killed writer left
   * marked live were last seen in its last tick. Call inside a write transaction.
   */
  start(): void {
    if (this.started) return;
    const last = this.state.latestTickMs();
    this.settleProcs.run(last);
    this.settleCgroups.run(last);
    this.started = true;
  }

  /** Marks what is live as last seen at its last tick (on close). */
  end(): void {
    if (!this.started || (this.processes.size === 0 && this.cgroups.size === 0)) return;
    this.db.transaction(() => {
      for (const e of this.processes.values()) this.endProc.run(e.lastSeen, e.id);
      for (const e of this.cgroups.values()) this.endCgroup.run(e.lastSeen, e.id);
    })();
    this.forget();
  }

  forget(): void {
    this.processes.clear();
    this.cgroups.clear();
    this.started = false;
  }

  private writeRows(tms: number, tick: Tick): void {
    this.start();
    const tier = this.tier0;
    const no = ++this.tickNo;
    this.insTick.run(tier, tms, 1, 0, ...valuesOf(MACHINE_COLUMNS, tick.machine));

    const live = this.processes;
    for (const p of tick.processes) {
      let e = live.get(p.pid);
      if (e === undefined || e.startTicks !== p.startTicks) {
        // A new process, or its pid reused by another.
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
      // PROC_COLUMNS order, spelled out: this runs 300 times a second.
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

    if (tick.cgroups.length === 0) return;
    const cgroups = this.cgroups;
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
}

// The server's sampling loop, without HTTP: every tick it reads every process in tiers, the
// machine, and every few ticks the memory cgroups; it keeps the latest state in memory and
// writes the tick to the history. Sampling is synchronous work run from a timer, so nothing an
// HTTP client does (slow reads, floods) can hold a tick up: handlers only read the state.
//
// Tiers, per process:
//   every tick      stat (µs, no page walk): RSS, VIRT, faults, from a file kept open between
//                   ticks (up to MAX_KEPT_FILES); and status (anon/file/shmem, swap) when stat's
//                   figures moved, or every statusEverySec: most processes sit still, and status
//                   costs the kernel several times what stat does
//   ~every 30 s     smaps_rollup (a page-table walk in proportion to RSS) for PSS, USS and swap,
//                   plus oom_score; staggered so each tick reads about 1/30 of the processes, and
//                   sooner for a process whose RSS moved by more than 5% since its last rollup
//   on demand       the full smaps (inspect), only for GET /api/processes/:pid (see inspect.ts)
import { analyzeSeries } from '../analysis/leak.js';
import { readCgroupHeadroom, type SubtreeCounts } from '../collect/cgroup-headroom.js';
import { groupByCgroup, listMemoryCgroups, memoryHierarchy } from '../collect/cgroups.js';
import { type Headroom, headroomOf } from '../collect/headroom.js';
import { type ProcessSample, readProcess } from '../collect/process.js';
import { listPids } from '../collect/scan.js';
import { loadUserNames, type UserNames } from '../collect/users.js';
import type { MemoryCgroup, MemoryHierarchy } from '../procfs/cgroup_memory.js';
import { readCgroupMemory } from '../procfs/cgroup_usage.js';
import { readCmdline } from '../procfs/cmdline.js';
import { isNoProcess, ProcReadError } from '../procfs/errors.js';
import type { PinnedFile, ProcFs } from '../procfs/fs.js';
import { readMeminfo } from '../procfs/meminfo.js';
import { readOomScore, readOomScoreAdj } from '../procfs/oom.js';
import { readMemoryPressure } from '../procfs/pressure.js';
import { readSmapsRollup } from '../procfs/smaps_rollup.js';
import { readVmstat } from '../procfs/vmstat.js';
import { withHeadroom } from '../reports/watch.js';
import type { TickSink } from './history.js';
import { tickRows } from './record.js';
import { redactCommand } from './redact.js';
import { SeriesRing } from './series.js';
import type { CgroupState, SamplerState, Tracked } from './state.js';

export interface SamplerOptions {
  intervalSec: number;
  rollupEverySec: number;
  /** Longest time status is reused while stat shows no change (swap can move on its own). */
  statusEverySec: number;
  /** A relative RSS change (0.05 = 5%) that brings a rollup forward. */
  rollupOnChange: number;
  cgroupEveryTicks: number;
  /** How much RSS history each process keeps in memory for its verdict. */
  seriesSec: number;
  compactEverySec: number;
}

export const DEFAULT_OPTIONS: SamplerOptions = {
  intervalSec: 1,
  rollupEverySec: 30,
  statusEverySec: 10,
  rollupOnChange: 0.05,
  cgroupEveryTicks: 5,
  seriesSec: 3600,
  compactEverySec: 60,
};

export type TickListener = (state: SamplerState) => void;

/**
 * /proc/PID/stat files kept open between ticks, at most: opening and closing them was a third of
 * a tick's system time. The soft limit of open files is often 1024; half stays free for the
 * database, the sockets and the rest. Past it, the other processes' files are opened each tick.
 */
export const MAX_KEPT_FILES = 512;

/** How often a process's memory cgroup is looked up again (see sampleCgroups). */
const CGROUP_RECHECK_SEC = 60;

function orNull<T>(read: () => T): T | null {
  try {
    return read();
  } catch (err) {
    if (err instanceof ProcReadError) return null;
    throw err;
  }
}

/** A fixed phase in [0, 1) per PID, so rollups and verdicts of many processes spread over ticks. */
function phase(pid: number): number {
  return (pid * 0.6180339887) % 1;
}

function movedBy(before: number | null, now: number | null, share: number): boolean {
  if (before === null || now === null) return before !== now;
  return Math.abs(now - before) > Math.max(before, 1) * share;
}

export class ServerSampler {
  readonly opts: SamplerOptions;
  readonly state: SamplerState = {
    t: 0,
    meminfo: null,
    machine: null,
    processes: new Map(),
    cgroups: [],
    ticks: 0,
    lastTickSec: 0,
  };
  /** Every cgroup path seen since start: the ones the history route accepts. */
  readonly knownCgroups = new Set<string>();
  private readonly listeners = new Set<TickListener>();
  private hierarchy: MemoryHierarchy | null | undefined;
  private users: UserNames;
  private usersT = 0;
  private lastCompactT = 0;
  private timer: NodeJS.Timeout | null = null;
  /** How many stat files are kept open (see MAX_KEPT_FILES). */
  private kept = 0;

  constructor(
    private readonly fs: ProcFs,
    private readonly history: TickSink | null,
    opts: Partial<SamplerOptions> = {},
  ) {
    this.opts = { ...DEFAULT_OPTIONS, ...opts };
    this.users = loadUserNames(fs);
  }

  onTick(listener: TickListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts ticking on a timer (the first tick is the caller's: see serve.ts). */
  start(): void {
    const periodMs = this.opts.intervalSec * 1000;
    const loop = () => {
      const started = Date.now();
      this.tick(started / 1000);
      // Aim at the next interval boundary; a tick that ran long is followed by the next at once.
      this.timer = setTimeout(loop, Math.max(0, periodMs - (Date.now() - started)));
    };
    this.timer = setTimeout(loop, periodMs);
  }

  /** Stops the timer and closes the kept files. A tick in progress has finished: ticks are synchronous. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const x of this.state.processes.values()) this.closeKept(x);
  }

  tick(t: number): SamplerState {
    const began = performance.now();
    const s = this.state;
    if (t - this.usersT > 300) {
      // New users appear rarely; re-reading /etc/passwd every 5 minutes is plenty.
      this.users = loadUserNames(this.fs);
      this.usersT = t;
    }
    this.sampleMachine(t);
    const seen = this.sampleProcesses(t);
    for (const key of s.processes.keys()) if (!seen.has(key)) this.forget(key);
    const cgroupTick = s.ticks % this.opts.cgroupEveryTicks === 0;
    if (cgroupTick) this.sampleCgroups(t);
    this.updateVerdicts(t);
    s.t = t;
    s.ticks++;
    this.write(t, cgroupTick);
    s.lastTickSec = (performance.now() - began) / 1000;
    for (const listener of this.listeners) listener(s);
    return s;
  }

  private sampleMachine(t: number): void {
    const m = readMeminfo(this.fs);
    this.state.meminfo = m;
    this.state.machine = {
      t,
      memTotalBytes: m.memTotalBytes,
      memAvailableBytes: m.memAvailableBytes,
      cachedBytes: m.cachedBytes,
      swapTotalBytes: m.swapTotalBytes,
      swapFreeBytes: m.swapFreeBytes,
      psi: orNull(() => readMemoryPressure(this.fs)),
      oomKills: orNull(() => readVmstat(this.fs).oomKill),
    };
  }

  private sampleProcesses(t: number): Set<number> {
    const seen = new Set<number>();
    const all = this.state.processes;
    const o = this.opts;
    // Rollups brought forward by an RSS move share a budget, so a machine-wide shift cannot turn
    // one tick into a full scan; the rest wait a tick. First sightings are read at once: PSS is
    // what the dashboard ranks by.
    let budget = Math.max(20, Math.ceil((3 * all.size * o.intervalSec) / o.rollupEverySec));
    for (const pid of listPids(this.fs)) {
      let x = all.get(pid);
      // A previous sample whose status may be reused (readProcess checks it is the same process).
      const previous = x && t - x.statusT < o.statusEverySec ? x.sample : undefined;
      const read = this.readKept(pid, x, previous);
      if (!read) continue;
      const { sample, statFile } = read;
      // PID reused: the new process is tracked afresh. The old one's kept file failed to read
      // and was closed in readKept; the file just opened is the new process's.
      if (x && x.startTicks !== sample.startTimeTicks) x = undefined;
      const first = x === undefined;
      if (!x) {
        x = this.track(sample, t);
        all.set(pid, x);
      }
      x.statFile = statFile;
      if (sample.status !== previous?.status) x.statusT = t;
      x.sample = sample;
      seen.add(pid);
      if (!sample.kernelThread) {
        const due =
          first ||
          t >= x.nextRollupT ||
          (movedBy(x.rollupRss, sample.rssBytes, o.rollupOnChange) && budget > 0);
        if (due && (first || budget-- > 0)) this.readRollup(x, t, first);
        if (sample.rssBytes !== null) x.ring?.push(t, sample.rssBytes);
      }
    }
    return seen;
  }

  /**
   * Reads a process through its kept stat file, opening one if there is room. A kept file whose
   * task is gone fails to read; it is closed and the PID read afresh, since a new process may
   * hold it now. Null when the process is gone or unreadable.
   */
  private readKept(
    pid: number,
    x: Tracked | undefined,
    previous: ProcessSample | undefined,
  ): { sample: ProcessSample; statFile: PinnedFile | null } | null {
    if (x?.statFile) {
      const statFile = x.statFile;
      const sample = orNull(() => readProcess(this.fs, pid, { previous, stat: statFile }));
      if (sample) return { sample, statFile };
      this.closeKept(x);
    }
    const statFile =
      this.kept < MAX_KEPT_FILES ? orNull(() => this.fs.openPinned(`proc/${pid}/stat`, pid)) : null;
    if (statFile) this.kept++;
    const sample = orNull(() => readProcess(this.fs, pid, { previous, stat: statFile ?? undefined }));
    if (sample) return { sample, statFile };
    if (statFile) {
      statFile.close();
      this.kept--;
    }
    return null;
  }

  private closeKept(x: Tracked): void {
    if (!x.statFile) return;
    x.statFile.close();
    x.statFile = null;
    this.kept--;
  }

  /** Forgets a process that is gone, closing its kept file. */
  private forget(pid: number): void {
    const x = this.state.processes.get(pid);
    if (x) this.closeKept(x);
    this.state.processes.delete(pid);
  }

  private track(sample: ProcessSample, t: number): Tracked {
    const pid = sample.pid;
    const cmdline = sample.kernelThread ? null : orNull(() => readCmdline(this.fs, pid));
    // An hour at 1 s; at shorter intervals the same number of points, so memory stays bounded.
    const capacity = Math.min(3601, Math.ceil(this.opts.seriesSec / this.opts.intervalSec) + 1);
    return {
      pid,
      startTicks: sample.startTimeTicks,
      cmdline,
      command: redactCommand(cmdline),
      user: sample.uid === null ? null : this.users(sample.uid),
      sample,
      statusT: t,
      statFile: null,
      memoryCgroup: null,
      placedT: null,
      rollup: null,
      rollupUnknown: null,
      rollupT: null,
      rollupRss: null,
      nextRollupT: t,
      oomScore: null,
      oomScoreAdj: null,
      cgroup: null,
      ring: sample.kernelThread ? null : new SeriesRing(capacity),
      verdict: null,
      // The verdicts of processes seen together at start are spread like their rollups.
      nextVerdictT: t + phase(pid) * 10,
      verdictRss: null,
    };
  }

  private readRollup(x: Tracked, t: number, first: boolean): void {
    try {
      x.rollup = readSmapsRollup(this.fs, x.pid);
      x.rollupUnknown = null;
    } catch (err) {
      if (!(err instanceof ProcReadError)) throw err;
      // Exited since: the next tick drops it. Otherwise another user's process, without root.
      x.rollup = null;
      x.rollupUnknown =
        err.code === 'E_PERMISSION' ? 'permission denied' : isNoProcess(err) ? 'exited' : 'not supported';
    }
    x.oomScore = orNull(() => readOomScore(this.fs, x.pid));
    x.oomScoreAdj = orNull(() => readOomScoreAdj(this.fs, x.pid));
    x.rollupT = t;
    x.rollupRss = x.sample.rssBytes;
    const every = this.opts.rollupEverySec;
    x.nextRollupT = t + (first ? every * (0.5 + phase(x.pid)) : every);
  }

  private sampleCgroups(t: number): void {
    if (this.hierarchy === undefined) this.hierarchy = orNull(() => memoryHierarchy(this.fs));
    if (!this.hierarchy) return;
    const procs = [...this.state.processes.values()];
    // A process's cgroup changes only when something moves it: /proc/PID/cgroup is read at first
    // sight and then every CGROUP_RECHECK_SEC, not for every process every few ticks.
    const due = procs.filter((x) => x.placedT === null || t - x.placedT >= CGROUP_RECHECK_SEC);
    if (due.length > 0) {
      const found = new Map<number, MemoryCgroup>();
      for (const { cgroup, pids } of listMemoryCgroups(this.fs, {
        processes: due,
        hierarchy: this.hierarchy,
      })) {
        for (const pid of pids) found.set(pid, cgroup);
      }
      for (const x of due) {
        x.memoryCgroup = found.get(x.pid) ?? null;
        x.placedT = t;
      }
    }
    const placed = procs.flatMap((x) => (x.memoryCgroup ? [{ pid: x.pid, cgroup: x.memoryCgroup }] : []));
    const cgroups: CgroupState[] = [];
    const byPid = new Map<number, string>();
    const counts: SubtreeCounts = new Map();
    for (const { cgroup, pids } of groupByCgroup(placed)) {
      const memory = orNull(() => readCgroupMemory(this.fs, cgroup));
      if (!memory) continue;
      cgroups.push({ memory, pids, headroom: orNull(() => readCgroupHeadroom(this.fs, cgroup, counts)) });
      if (this.knownCgroups.size < 100_000) this.knownCgroups.add(memory.path);
      for (const pid of pids) byPid.set(pid, memory.path);
    }
    for (const x of procs) x.cgroup = byPid.get(x.pid) ?? null;
    this.state.cgroups = cgroups;
  }

  /**
   * Leak verdicts cost a few ms per process on an hour of samples, so each is recomputed every
   * ~10 s to a minute (a minute once the series spans the hour, when its windows are minutes
   * long), and sooner when RSS moved by more than 5% since.
   */
  private updateVerdicts(t: number): void {
    const rooms = new Map<string | null, Headroom>();
    for (const g of this.state.cgroups) rooms.set(g.memory.path, headroomOf(g.headroom, this.state.machine));
    for (const x of this.state.processes.values()) {
      if (!x.ring || x.ring.length === 0) continue;
      const rss = x.sample.rssBytes;
      if (t < x.nextVerdictT && !movedBy(x.verdictRss, rss, this.opts.rollupOnChange)) continue;
      const points = x.ring.points();
      const span = (points[points.length - 1]?.t ?? t) - (points[0]?.t ?? t);
      const verdict = analyzeSeries(points);
      // The cgroup's headroom from the last cgroup tick, else MemAvailable from this tick's meminfo.
      const room = rooms.get(x.cgroup) ?? headroomOf(null, this.state.machine);
      x.verdict = withHeadroom(verdict, room);
      x.verdictRss = rss;
      x.nextVerdictT = t + Math.min(60, Math.max(10, span / 60));
    }
  }

  private write(t: number, cgroupTick: boolean): void {
    const h = this.history;
    if (!h || !this.state.machine) return;
    h.writeTick(t, tickRows(this.state, cgroupTick));
    if (t - this.lastCompactT >= this.opts.compactEverySec) {
      h.compact(t);
      this.lastCompactT = t;
    }
  }
}

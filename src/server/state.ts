// What the sampler keeps in memory between ticks, and the rows the API serves from it. The API
// and /metrics read only this: a request or a scrape never reads /proc for the figures shown.
import type { Verdict } from '../analysis/leak.js';
import type { CgroupHeadroom } from '../collect/cgroup-headroom.js';
import type { ProcessSample, UnknownReason } from '../collect/process.js';
import type { MemoryCgroup } from '../procfs/cgroup_memory.js';
import type { CgroupMemory } from '../procfs/cgroup_usage.js';
import type { PinnedFile } from '../procfs/fs.js';
import type { Meminfo } from '../procfs/meminfo.js';
import type { Pressure } from '../procfs/pressure.js';
import { type SmapsRollup, swapBytes, ussBytes } from '../procfs/smaps_rollup.js';
import type { SeriesRing } from './series.js';

/** GET /api/machine. */
export interface MachineState {
  t: number;
  memTotalBytes: number;
  memAvailableBytes: number | null;
  cachedBytes: number | null;
  swapTotalBytes: number | null;
  swapFreeBytes: number | null;
  /** /proc/pressure/memory; null on kernels without PSI (before 4.20, or psi=0). */
  psi: Pressure | null;
  /** /proc/vmstat oom_kill: kills since boot; null before 4.13. */
  oomKills: number | null;
}

/** One process as it was at the last tick (internal). */
export interface Tracked {
  pid: number;
  startTicks: number;
  /** The raw command line, kept for the OOM analysis (Node heap flags); never served as is. */
  cmdline: string[] | null;
  /** Redacted: what the API shows. */
  command: string | null;
  user: string | null;
  sample: ProcessSample;
  /** When status was last read rather than reused (see readProcess's `previous`). */
  statusT: number;
  /** /proc/PID/stat, kept open from tick to tick (null past the sampler's limit of open files). */
  statFile: PinnedFile | null;
  rollup: SmapsRollup | null;
  rollupUnknown: UnknownReason | null;
  /** Seconds: when the rollup was read, and the RSS then (an early rollup follows a big move). */
  rollupT: number | null;
  rollupRss: number | null;
  nextRollupT: number;
  oomScore: number | null;
  oomScoreAdj: number | null;
  /** Its memory cgroup's path, as of the last cgroup tick. */
  cgroup: string | null;
  /** Where /proc/PID/cgroup placed it, and when that was read (the sampler re-reads it now and then). */
  memoryCgroup: MemoryCgroup | null;
  placedT: number | null;
  ring: SeriesRing | null;
  verdict: Verdict | null;
  nextVerdictT: number;
  verdictRss: number | null;
}

/** A row of GET /api/processes (and of the SSE "tick" event). */
export interface ProcessRow {
  pid: number;
  startTicks: number;
  name: string;
  command: string | null;
  user: string | null;
  vszBytes: number | null;
  rssBytes: number | null;
  pssBytes: number | null;
  ussBytes: number | null;
  swapBytes: number | null;
  anonBytes: number | null;
  fileBytes: number | null;
  shmemBytes: number | null;
  /** Seconds since PSS/USS were read (they come from smaps_rollup, read less often). */
  rollupAgeSec: number | null;
  kernelThread: boolean;
  /** Why pss/uss are null, when they are. */
  unknownReason: UnknownReason | null;
  verdict: Verdict | null;
  /** The last ~60 RSS values, oldest first, one per tick. */
  spark: number[];
}

/** GET /api/processes/:pid's `process`. */
export interface ProcessDetail extends ProcessRow {
  threads: number | null;
  oomScore: number | null;
  oomScoreAdj: number | null;
  cgroup: string | null;
  minorFaults: number;
  majorFaults: number;
}

export interface CgroupState {
  memory: CgroupMemory;
  pids: number[];
  /** Its headroom at the level that binds (an ancestor's limit counts its siblings), null without a limit. */
  headroom: CgroupHeadroom | null;
}

export interface SamplerState {
  /** Seconds since the epoch of the last tick; 0 before the first. */
  t: number;
  meminfo: Meminfo | null;
  machine: MachineState | null;
  processes: Map<number, Tracked>;
  cgroups: CgroupState[];
  ticks: number;
  lastTickSec: number;
}

export const SPARK_POINTS = 60;

export function swapOf(x: Tracked): number | null {
  if (x.rollup) return swapBytes(x.rollup);
  return x.sample.status.vmSwapBytes;
}

export function toRow(x: Tracked, t: number): ProcessRow {
  const s = x.sample;
  const r = x.rollup;
  return {
    pid: x.pid,
    startTicks: x.startTicks,
    name: s.name,
    command: x.command,
    user: x.user,
    vszBytes: s.vszBytes,
    rssBytes: s.rssBytes,
    pssBytes: r ? r.pssBytes : null,
    ussBytes: r ? ussBytes(r) : null,
    swapBytes: swapOf(x),
    anonBytes: s.rssAnonBytes,
    fileBytes: s.rssFileBytes,
    shmemBytes: s.rssShmemBytes,
    rollupAgeSec: r && x.rollupT !== null ? Math.round(Math.max(0, t - x.rollupT) * 1000) / 1000 : null,
    kernelThread: s.kernelThread,
    unknownReason: r ? null : s.kernelThread ? 'kernel thread' : x.rollupUnknown,
    verdict: x.verdict,
    spark: x.ring ? x.ring.lastValues(SPARK_POINTS) : [],
  };
}

export function toDetail(x: Tracked, t: number): ProcessDetail {
  return {
    ...toRow(x, t),
    threads: x.sample.threads,
    oomScore: x.oomScore,
    oomScoreAdj: x.oomScoreAdj,
    cgroup: x.cgroup,
    minorFaults: x.sample.minorFaults,
    majorFaults: x.sample.majorFaults,
  };
}

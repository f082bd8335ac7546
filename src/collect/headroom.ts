// How much room a process has left, and the counters that tell an OOM kill from an exit.
// With a memory cgroup limit, the room is what is left at the level that binds first (see
// cgroup-headroom.ts: an ancestor's limit counts its other children's memory too); without one,
// it is MemAvailable.
import { readCgroup } from '../procfs/cgroup.js';
import { findMemoryCgroup, type MemoryCgroup } from '../procfs/cgroup_memory.js';
import { readFlatKeyed } from '../procfs/cgroup_stat.js';
import { ProcReadError } from '../procfs/errors.js';
import type { ProcFs } from '../procfs/fs.js';
import { readKmsg } from '../procfs/kmsg.js';
import { type Meminfo, readMeminfo } from '../procfs/meminfo.js';
import { parseOomKills } from '../procfs/oom_kills.js';
import { readVmstat } from '../procfs/vmstat.js';
import { type CgroupHeadroom, readCgroupHeadroom } from './cgroup-headroom.js';
import { memoryHierarchy } from './cgroups.js';

export interface Headroom {
  headroomBytes: number | null;
  limitBytes: number | null;
  /** "cgroup /path" (the binding level) or "MemAvailable". */
  limitSource: string | null;
  /** The binding cgroup level, null when no cgroup limits the process. */
  cgroup: CgroupHeadroom | null;
}

function orNull<T>(read: () => T): T | null {
  try {
    return read();
  } catch (err) {
    if (err instanceof ProcReadError) return null;
    throw err;
  }
}

/** The headroom a cgroup reading gives, else MemAvailable from `meminfo` (null: unknown). */
export function headroomOf(
  cgroup: CgroupHeadroom | null,
  meminfo: Pick<Meminfo, 'memAvailableBytes' | 'memTotalBytes'> | null,
): Headroom {
  if (cgroup) {
    return {
      headroomBytes: cgroup.headroomBytes,
      limitBytes: cgroup.limitBytes,
      limitSource: `cgroup ${cgroup.setBy}`,
      cgroup,
    };
  }
  return {
    headroomBytes: meminfo?.memAvailableBytes ?? null,
    limitBytes: meminfo?.memTotalBytes ?? null,
    limitSource: meminfo?.memAvailableBytes == null ? null : 'MemAvailable',
    cgroup: null,
  };
}

export class HeadroomReader {
  /** The process's own memory cgroup (for its OOM counter), null when none. */
  readonly cgroup: MemoryCgroup | null;

  constructor(
    private readonly fs: ProcFs,
    pid: number,
  ) {
    const hierarchy = orNull(() => memoryHierarchy(fs));
    this.cgroup = hierarchy ? orNull(() => findMemoryCgroup(fs, pid, readCgroup(fs, pid), hierarchy)) : null;
  }

  /** The cgroup's headroom at its binding level now, null when no level has a limit. */
  readCgroup(): CgroupHeadroom | null {
    const cg = this.cgroup;
    return cg ? orNull(() => readCgroupHeadroom(this.fs, cg)) : null;
  }

  read(): Headroom {
    const cgroup = this.readCgroup();
    return headroomOf(cgroup, cgroup ? null : orNull(() => readMeminfo(this.fs)));
  }

  /** The OOM kills counted for the process's own cgroup (v1 oom_control, v2 memory.events). */
  cgroupOomKills(): number | null {
    const cg = this.cgroup;
    if (!cg) return null;
    const file = cg.version === 1 ? 'memory.oom_control' : 'memory.events';
    return orNull(() => readFlatKeyed(this.fs, cg.dir, file).get('oom_kill') ?? null);
  }

  machineOomKills(): number | null {
    return orNull(() => readVmstat(this.fs).oomKill);
  }
}

export interface ExitCause {
  oomKilled: boolean;
  /** How we know, in words: each source that says so. Empty when nothing points to an OOM kill. */
  evidence: string[];
}

/**
 * Tells an OOM kill from an ordinary exit, after the fact: the cgroup's oom_kill counter, the
 * machine's /proc/vmstat oom_kill, and the kernel log's report naming the PID (root only).
 */
export function exitCause(
  fs: ProcFs,
  pid: number,
  reader: HeadroomReader,
  before: { cgroupOomKills: number | null; machineOomKills: number | null },
): ExitCause {
  const evidence: string[] = [];
  let logSaysKilled = false;
  const records = orNull(() => readKmsg(fs));
  if (records) {
    const kill = parseOomKills(records, null).find((k) => k.pid === pid);
    if (kill) {
      logSaysKilled = true;
      evidence.push(
        `the kernel log reports "Killed process ${pid} (${kill.name})"${kill.constraint ? ` (${kill.constraint})` : ''}`,
      );
    }
  }
  const cgAfter = reader.cgroupOomKills();
  const cgRose = before.cgroupOomKills !== null && cgAfter !== null && cgAfter > before.cgroupOomKills;
  if (cgRose) {
    evidence.push(`the cgroup's oom_kill counter went from ${before.cgroupOomKills} to ${cgAfter}`);
  }
  const mAfter = reader.machineOomKills();
  const machineRose = before.machineOomKills !== null && mAfter !== null && mAfter > before.machineOomKills;
  if (machineRose) evidence.push(`/proc/vmstat oom_kill went from ${before.machineOomKills} to ${mAfter}`);
  // The machine counter alone could be another process's kill; the log or the cgroup pin it down.
  return { oomKilled: logSaysKilled || cgRose || (machineRose && records === null), evidence };
}

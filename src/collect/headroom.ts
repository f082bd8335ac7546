// How much room a process has left, and the counters that tell an OOM kill from an exit.
// With a memory cgroup limit, the room is that limit minus the usage of the cgroup that sets it
// (an ancestor's limit counts everything below it); without one, it is MemAvailable.
import { readCgroup } from '../procfs/cgroup.js';
import { findMemoryCgroup, type MemoryCgroup, readEffectiveLimit } from '../procfs/cgroup_memory.js';
import { readFlatKeyed } from '../procfs/cgroup_stat.js';
import { ProcReadError } from '../procfs/errors.js';
import type { ProcFs } from '../procfs/fs.js';
import { readKmsg } from '../procfs/kmsg.js';
import { readMeminfo } from '../procfs/meminfo.js';
import { parseOomKills } from '../procfs/oom_kills.js';
import { readVmstat } from '../procfs/vmstat.js';
import { memoryCgroupByPath, memoryHierarchy } from './cgroups.js';

export interface Headroom {
  headroomBytes: number | null;
  limitBytes: number | null;
  /** "cgroup /path" or "MemAvailable". */
  limitSource: string | null;
}

function orNull<T>(read: () => T): T | null {
  try {
    return read();
  } catch (err) {
    if (err instanceof ProcReadError) return null;
    throw err;
  }
}

function usageFile(cg: MemoryCgroup): string {
  return `${cg.dir}/${cg.version === 1 ? 'memory.usage_in_bytes' : 'memory.current'}`;
}

export class HeadroomReader {
  /** The process's own memory cgroup (for its OOM counter), null when none. */
  readonly cgroup: MemoryCgroup | null;
  /** The cgroup whose limit binds, with that limit; null when there is no cgroup limit. */
  readonly limiting: { cg: MemoryCgroup; limitBytes: number } | null;

  constructor(
    private readonly fs: ProcFs,
    pid: number,
  ) {
    const hierarchy = orNull(() => memoryHierarchy(fs));
    this.cgroup = hierarchy ? orNull(() => findMemoryCgroup(fs, pid, readCgroup(fs, pid), hierarchy)) : null;
    let limiting: HeadroomReader['limiting'] = null;
    if (this.cgroup && hierarchy) {
      const eff = orNull(() => readEffectiveLimit(fs, this.cgroup as MemoryCgroup));
      if (eff && Number.isFinite(eff.limitBytes) && eff.setBy !== null) {
        const setBy = eff.setBy;
        const cg =
          setBy === this.cgroup.path ? this.cgroup : orNull(() => memoryCgroupByPath(fs, hierarchy, setBy));
        if (cg) limiting = { cg, limitBytes: eff.limitBytes };
      }
    }
    this.limiting = limiting;
  }

  read(): Headroom {
    if (this.limiting) {
      const { cg, limitBytes } = this.limiting;
      const usage = orNull(() => Number(this.fs.readText(usageFile(cg)).trim()));
      return {
        headroomBytes: usage === null || Number.isNaN(usage) ? null : Math.max(0, limitBytes - usage),
        limitBytes,
        limitSource: `cgroup ${cg.path}`,
      };
    }
    const m = orNull(() => readMeminfo(this.fs));
    return {
      headroomBytes: m?.memAvailableBytes ?? null,
      limitBytes: m?.memTotalBytes ?? null,
      limitSource: m?.memAvailableBytes == null ? null : 'MemAvailable',
    };
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

// A scan of every process on the machine. Processes come and go while we read: one that exits
// mid-read is skipped, never reported half-read or with another process's numbers.
import { readCgroup } from '../procfs/cgroup.js';
import {
  type EffectiveLimit,
  findMemoryCgroup,
  findMemoryHierarchy,
  type MemoryCgroup,
  type MemoryHierarchy,
  readEffectiveLimit,
} from '../procfs/cgroup_memory.js';
import { isNoProcess, ProcReadError } from '../procfs/errors.js';
import type { ProcFs } from '../procfs/fs.js';
import { readMountinfo } from '../procfs/mountinfo.js';
import { type ProcessSample, type ReadOptions, readProcess } from './process.js';

/** The numeric entries of /proc: one per process (thread groups only; threads live in task/). */
export function listPids(fs: ProcFs): number[] {
  const pids: number[] = [];
  for (const name of fs.list('proc')) {
    const c = name.charCodeAt(0);
    if (c >= 48 && c <= 57) pids.push(Number(name));
  }
  return pids.sort((a, b) => a - b);
}

export interface ScanResult {
  processes: ProcessSample[];
  /** PIDs listed but gone before they could be read. */
  exited: number;
}

/** Reads every process. Errors other than "exited" and "unreadable" propagate: they are bugs. */
export function scanProcesses(fs: ProcFs, opts: ReadOptions = {}): ScanResult {
  const processes: ProcessSample[] = [];
  let exited = 0;
  for (const pid of listPids(fs)) {
    try {
      processes.push(readProcess(fs, pid, opts));
    } catch (err) {
      if (isNoProcess(err)) {
        exited++;
        continue;
      }
      throw err;
    }
  }
  return { processes, exited };
}

export interface CgroupLimitLookup {
  /** The memory hierarchy found on this machine, null when there is no memory controller. */
  hierarchy: MemoryHierarchy | null;
  /** The effective memory limit of a process's cgroup, null when unknown. */
  limitOf(pid: number): (EffectiveLimit & { cgroup: string }) | null;
}

/**
 * Finds each process's memory cgroup and its effective limit. Limits are cached per cgroup
 * folder: hundreds of processes usually share a handful of cgroups.
 */
export function cgroupLimits(fs: ProcFs): CgroupLimitLookup {
  let hierarchy: MemoryHierarchy | null = null;
  try {
    hierarchy = findMemoryHierarchy(fs, readMountinfo(fs));
  } catch (err) {
    if (!(err instanceof ProcReadError)) throw err;
  }
  const cache = new Map<string, EffectiveLimit | null>();
  // Keyed by the path /proc/PID/cgroup gives: finding the folder can mean a search, and most
  // processes share a few cgroups.
  const folders = new Map<string, MemoryCgroup | null>();
  return {
    hierarchy,
    limitOf(pid) {
      if (!hierarchy) return null;
      try {
        const entries = readCgroup(fs, pid);
        const key = entries.map((e) => `${e.hierarchyId}:${e.path}`).join('\n');
        let cg = folders.get(key);
        if (cg === undefined) {
          cg = findMemoryCgroup(fs, pid, entries, hierarchy);
          folders.set(key, cg);
        }
        if (!cg) return null;
        let limit = cache.get(cg.dir);
        if (limit === undefined) {
          try {
            limit = readEffectiveLimit(fs, cg);
          } catch (err) {
            if (!(err instanceof ProcReadError)) throw err;
            limit = null;
          }
          cache.set(cg.dir, limit);
        }
        return limit ? { ...limit, cgroup: cg.path } : null;
      } catch (err) {
        if (isNoProcess(err) || err instanceof ProcReadError) return null;
        throw err;
      }
    },
  };
}

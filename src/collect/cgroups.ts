// The memory cgroups worth reporting: those that hold processes, found from each process's
// /proc/PID/cgroup, or the one a user names (`--cgroup PATH`).
import { posix } from 'node:path';
import { readCgroup } from '../procfs/cgroup.js';
import {
  findMemoryCgroup,
  findMemoryHierarchy,
  type MemoryCgroup,
  type MemoryHierarchy,
  memoryCgroupOf,
} from '../procfs/cgroup_memory.js';
import { isNoProcess, ProcReadError } from '../procfs/errors.js';
import type { ProcFs } from '../procfs/fs.js';
import { readMountinfo } from '../procfs/mountinfo.js';
import { listPids } from './scan.js';

export interface CgroupWithPids {
  cgroup: MemoryCgroup;
  /** The processes found in it, ascending. */
  pids: number[];
}

export interface ListCgroupsOptions {
  /** The processes to place (default: every PID in /proc). */
  processes?: { pid: number }[];
  /** The memory hierarchy, when the caller has found it already (default: from mountinfo). */
  hierarchy?: MemoryHierarchy | null;
}

/** The memory hierarchy from /proc/self/mountinfo, null when there is no memory controller. */
export function memoryHierarchy(fs: ProcFs): MemoryHierarchy | null {
  return findMemoryHierarchy(fs, readMountinfo(fs));
}

/**
 * The distinct memory cgroups that hold the given processes (by default every process), each
 * with its PIDs, sorted by cgroup path. Reads /proc/PID/cgroup and maps it to a folder with
 * findMemoryCgroup. A process that exits mid-way or whose cgroup cannot be found or read is left
 * out; [] when there is no memory controller.
 */
export function listMemoryCgroups(fs: ProcFs, opts: ListCgroupsOptions = {}): CgroupWithPids[] {
  const hierarchy = opts.hierarchy === undefined ? memoryHierarchy(fs) : opts.hierarchy;
  if (!hierarchy) return [];
  const pids = opts.processes ? opts.processes.map((p) => p.pid) : listPids(fs);
  // Keyed by what /proc/PID/cgroup says: most processes share a few cgroups, and finding the
  // folder can mean a search of the tree.
  const folders = new Map<string, MemoryCgroup | null>();
  const placed: { pid: number; cgroup: MemoryCgroup }[] = [];
  for (const pid of pids) {
    let cg: MemoryCgroup | null | undefined;
    try {
      const entries = readCgroup(fs, pid);
      const key = entries.map((e) => `${e.hierarchyId}:${e.path}`).join('\n');
      cg = folders.get(key);
      if (cg === undefined) {
        cg = findMemoryCgroup(fs, pid, entries, hierarchy);
        folders.set(key, cg);
      }
    } catch (err) {
      if (isNoProcess(err) || err instanceof ProcReadError) continue;
      throw err;
    }
    if (cg) placed.push({ pid, cgroup: cg });
  }
  return groupByCgroup(placed);
}

/** Processes placed in cgroups, grouped: each cgroup with its PIDs ascending, sorted by path. */
export function groupByCgroup(placed: Iterable<{ pid: number; cgroup: MemoryCgroup }>): CgroupWithPids[] {
  const byDir = new Map<string, CgroupWithPids>();
  for (const { pid, cgroup } of placed) {
    const found = byDir.get(cgroup.dir);
    if (found) found.pids.push(pid);
    else byDir.set(cgroup.dir, { cgroup, pids: [pid] });
  }
  const out = [...byDir.values()];
  for (const c of out) c.pids.sort((a, b) => a - b);
  return out.sort((a, b) => (a.cgroup.path < b.cgroup.path ? -1 : a.cgroup.path > b.cgroup.path ? 1 : 0));
}

function isDir(fs: ProcFs, dir: string): boolean {
  try {
    fs.list(dir);
    return true;
  } catch {
    return false;
  }
}

/**
 * The memory cgroup a user names, for `--cgroup PATH`. PATH is a cgroup path as /proc/PID/cgroup
 * shows it ("/docker/b29f..."), mapped to a folder like memoryCgroupOf does; a folder below the
 * mount ("/sys/fs/cgroup/memory/docker/b29f...") is taken too. Throws ProcReadError E_UNSUPPORTED
 * when no such cgroup exists or it has no memory files.
 */
export function memoryCgroupByPath(fs: ProcFs, hierarchy: MemoryHierarchy, path: string): MemoryCgroup {
  // Empty and "." segments go; ".." stays for memoryCgroupOf, which knows where a cgroup
  // namespace's "/../.." paths lead.
  const absolute = `/${path
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .join('/')}`;
  const entry =
    hierarchy.version === 1
      ? { hierarchyId: 1, controllers: ['memory'], path: absolute }
      : { hierarchyId: 0, controllers: [], path: absolute };
  let cg = memoryCgroupOf([entry], hierarchy);
  if (!cg || !isDir(fs, cg.dir)) {
    const mount = `/${hierarchy.mountDir}`;
    const folder = posix.normalize(absolute);
    if (folder === mount || folder.startsWith(`${mount}/`)) {
      const rel = folder.slice(mount.length);
      const dir = posix.join(hierarchy.mountDir, rel);
      if (isDir(fs, dir)) cg = { version: hierarchy.version, path: rel || '/', dir, hierarchy };
    }
  }
  const where = fs.path(hierarchy.mountDir);
  if (!cg) {
    throw new ProcReadError(
      'E_UNSUPPORTED',
      where,
      `Cannot find memory cgroup "${path}": it lies outside the hierarchy mounted at "${where}"`,
    );
  }
  if (!isDir(fs, cg.dir)) {
    throw new ProcReadError(
      'E_UNSUPPORTED',
      fs.path(cg.dir),
      `Cannot find memory cgroup "${path}": no folder "${fs.path(cg.dir)}"`,
    );
  }
  try {
    fs.readText(posix.join(cg.dir, 'memory.stat'));
  } catch (err) {
    if (!(err instanceof ProcReadError)) throw err;
    throw new ProcReadError(
      'E_UNSUPPORTED',
      err.path,
      `Cgroup "${path}" has no memory controller: cannot read "${err.path}"`,
      { cause: err },
    );
  }
  return cg;
}

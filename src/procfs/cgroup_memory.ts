// The memory controller's files for one cgroup, v1 and v2. https://docs.kernel.org/admin-guide/cgroup-v2.html
//   v1 memory.limit_in_bytes:  9223372036854771712   (PAGE_COUNTER_MAX * PAGE_SIZE: no limit)
//   v2 memory.max:             max                   (no limit)
// Limits are bytes, Infinity when there is none. Finding which folder holds a process's
// cgroup (mountinfo + /proc/PID/cgroup) is here too, because it is the same kernel layout.
import { posix } from 'node:path';
import type { CgroupEntry } from './cgroup.js';
import { ProcReadError } from './errors.js';
import type { ProcFs } from './fs.js';
import type { MountInfo } from './mountinfo.js';
import { limitBytes, parseU64 } from './numbers.js';

export type CgroupVersion = 1 | 2;

/** Where the memory controller is mounted: a v1 "memory" hierarchy or v2 with memory enabled. */
export interface MemoryHierarchy {
  version: CgroupVersion;
  /** Mount point relative to the ProcFs root, e.g. "sys/fs/cgroup/memory". */
  mountDir: string;
  /** The cgroup path that is mounted there ("/" on the host; "/docker/ID" in some containers). */
  mountRoot: string;
}

export interface MemoryCgroup {
  version: CgroupVersion;
  /** The cgroup path as /proc/PID/cgroup gives it, e.g. "/process_api/0e38". */
  path: string;
  /** Its folder relative to the ProcFs root. */
  dir: string;
  hierarchy: MemoryHierarchy;
}

/**
 * The mount point relative to the ProcFs root. The kernel always prints it absolute, and it is
 * used as it is. A relative one can only come from a captured tree whose tool rewrote it
 * ("testdata/docker/sys/fs/cgroup/memory"): anchor that on "sys/fs/cgroup".
 */
function relativeMountDir(mountPoint: string): string {
  if (mountPoint.startsWith('/')) return mountPoint.replace(/^\/+/, '');
  const at = mountPoint.indexOf('sys/fs/cgroup');
  return at === -1 ? mountPoint : mountPoint.slice(at);
}

/**
 * A cgroup path as segments, "." and inner ".." resolved. Leading ".." segments stay: in a cgroup
 * namespace, /proc/PID/cgroup and mountinfo show cgroups outside the namespace as "/../..".
 */
function segments(path: string): string[] {
  const out: string[] = [];
  for (const s of path.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else out.push(s);
  }
  return out;
}

/** How far above the reader's namespace root a mount's root lies: lower sees more. */
function rootDepth(root: string): number {
  let depth = 0;
  for (const s of segments(root)) depth += s === '..' ? -1 : 1;
  return depth;
}

function hasMemoryFiles(fs: ProcFs, dir: string): boolean | null {
  try {
    return fs.readText(posix.join(dir, 'cgroup.controllers')).trim().split(/\s+/).includes('memory');
  } catch {
    // No cgroup.controllers here (a captured tree may lack it): try the memory files.
    try {
      fs.readText(posix.join(dir, 'memory.stat'));
      return true;
    } catch {
      return null;
    }
  }
}

/**
 * Finds the memory controller's hierarchy. A v1 "memory" mount wins when there is one: on a
 * hybrid host (v1 memory + a v2 mount without it) v2 holds no memory files. Of several v2 mounts
 * (a container that also mounts the host's tree) the one whose root lies highest sees the most
 * processes. When no v2 mount can be proven to hold memory (a captured tree with only the leaf
 * cgroups), a v2 mount that is not proven not to is taken: with no v1 memory mount, v2 is where
 * the controller lives if it is anywhere.
 */
export function findMemoryHierarchy(fs: ProcFs, mounts: MountInfo[]): MemoryHierarchy | null {
  const v1 = mounts.find((m) => m.fsType === 'cgroup' && m.superOptions.includes('memory'));
  if (v1) return { version: 1, mountDir: relativeMountDir(v1.mountPoint), mountRoot: v1.root };
  const v2 = mounts
    .filter((m) => m.fsType === 'cgroup2')
    .map((m) => ({ mountDir: relativeMountDir(m.mountPoint), mountRoot: m.root }))
    .sort((a, b) => rootDepth(a.mountRoot) - rootDepth(b.mountRoot));
  let unproven: MemoryHierarchy | null = null;
  for (const m of v2) {
    const memory = hasMemoryFiles(fs, m.mountDir);
    if (memory === true) return { version: 2, ...m };
    if (memory === null && unproven === null) unproven = { version: 2, ...m };
  }
  return unproven;
}

/**
 * The memory cgroup of a process, given its /proc/PID/cgroup entries. Pure: the folder it names
 * may not exist (see findMemoryCgroup). Null when the process has no memory cgroup in this
 * hierarchy, or when its cgroup lies outside what the mount shows (another cgroup namespace):
 * then any folder we named would be some other cgroup, with some other limit.
 */
export function memoryCgroupOf(entries: CgroupEntry[], hierarchy: MemoryHierarchy): MemoryCgroup | null {
  const entry =
    hierarchy.version === 1
      ? entries.find((e) => e.controllers.includes('memory'))
      : entries.find((e) => e.hierarchyId === 0);
  if (!entry) return null;
  // The mount shows hierarchy.mountRoot at mountDir; a path below that root maps below mountDir.
  const path = segments(entry.path);
  const root = segments(hierarchy.mountRoot);
  let rel: string[];
  if (root.every((s, i) => path[i] === s)) {
    rel = path.slice(root.length);
  } else {
    // A path beside the root, not below it: captured container trees hold the process's cgroup
    // at that path below the mount itself (elastic's docker tree), so take it as relative to it.
    rel = path;
  }
  // Still climbing out ("/../..") means the cgroup is above everything the mount shows.
  if (rel[0] === '..') return null;
  return {
    version: hierarchy.version,
    path: entry.path,
    dir: posix.join(hierarchy.mountDir, ...rel),
    hierarchy,
  };
}

function isDir(fs: ProcFs, dir: string): boolean {
  try {
    fs.list(dir);
    return true;
  } catch {
    return false;
  }
}

/** The cgroup folders visited at most when looking for a process by its cgroup.procs. */
const SEARCH_LIMIT = 2000;

/**
 * Finds the folder at or below the mount whose cgroup.procs lists `pid`, breadth first, visiting
 * at most SEARCH_LIMIT folders. Folders without cgroup.procs (a captured tree keeps only some
 * files) are still descended into.
 */
function searchCgroupProcs(fs: ProcFs, mountDir: string, pid: number): string | null {
  const want = String(pid);
  const queue = [mountDir];
  for (let visited = 0; visited < queue.length && visited < SEARCH_LIMIT; visited++) {
    const dir = queue[visited] as string;
    try {
      if (fs.readText(posix.join(dir, 'cgroup.procs')).split('\n').includes(want)) return dir;
    } catch {
      // no cgroup.procs here: keep descending
    }
    let names: string[];
    try {
      names = fs.list(dir);
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      const sub = posix.join(dir, name);
      // Files fail to list (ENOTDIR); cgroup folders are the only subfolders.
      if (isDir(fs, sub)) queue.push(sub);
    }
  }
  return null;
}

/**
 * The memory cgroup of process `pid`, checked against the tree: memoryCgroupOf when its folder
 * exists, else the folder whose cgroup.procs lists the pid. That search is for views where the
 * path cannot be mapped: a cgroup namespace (the path starts "/.."), or a captured tree that
 * holds the cgroup somewhere its path does not say. The path of a cgroup found by search is
 * relative to the mounted hierarchy's root. Null when neither finds it.
 */
export function findMemoryCgroup(
  fs: ProcFs,
  pid: number,
  entries: CgroupEntry[],
  hierarchy: MemoryHierarchy,
): MemoryCgroup | null {
  const mapped = memoryCgroupOf(entries, hierarchy);
  if (mapped && isDir(fs, mapped.dir)) return mapped;
  const dir = searchCgroupProcs(fs, hierarchy.mountDir, pid);
  if (dir === null) return null;
  return { version: hierarchy.version, path: `/${posix.relative(hierarchy.mountDir, dir)}`, dir, hierarchy };
}

/** Parses a v1 memory.limit_in_bytes or v2 memory.max / memory.high value: bytes or Infinity. */
export function parseLimit(text: string, path: string): number {
  const t = text.trim();
  if (t === 'max') return Number.POSITIVE_INFINITY;
  return limitBytes(parseU64(t, path, 1));
}

/** Reads the cgroup's own memory limit (not its ancestors'): bytes, or Infinity for none. */
export function readOwnLimit(fs: ProcFs, dir: string, version: CgroupVersion): number {
  const file = posix.join(dir, version === 1 ? 'memory.limit_in_bytes' : 'memory.max');
  return parseLimit(fs.readText(file), fs.path(file));
}

export interface EffectiveLimit {
  /** Bytes; Infinity when neither the cgroup nor any ancestor has a limit. */
  limitBytes: number;
  /** The cgroup path that sets it (the nearest one with the lowest limit), null when none. */
  setBy: string | null;
}

/**
 * The lowest limit over the cgroup and its ancestors up to the mount root. (v1's
 * hierarchical_memory_limit gives the same for the cgroup itself, but not who sets it.) Not always
 * the one that binds first: an ancestor with a higher limit but less room left, its other children
 * using it, does (collect/cgroup-headroom.ts).
 */
export function readEffectiveLimit(fs: ProcFs, cg: MemoryCgroup): EffectiveLimit {
  let best: EffectiveLimit = { limitBytes: Number.POSITIVE_INFINITY, setBy: null };
  let dir = cg.dir;
  let path = cg.path;
  for (;;) {
    let own: number;
    try {
      own = readOwnLimit(fs, dir, cg.version);
    } catch (err) {
      // The cgroup's own file missing means we are not looking at its memory controller: report
      // it. Above it, a missing file sets no limit: v2's root cgroup has no memory.max, and
      // captured trees (ours and other projects') hold only the cgroups that were asked for.
      const missing = err instanceof ProcReadError && err.code === 'E_UNSUPPORTED';
      if (!missing || (dir === cg.dir && dir !== cg.hierarchy.mountDir)) throw err;
      own = Number.POSITIVE_INFINITY;
    }
    if (own < best.limitBytes) best = { limitBytes: own, setBy: path };
    if (dir === cg.hierarchy.mountDir || dir === '.' || dir === '') break;
    dir = posix.dirname(dir);
    path = posix.dirname(path);
  }
  return best;
}

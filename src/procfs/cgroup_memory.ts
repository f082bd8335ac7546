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
 * Mount points as the kernel prints them are absolute on a live machine. Captured trees (and
 * tools that rewrote them) may carry a prefix before "sys/fs/cgroup"; anchor on that.
 */
function relativeMountDir(mountPoint: string): string {
  const at = mountPoint.indexOf('sys/fs/cgroup');
  return at === -1 ? mountPoint.replace(/^\/+/, '') : mountPoint.slice(at);
}

/**
 * Finds the memory controller's hierarchy. A v1 "memory" mount wins when there is one: on a
 * hybrid host (v1 memory + a v2 mount without it) v2 holds no memory files.
 */
export function findMemoryHierarchy(fs: ProcFs, mounts: MountInfo[]): MemoryHierarchy | null {
  const v1 = mounts.find((m) => m.fsType === 'cgroup' && m.superOptions.includes('memory'));
  if (v1) return { version: 1, mountDir: relativeMountDir(v1.mountPoint), mountRoot: v1.root };
  for (const m of mounts.filter((x) => x.fsType === 'cgroup2')) {
    const dir = relativeMountDir(m.mountPoint);
    try {
      const controllers = fs.readText(posix.join(dir, 'cgroup.controllers')).trim().split(/\s+/);
      if (controllers.includes('memory')) return { version: 2, mountDir: dir, mountRoot: m.root };
    } catch {
      // No cgroup.controllers here (a captured tree may lack it): try the memory files.
      try {
        fs.readText(posix.join(dir, 'memory.stat'));
        return { version: 2, mountDir: dir, mountRoot: m.root };
      } catch {
        // not a v2 hierarchy with memory
      }
    }
  }
  return null;
}

/** The memory cgroup of a process, given its /proc/PID/cgroup entries. */
export function memoryCgroupOf(entries: CgroupEntry[], hierarchy: MemoryHierarchy): MemoryCgroup | null {
  const entry =
    hierarchy.version === 1
      ? entries.find((e) => e.controllers.includes('memory'))
      : entries.find((e) => e.hierarchyId === 0);
  if (!entry) return null;
  // The mount shows hierarchy.mountRoot at mountDir; a path below that root maps below mountDir.
  // A path outside it (a container's own view) is taken as relative to the mount itself.
  let rel = entry.path;
  const root = hierarchy.mountRoot === '/' ? '' : hierarchy.mountRoot;
  if (root !== '' && (rel === root || rel.startsWith(`${root}/`))) rel = rel.slice(root.length) || '/';
  const dir = posix.normalize(posix.join(hierarchy.mountDir, rel));
  // "/../.." paths (a cgroup namespace seeing outside itself) must not climb above the mount.
  const safeDir = dir.startsWith(hierarchy.mountDir) ? dir : hierarchy.mountDir;
  return { version: hierarchy.version, path: entry.path, dir: safeDir, hierarchy };
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
 * The limit that binds: the minimum over the cgroup and its ancestors up to the mount root.
 * (v1's hierarchical_memory_limit gives the same for the cgroup itself, but not who sets it.)
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
      // v2's root cgroup has no memory.max; a missing file further down is worth reporting.
      if (!(err instanceof ProcReadError) || dir !== cg.hierarchy.mountDir) throw err;
      own = Number.POSITIVE_INFINITY;
    }
    if (own < best.limitBytes) best = { limitBytes: own, setBy: path };
    if (dir === cg.hierarchy.mountDir || dir === '.' || dir === '') break;
    dir = posix.dirname(dir);
    path = posix.dirname(path);
  }
  return best;
}

// The room a memory cgroup has left, measured where it runs out first. A cgroup's memory is
// charged to it and to every ancestor, so each limited level from the cgroup up to the root can
// be the one that fills: its headroom is its own limit minus its own working set, which counts
// its other descendants (siblings of the cgroup, cousins) too. The level with the least headroom
// binds; it is not always the one with the lowest limit (a 1 GiB child under a 160 MiB parent
// whose other children hold 130 MiB has 30 MiB left, not 1 GiB minus its own usage).
// The working set is usage - inactive_file, as Kubernetes counts it: the kernel reclaims inactive
// page cache before it OOM-kills, so that part is room.
import { posix } from 'node:path';
import { type MemoryCgroup, readOwnLimit } from '../procfs/cgroup_memory.js';
import { readCgroupWorkingSet } from '../procfs/cgroup_usage.js';
import { ProcReadError } from '../procfs/errors.js';
import type { ProcFs } from '../procfs/fs.js';

/** One limited level on the way from a cgroup up to the root. */
export interface HeadroomLevel {
  /** The cgroup path of that level, e.g. "/parent". */
  path: string;
  /** Its own limit (v1 memory.limit_in_bytes, v2 memory.max), bytes; finite. */
  limitBytes: number;
  /** Its working set (usage - inactive_file, floored at 0), its descendants included; null when unknown. */
  workingSetBytes: number | null;
}

/** Where a cgroup's headroom runs out. */
export interface CgroupHeadroom {
  /** limit - working set at the binding level, floored at 0; null when unknown. */
  headroomBytes: number | null;
  /** The binding level: its path, its own limit and working set. */
  setBy: string;
  limitBytes: number;
  workingSetBytes: number | null;
  /**
   * Other cgroups below the binding level, not on the way up from this cgroup, whose memory is
   * charged against the same limit: 0 when the cgroup has the limit to itself; null when the
   * tree could not be listed.
   */
  sharedWith: number | null;
}

/**
 * The level that binds first (pure): the least headroom among the levels whose working set is
 * known, the nearest one on a tie (levels are given from the cgroup up); when none is known, the
 * lowest limit, with the headroom unknown. Null when no level has a limit.
 */
export function bindingLevel(
  levels: readonly HeadroomLevel[],
): (HeadroomLevel & { headroomBytes: number | null }) | null {
  let best: (HeadroomLevel & { headroomBytes: number }) | null = null;
  let lowest: HeadroomLevel | null = null;
  for (const level of levels) {
    if (!Number.isFinite(level.limitBytes)) continue;
    if (lowest === null || level.limitBytes < lowest.limitBytes) lowest = level;
    if (level.workingSetBytes === null) continue;
    const headroomBytes = Math.max(0, level.limitBytes - level.workingSetBytes);
    if (best === null || headroomBytes < best.headroomBytes) best = { ...level, headroomBytes };
  }
  if (best) return best;
  return lowest ? { ...lowest, headroomBytes: null } : null;
}

/** The cgroup folders visited at most when counting what shares a limit. */
const COUNT_LIMIT = 2000;

function subfolders(fs: ProcFs, dir: string): string[] {
  const out: string[] = [];
  for (const name of fs.list(dir).sort()) {
    const sub = posix.join(dir, name);
    try {
      fs.list(sub);
      out.push(sub);
    } catch {
      // a file (ENOTDIR): cgroup folders are the only subfolders
    }
  }
  return out;
}

/** How many folders lie below `top`, recursively; null when it cannot be listed. */
function countBelow(fs: ProcFs, top: string): number | null {
  const queue = [top];
  try {
    for (let i = 0; i < queue.length && i < COUNT_LIMIT; i++)
      queue.push(...subfolders(fs, queue[i] as string));
  } catch (err) {
    if (err instanceof ProcReadError) return null;
    throw err;
  }
  return queue.length - 1;
}

// A count only words a message ("shared with 2 other cgroups"), and callers such as memoryBudget
// ask every second, inside the user's service: a walk of a large tree (kubepods) is kept 30 s.
const RECENT_MS = 30_000;
const recent = new Map<string, { atMs: number; n: number | null }>();

function recentCountBelow(fs: ProcFs, top: string): number | null {
  const key = `${fs.root}\0${top}`;
  const now = Date.now();
  const hit = recent.get(key);
  if (hit && now - hit.atMs < RECENT_MS) return hit.n;
  if (recent.size >= 256) {
    for (const [k, v] of recent) if (now - v.atMs >= RECENT_MS) recent.delete(k);
    if (recent.size >= 256) recent.clear();
  }
  const n = countBelow(fs, top);
  recent.set(key, { atMs: now, n });
  return n;
}

/**
 * Folder counts below a cgroup folder, by folder: one pass over many cgroups (oom, serve's cgroup
 * tick) shares them, as many cgroups usually sit under the same limited parent.
 */
export type SubtreeCounts = Map<string, number | null>;

/**
 * Reads the headroom of cgroup `cg` at its binding level: for the cgroup and each ancestor up to
 * the mount's root, its own limit file and, where that is finite, its usage (v1
 * memory.usage_in_bytes, v2 memory.current) and memory.stat's inactive file. Bytes. Null when no
 * level has a limit. A level whose limit file is missing sets none (v2's root, captured trees).
 * `counts` caches the folder walk that counts who shares the limit, across calls of one pass.
 */
export function readCgroupHeadroom(
  fs: ProcFs,
  cg: MemoryCgroup,
  counts: SubtreeCounts = new Map(),
): CgroupHeadroom | null {
  const levels: (HeadroomLevel & { dir: string; depth: number })[] = [];
  let dir = cg.dir;
  let path = cg.path;
  for (let depth = 0; ; depth++) {
    let limitBytes = Number.POSITIVE_INFINITY;
    try {
      limitBytes = readOwnLimit(fs, dir, cg.version);
    } catch (err) {
      if (!(err instanceof ProcReadError)) throw err;
    }
    if (Number.isFinite(limitBytes)) {
      levels.push({
        path,
        dir,
        depth,
        limitBytes,
        workingSetBytes: readCgroupWorkingSet(fs, dir, cg.version),
      });
    }
    if (dir === cg.hierarchy.mountDir || dir === '.' || dir === '' || path === '/') break;
    dir = posix.dirname(dir);
    path = posix.dirname(path);
  }
  const binding = bindingLevel(levels);
  if (!binding) return null;
  const level = levels.find((l) => l.path === binding.path) ?? { dir: cg.dir, depth: 0 };
  if (!counts.has(level.dir)) counts.set(level.dir, recentCountBelow(fs, level.dir));
  const below = counts.get(level.dir) ?? null;
  return {
    headroomBytes: binding.headroomBytes,
    setBy: binding.path,
    limitBytes: binding.limitBytes,
    workingSetBytes: binding.workingSetBytes,
    // The folders on the way up from the cgroup (itself included) are not "other" cgroups.
    sharedWith: below === null ? null : Math.max(0, below - level.depth),
  };
}

// One memory cgroup's state, v1 and v2 alike: usage and its split, limits, events, pressure.
// https://docs.kernel.org/admin-guide/cgroup-v2.html  https://docs.kernel.org/admin-guide/cgroup-v1/memory.html
//   v2 memory.stat:          anon 411045888 / file 0 / kernel 195010560 / inactive_file 270336
//   v2 memory.events:        max 2 / oom 1 / oom_kill 1
//   v1 memory.stat:          total_rss 230662144 / total_cache 65101824 / total_inactive_file 40108032
//   v1 memory.oom_control:   under_oom 0 / oom_kill 0
// Values are bytes (events are counts). A file or key this kernel lacks, or that cannot be read,
// leaves its field null, and the file is listed in `unreadable` with why.
//
// Which key each field takes:
// - v1 usage is memory.usage_in_bytes, as cAdvisor and the kernel's limit check use it (the docs
//   call it fuzzy by up to a per-cpu batch; memory.stat's sums are exact but not what is limited).
// - v1 keys are the hierarchical total_* ones: usage counts the descendants, so the split must.
// - v1 anon is total_rss alone: rss already includes rss_huge ("rss - # of bytes of anonymous and
//   swap cache memory (includes transparent hugepages)", cgroup-v1/memory.rst since b070e65c,
//   3.10), so adding total_rss_huge would count THP twice.
// - file is v1 total_cache / v2 file. Both include shmem (tmpfs, SysV and shared anonymous memory),
//   which is charged as page cache but cannot be dropped: shmemBytes says how much of it that is.
// - v2 kernel is the `kernel` key (5.18+, the kmem page counter). Older v2 kernels lack it; then it
//   is kernel_stack + pagetables + percpu + slab (+ vmalloc), the kmem counter's main parts, a
//   slight undercount (other __GFP_ACCOUNT allocations have no key). sock is not in it: the kernel
//   counts socket buffers apart from kmem, and sockBytes reports them. v1 kernel is
//   memory.kmem.usage_in_bytes, which is charged to usage_in_bytes too.
// - v1 sock is memory.kmem.tcp.usage_in_bytes: TCP buffers only, and not part of v1 usage (they
//   count against the tcp limit alone); v2 sock is part of memory.current.
// - v1 swap is total_swap, present only with swap accounting (memory.memsw.* files).

import { posix } from 'node:path';
import type { CgroupVersion, MemoryCgroup } from './cgroup_memory.js';
import { readEffectiveLimit } from './cgroup_memory.js';
import { parseCgroupValue, parseFlatKeyed } from './cgroup_stat.js';
import { ProcReadError, type ProcReadErrorCode } from './errors.js';
import type { ProcFs } from './fs.js';
import { type Pressure, parsePressure } from './pressure.js';

export interface CgroupEvents {
  /** Times the cgroup ran out of memory and the OOM killer was invoked (v2 `oom`; null on v1). */
  oom: number | null;
  /** Processes the OOM killer killed (v2 `oom_kill`; v1 memory.oom_control `oom_kill`, 4.13+). */
  oomKill: number | null;
  /**
   * Times usage hit the limit (v2 `max`; v1 memory.failcnt). Both count this cgroup's own limit
   * being hit, whichever descendant charged the page.
   */
  max: number | null;
  /** Times usage went over memory.high and was throttled (v2 `high`; v1 has no memory.high). */
  high: number | null;
  /**
   * Whose events oom and oomKill count. v2 memory.events counts the cgroup and its descendants
   * (5.2+, unless the hierarchy is mounted with memory_localevents); v1 counts kills of the
   * cgroup's own processes only, and v2 before 5.2 (no memory.events.local) did too.
   */
  scope: 'hierarchical' | 'local';
}

/** What the cgroup's own files say; the effective limit needs its ancestors too (CgroupMemory). */
export interface CgroupUsage {
  /** v1 memory.usage_in_bytes, v2 memory.current. */
  usageBytes: number | null;
  /** The cgroup's own limit: v1 memory.limit_in_bytes, v2 memory.max. Infinity when none. */
  ownLimitBytes: number | null;
  /** Anonymous memory, THP included: v1 total_rss, v2 anon. */
  anonBytes: number | null;
  /** Page cache, shmem included: v1 total_cache, v2 file. */
  fileBytes: number | null;
  activeFileBytes: number | null;
  /** Page cache the kernel reclaims first: v1 total_inactive_file, v2 inactive_file. */
  inactiveFileBytes: number | null;
  /** tmpfs, SysV and shared anonymous memory: v1 total_shmem (4.15+), v2 shmem. */
  shmemBytes: number | null;
  /** Kernel memory charged to the cgroup (see the file's header for the keys). */
  kernelBytes: number | null;
  /** Socket buffers: v1 memory.kmem.tcp.usage_in_bytes, v2 sock. */
  sockBytes: number | null;
  /** v1 total_swap (with swap accounting only), v2 memory.swap.current. */
  swapBytes: number | null;
  /** usage - inactive_file, floored at 0: the working set as Kubernetes and cAdvisor count it. */
  workingSetBytes: number | null;
  events: CgroupEvents;
  /** v1 memory.oom_control under_oom: the cgroup is out of memory right now. Null on v2. */
  underOom: boolean | null;
  /** v2 memory.pressure (PSI). v1 has no per-cgroup PSI: null. */
  psi: Pressure | null;
}

export interface CgroupMemory extends CgroupUsage {
  version: CgroupVersion;
  /** The cgroup path, e.g. "/docker/b29f...". */
  path: string;
  /** Its folder relative to the ProcFs root. */
  dir: string;
  /** The effective limit: the lowest over the cgroup and its ancestors. Infinity when none. */
  limitBytes: number | null;
  /** The cgroup path whose limit that is; null when there is none or it is unknown. */
  limitSetBy: string | null;
  /** Files that could not be read (absolute paths), and why: their fields are null. */
  unreadable: { path: string; code: ProcReadErrorCode }[];
}

/** The files each version reads, all in the cgroup's own folder. */
export const MEMORY_FILES: Record<CgroupVersion, readonly string[]> = {
  1: [
    'memory.usage_in_bytes',
    'memory.limit_in_bytes',
    'memory.stat',
    'memory.kmem.usage_in_bytes',
    'memory.kmem.tcp.usage_in_bytes',
    'memory.oom_control',
    'memory.failcnt',
  ],
  2: [
    'memory.current',
    'memory.max',
    'memory.stat',
    'memory.events',
    'memory.events.local',
    'memory.swap.current',
    'memory.pressure',
  ],
};

/**
 * A value as bytes or a count. Past 2^53 (Infinity from the parsers) nothing is really counted:
 * only a kernel bug prints that, and the value is unknown rather than a rounded number.
 */
function finite(value: number | undefined): number | null {
  return value === undefined || !Number.isFinite(value) ? null : value;
}

function sum(values: (number | null)[]): number | null {
  let total = 0;
  for (const v of values) {
    if (v === null) return null;
    total += v;
  }
  return total;
}

/** v2 kernel memory: the `kernel` key, else its parts on kernels before 5.18. */
function v2Kernel(stat: Map<string, number>): number | null {
  const kernel = stat.get('kernel');
  if (kernel !== undefined) return finite(kernel);
  const slab = stat.has('slab')
    ? finite(stat.get('slab'))
    : sum([finite(stat.get('slab_reclaimable')), finite(stat.get('slab_unreclaimable'))]);
  // percpu is charged since 5.9 and vmalloc has a key since 5.19: before that they add nothing.
  return sum([
    finite(stat.get('kernel_stack')),
    finite(stat.get('pagetables')),
    slab,
    finite(stat.get('percpu') ?? 0),
    finite(stat.get('vmalloc') ?? 0),
  ]);
}

/**
 * The state of one cgroup from the texts of its files (pure). `files` maps a file name
 * ("memory.stat") to its text; a file that could not be read is absent. `where` is the folder's
 * path, for error messages. Throws ProcParseError when a file present has the wrong shape.
 */
export function cgroupMemoryFrom(
  version: CgroupVersion,
  files: ReadonlyMap<string, string>,
  where = '.',
): CgroupUsage {
  const at = (name: string) => posix.join(where, name);
  const value = (name: string): number | null => {
    const text = files.get(name);
    return text === undefined ? null : finite(parseCgroupValue(text, at(name)));
  };
  const flat = (name: string): Map<string, number> => {
    const text = files.get(name);
    return text === undefined ? new Map() : parseFlatKeyed(text, at(name));
  };
  const limit = (name: string): number | null => {
    const text = files.get(name);
    // Infinity is "no limit" here, not an unknown count.
    return text === undefined ? null : parseCgroupValue(text, at(name));
  };
  const stat = flat('memory.stat');
  const key = (k: string) => finite(stat.get(k));

  let usage: Omit<CgroupUsage, 'workingSetBytes' | 'psi'>;
  let psi: Pressure | null = null;
  if (version === 1) {
    const oomControl = flat('memory.oom_control');
    const underOom = oomControl.get('under_oom');
    usage = {
      usageBytes: value('memory.usage_in_bytes'),
      ownLimitBytes: limit('memory.limit_in_bytes'),
      anonBytes: key('total_rss'),
      fileBytes: key('total_cache'),
      activeFileBytes: key('total_active_file'),
      inactiveFileBytes: key('total_inactive_file'),
      shmemBytes: key('total_shmem'),
      kernelBytes: value('memory.kmem.usage_in_bytes'),
      sockBytes: value('memory.kmem.tcp.usage_in_bytes'),
      swapBytes: key('total_swap'),
      events: {
        oom: null,
        oomKill: finite(oomControl.get('oom_kill')),
        max: value('memory.failcnt'),
        high: null,
        scope: 'local',
      },
      underOom: underOom === undefined ? null : underOom !== 0,
    };
  } else {
    const events = flat('memory.events');
    const pressure = files.get('memory.pressure');
    if (pressure !== undefined) psi = parsePressure(pressure, at('memory.pressure'));
    usage = {
      usageBytes: value('memory.current'),
      ownLimitBytes: limit('memory.max'),
      anonBytes: key('anon'),
      fileBytes: key('file'),
      activeFileBytes: key('active_file'),
      inactiveFileBytes: key('inactive_file'),
      shmemBytes: key('shmem'),
      kernelBytes: v2Kernel(stat),
      sockBytes: key('sock'),
      swapBytes: value('memory.swap.current'),
      events: {
        oom: finite(events.get('oom')),
        oomKill: finite(events.get('oom_kill')),
        max: finite(events.get('max')),
        high: finite(events.get('high')),
        // memory.events.local came with hierarchical memory.events (5.2).
        scope: files.has('memory.events') && !files.has('memory.events.local') ? 'local' : 'hierarchical',
      },
      underOom: null,
    };
  }
  return { ...usage, workingSetBytes: workingSet(usage.usageBytes, usage.inactiveFileBytes), psi };
}

/** usage - inactive_file, floored at 0 (Kubernetes' working set); null when either is unknown. */
function workingSet(usageBytes: number | null, inactiveFileBytes: number | null): number | null {
  return usageBytes === null || inactiveFileBytes === null
    ? null
    : Math.max(0, usageBytes - inactiveFileBytes);
}

/**
 * The working set of the cgroup folder `dir` alone, from its usage file and memory.stat's inactive
 * file (two reads, for a walk up the ancestors that needs nothing else); null when unreadable.
 */
export function readCgroupWorkingSet(fs: ProcFs, dir: string, version: CgroupVersion): number | null {
  try {
    const usageFile = posix.join(dir, version === 1 ? 'memory.usage_in_bytes' : 'memory.current');
    const statFile = posix.join(dir, 'memory.stat');
    const usage = finite(parseCgroupValue(fs.readText(usageFile), fs.path(usageFile)));
    const stat = parseFlatKeyed(fs.readText(statFile), fs.path(statFile));
    return workingSet(usage, finite(stat.get(version === 1 ? 'total_inactive_file' : 'inactive_file')));
  } catch (err) {
    if (err instanceof ProcReadError) return null;
    throw err;
  }
}

/**
 * Reads one memory cgroup: the files of MEMORY_FILES[version] in its folder, and the effective
 * limit over its ancestors (readEffectiveLimit). Bytes and counts, null when unknown. Throws
 * ProcReadError E_UNSUPPORTED when the cgroup's folder does not exist (it may have been removed).
 */
export function readCgroupMemory(fs: ProcFs, cg: MemoryCgroup): CgroupMemory {
  try {
    fs.list(cg.dir);
  } catch (err) {
    if (!(err instanceof ProcReadError) || err.code !== 'E_UNSUPPORTED') throw err;
    throw new ProcReadError(
      'E_UNSUPPORTED',
      err.path,
      `Memory cgroup "${cg.path}" does not exist: no folder "${err.path}"`,
      { cause: err },
    );
  }
  const files = new Map<string, string>();
  const unreadable: CgroupMemory['unreadable'] = [];
  for (const name of MEMORY_FILES[cg.version]) {
    const rel = posix.join(cg.dir, name);
    try {
      files.set(name, fs.readText(rel));
    } catch (err) {
      if (!(err instanceof ProcReadError)) throw err;
      unreadable.push({ path: fs.path(rel), code: err.code });
    }
  }
  const usage = cgroupMemoryFrom(cg.version, files, fs.path(cg.dir));
  // The root of a hierarchy has no limit file (v2's root cgroup; captured trees): it sets none.
  const root = cg.dir === cg.hierarchy.mountDir;
  const limitFile = cg.version === 1 ? 'memory.limit_in_bytes' : 'memory.max';
  const limitPath = fs.path(cg.dir, limitFile);
  const missing = unreadable.findIndex((u) => u.path === limitPath && u.code === 'E_UNSUPPORTED');
  if (root && missing !== -1) {
    usage.ownLimitBytes = Number.POSITIVE_INFINITY;
    unreadable.splice(missing, 1);
  }
  let limitBytes: number | null = null;
  let limitSetBy: string | null = null;
  try {
    const limit = readEffectiveLimit(fs, cg);
    limitBytes = limit.limitBytes;
    limitSetBy = limit.setBy;
  } catch (err) {
    if (!(err instanceof ProcReadError)) throw err;
    if (!unreadable.some((u) => u.path === err.path)) unreadable.push({ path: err.path, code: err.code });
  }
  return { version: cg.version, path: cg.path, dir: cg.dir, ...usage, limitBytes, limitSetBy, unreadable };
}

// The memory limit this process lives under, and how much of it is used. Three limits can end a
// Node process: its memory cgroup's (the kernel OOM-kills it), V8's heap_size_limit (V8 aborts
// with "JavaScript heap out of memory") and the machine's RAM. They count different things, so
// they are compared in RSS terms: the heap reaches its limit when RSS is about heap_size_limit
// plus what RSS holds outside the heap today.
import { totalmem } from 'node:os';
import { formatBytes } from '../analysis/format.js';
import { HeadroomReader } from '../collect/headroom.js';
import { readFlatKeyed } from '../procfs/cgroup_stat.js';
import { ProcReadError } from '../procfs/errors.js';
import { createProcFs, type ProcFs } from '../procfs/fs.js';
import type { EffectiveLimit } from './types.js';

const fs: ProcFs = createProcFs('/');

/** The cgroup found at most this long ago is reused: finding it reads mountinfo and walks up. */
const CGROUP_TTL_MS = 30_000;
let cgroupCache: { reader: HeadroomReader | null; atMs: number } | null = null;

function headroomReader(): HeadroomReader | null {
  const now = Date.now();
  if (cgroupCache && now - cgroupCache.atMs < CGROUP_TTL_MS) return cgroupCache.reader;
  let reader: HeadroomReader | null = null;
  try {
    reader = new HeadroomReader(fs, process.pid);
  } catch (err) {
    // No /proc (a sandbox): no cgroup limit can be known, the other limits still apply.
    if (!(err instanceof ProcReadError)) throw err;
  }
  cgroupCache = { reader, atMs: now };
  return reader;
}

/** The cgroup limit that binds this process (its own or an ancestor's), or null when none. */
export function cgroupLimit(): { path: string; limitBytes: number } | null {
  const limiting = headroomReader()?.limiting;
  return limiting ? { path: limiting.cg.path, limitBytes: limiting.limitBytes } : null;
}

/**
 * The limiting cgroup's working set (usage - inactive_file, as Kubernetes counts it): the memory
 * the kernel cannot reclaim before it OOM-kills. Reads two small cgroup files. Null when unknown.
 */
export function cgroupWorkingSet(): number | null {
  const limiting = headroomReader()?.limiting;
  if (!limiting) return null;
  const { cg } = limiting;
  try {
    const usage = Number(
      fs.readText(`${cg.dir}/${cg.version === 1 ? 'memory.usage_in_bytes' : 'memory.current'}`),
    );
    const stat = readFlatKeyed(fs, cg.dir, 'memory.stat');
    const inactive = stat.get(cg.version === 1 ? 'total_inactive_file' : 'inactive_file') ?? 0;
    return Number.isFinite(usage) ? Math.max(0, usage - inactive) : null;
  } catch (err) {
    if (err instanceof ProcReadError) return null;
    throw err;
  }
}

export interface LimitInputs {
  rssBytes: number;
  heapSizeLimitBytes: number;
  /** The part of the heap that is resident (total_physical_size). */
  heapPhysicalBytes: number;
  cgroup: { path: string; limitBytes: number } | null;
  ramBytes: number;
}

/**
 * The limit that binds first (pure): the cgroup's when RSS would reach it before the heap reaches
 * heap_size_limit, else heap_size_limit when that comes before RAM, else RAM.
 */
export function bindingLimit(i: LimitInputs): EffectiveLimit {
  const outsideHeap = Math.max(0, i.rssBytes - i.heapPhysicalBytes);
  const heapAtRss = i.heapSizeLimitBytes + outsideHeap;
  const base = {
    cgroupPath: i.cgroup?.path ?? null,
    cgroupLimitBytes: i.cgroup?.limitBytes ?? null,
    heapSizeLimitBytes: i.heapSizeLimitBytes,
    ramBytes: i.ramBytes,
  };
  const heap = `heap_size_limit (${formatBytes(i.heapSizeLimitBytes)}) plus the ${formatBytes(outsideHeap)} RSS holds outside the heap`;
  if (i.cgroup && i.cgroup.limitBytes <= heapAtRss && i.cgroup.limitBytes <= i.ramBytes) {
    return {
      ...base,
      bytes: i.cgroup.limitBytes,
      source: 'cgroup',
      reason: `the memory cgroup ${i.cgroup.path} allows ${formatBytes(i.cgroup.limitBytes)}, less than ${heap}: the kernel OOM-kills the process before V8 runs out of heap`,
    };
  }
  if (heapAtRss <= i.ramBytes) {
    return {
      ...base,
      bytes: i.heapSizeLimitBytes,
      source: 'heap_size_limit',
      reason: `${heap} stays under ${i.cgroup ? `the cgroup's ${formatBytes(i.cgroup.limitBytes)}` : `RAM (${formatBytes(i.ramBytes)})`}: V8 runs out of heap first`,
    };
  }
  return {
    ...base,
    bytes: i.ramBytes,
    source: 'ram',
    reason: `no cgroup limit, and ${heap} exceeds RAM (${formatBytes(i.ramBytes)})`,
  };
}

/** bindingLimit for this process now, from the figures memoryStats read. */
export function effectiveLimit(rssBytes: number, heapSizeLimitBytes: number, heapPhysicalBytes: number) {
  return bindingLimit({
    rssBytes,
    heapSizeLimitBytes,
    heapPhysicalBytes,
    cgroup: cgroupLimit(),
    ramBytes: totalmem(),
  });
}

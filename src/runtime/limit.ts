// The memory limit this process lives under, and how much of it is used. Three limits can end a
// Node process: its memory cgroup's (the kernel OOM-kills it), V8's heap_size_limit (V8 aborts
// with "JavaScript heap out of memory") and the machine's RAM. They count different things, so
// they are compared in RSS terms: the heap reaches its limit when RSS is about heap_size_limit
// plus what RSS holds outside the heap today.
import { totalmem } from 'node:os';
import { formatBytes } from '../analysis/format.js';
import { sharedPhrase } from '../analysis/headroom.js';
import type { CgroupHeadroom } from '../collect/cgroup-headroom.js';
import { HeadroomReader } from '../collect/headroom.js';
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

/**
 * This process's cgroup headroom at the level that binds first (its own cgroup or an ancestor,
 * whose working set counts its siblings too), read now; null when no cgroup limits it.
 */
export function cgroupHeadroom(): CgroupHeadroom | null {
  return headroomReader()?.readCgroup() ?? null;
}

/** The binding cgroup level's figures, or null when no cgroup limits this process. */
export function cgroupLimit(): LimitInputs['cgroup'] {
  return cgroupFigures(cgroupHeadroom());
}

/** A headroom reading as bindingLimit's cgroup input. */
export function cgroupFigures(h: CgroupHeadroom | null): LimitInputs['cgroup'] {
  return h
    ? { path: h.setBy, limitBytes: h.limitBytes, headroomBytes: h.headroomBytes, sharedWith: h.sharedWith }
    : null;
}

export interface LimitInputs {
  rssBytes: number;
  heapSizeLimitBytes: number;
  /** The part of the heap that is resident (total_physical_size). */
  heapPhysicalBytes: number;
  /**
   * The binding cgroup level (cgroup-headroom.ts): its path, own limit, the room left under it
   * (null when unknown) and how many other cgroups share it.
   */
  cgroup: {
    path: string;
    limitBytes: number;
    headroomBytes?: number | null;
    sharedWith?: number | null;
  } | null;
  ramBytes: number;
}

/**
 * The limit that binds first (pure): the cgroup's when RSS would reach it before the heap reaches
 * heap_size_limit, else heap_size_limit when that comes before RAM, else RAM. RSS reaches the
 * cgroup's when it grows by the headroom left there (other cgroups under that limit take their
 * share); with the headroom unknown, when it reaches the limit itself.
 */
export function bindingLimit(i: LimitInputs): EffectiveLimit {
  const outsideHeap = Math.max(0, i.rssBytes - i.heapPhysicalBytes);
  const heapAtRss = i.heapSizeLimitBytes + outsideHeap;
  const base = {
    cgroupPath: i.cgroup?.path ?? null,
    cgroupLimitBytes: i.cgroup?.limitBytes ?? null,
    cgroupHeadroomBytes: i.cgroup?.headroomBytes ?? null,
    cgroupSharedWith: i.cgroup?.sharedWith ?? null,
    heapSizeLimitBytes: i.heapSizeLimitBytes,
    ramBytes: i.ramBytes,
  };
  const heap = `heap_size_limit (${formatBytes(i.heapSizeLimitBytes)}) plus the ${formatBytes(outsideHeap)} RSS holds outside the heap`;
  const room = i.cgroup?.headroomBytes;
  const cgroupAtRss = i.cgroup
    ? room == null
      ? i.cgroup.limitBytes
      : i.rssBytes + room
    : Number.POSITIVE_INFINITY;
  if (i.cgroup && cgroupAtRss <= heapAtRss && cgroupAtRss <= i.ramBytes) {
    const shared = sharedPhrase({ setBy: i.cgroup.path, sharedWith: i.cgroup.sharedWith ?? null });
    const allows = shared
      ? `allows ${formatBytes(i.cgroup.limitBytes)} ${shared}, which leaves this process ${formatBytes(cgroupAtRss)} of RSS`
      : `allows ${formatBytes(i.cgroup.limitBytes)}`;
    return {
      ...base,
      bytes: i.cgroup.limitBytes,
      source: 'cgroup',
      reason: `the memory cgroup ${i.cgroup.path} ${allows}, less than ${heap}: the kernel OOM-kills the process before V8 runs out of heap`,
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

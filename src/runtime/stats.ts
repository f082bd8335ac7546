// memoryStats(): one object with what V8, Node and the kernel each say about this process.
// Cheap by default: process.memoryUsage, V8's heap statistics, /proc/self/status and the cached
// cgroup limit, tens of microseconds. smaps_rollup (PSS, USS) only with `detail: true`: the kernel
// walks every page table for it, which costs in proportion to RSS (milliseconds at gigabytes).
import { totalmem } from 'node:os';
import v8 from 'node:v8';
import { ProcReadError } from '../procfs/errors.js';
import { createProcFs } from '../procfs/fs.js';
import { readSmapsRollup, ussBytes } from '../procfs/smaps_rollup.js';
import { readStatus } from '../procfs/status.js';
import { explainGap } from './gap.js';
import { gcCounters } from './gc.js';
import { bindingLimit, cgroupLimit } from './limit.js';
import type { HeapSpace, KernelView, MemoryStats, NodeMemoryUsage, V8HeapStats } from './types.js';

const fs = createProcFs('/');

export interface MemoryStatsOptions {
  /** Also read /proc/self/smaps_rollup for PSS, USS, SwapPss and LazyFree (costs ~RSS). */
  detail?: boolean;
}

export function nodeMemoryUsage(): NodeMemoryUsage {
  const m = process.memoryUsage();
  return {
    rssBytes: m.rss,
    heapTotalBytes: m.heapTotal,
    heapUsedBytes: m.heapUsed,
    externalBytes: m.external,
    arrayBuffersBytes: m.arrayBuffers,
  };
}

export function v8HeapStats(): V8HeapStats {
  const h = v8.getHeapStatistics();
  return {
    heapSizeLimitBytes: h.heap_size_limit,
    totalAvailableBytes: h.total_available_size,
    totalHeapSizeBytes: h.total_heap_size,
    totalPhysicalBytes: h.total_physical_size,
    usedHeapSizeBytes: h.used_heap_size,
    mallocedBytes: h.malloced_memory,
    peakMallocedBytes: h.peak_malloced_memory,
    nativeContexts: h.number_of_native_contexts,
    detachedContexts: h.number_of_detached_contexts,
    globalHandlesBytes: h.total_global_handles_size,
    usedGlobalHandlesBytes: h.used_global_handles_size,
  };
}

export function heapSpaces(): HeapSpace[] {
  return v8.getHeapSpaceStatistics().map((s) => ({
    name: s.space_name,
    sizeBytes: s.space_size,
    usedBytes: s.space_used_size,
    availableBytes: s.space_available_size,
    physicalBytes: s.physical_space_size,
  }));
}

function why(err: unknown): string {
  if (err instanceof ProcReadError) return err.message;
  throw err;
}

/** The kernel's view of this process: /proc/self/status, and smaps_rollup when `detail`. */
export function kernelView(detail: boolean): KernelView {
  const view: KernelView = {
    vmSizeBytes: null,
    vmRssBytes: null,
    rssAnonBytes: null,
    rssFileBytes: null,
    rssShmemBytes: null,
    vmSwapBytes: null,
    threads: null,
    pssBytes: null,
    ussBytes: null,
    swapPssBytes: null,
    lazyFreeBytes: null,
    detailUnknownReason: detail ? null : 'not asked (memoryStats({ detail: true }) reads smaps_rollup)',
  };
  try {
    const s = readStatus(fs, process.pid);
    view.vmSizeBytes = s.vmSizeBytes;
    view.vmRssBytes = s.vmRssBytes;
    view.rssAnonBytes = s.rssAnonBytes;
    view.rssFileBytes = s.rssFileBytes;
    view.rssShmemBytes = s.rssShmemBytes;
    view.vmSwapBytes = s.vmSwapBytes;
    view.threads = s.threads;
  } catch (err) {
    view.detailUnknownReason = why(err);
    return view;
  }
  if (detail) {
    try {
      const r = readSmapsRollup(fs, process.pid);
      view.pssBytes = r.pssBytes;
      view.ussBytes = ussBytes(r);
      view.swapPssBytes = r.swapPssBytes;
      view.lazyFreeBytes = r.lazyFreeBytes;
    } catch (err) {
      view.detailUnknownReason = why(err);
    }
  }
  return view;
}

/** Everything above in one object (see types.ts for each field). */
export function memoryStats(options: MemoryStatsOptions = {}): MemoryStats {
  const usage = nodeMemoryUsage();
  const heap = v8HeapStats();
  const kernel = kernelView(options.detail === true);
  const rss = kernel.vmRssBytes ?? usage.rssBytes;
  return {
    pid: process.pid,
    timeMs: Date.now(),
    uptimeSec: process.uptime(),
    nodeVersion: process.version,
    memoryUsage: usage,
    heap,
    spaces: heapSpaces(),
    gc: gcCounters(),
    kernel,
    limit: bindingLimit({
      rssBytes: rss,
      heapSizeLimitBytes: heap.heapSizeLimitBytes,
      heapPhysicalBytes: heap.totalPhysicalBytes,
      cgroup: cgroupLimit(),
      ramBytes: totalmem(),
    }),
    gap: explainGap(usage, heap, kernel),
  };
}

// The shape of memoryStats(): the JSON that memoryStatsHandler serves and the runtime channel
// publishes, so a public contract: fields are only ever added. Bytes and milliseconds are named
// in each field; a figure that could not be read is null, never 0. (collect/runtime-channel.ts
// imports these types to read the channel: types only, no code flows back from runtime/.)
import type { GcCounters } from './gc.js';

/** process.memoryUsage(), in bytes. */
export interface NodeMemoryUsage {
  rssBytes: number;
  heapTotalBytes: number;
  heapUsedBytes: number;
  /** C++ objects bound to JS objects, Buffers' and ArrayBuffers' memory included. */
  externalBytes: number;
  arrayBuffersBytes: number;
}

/** v8.getHeapStatistics(), renamed to the project's units. */
export interface V8HeapStats {
  /** The heap's hard limit (--max-old-space-size and the young generation): a fatal OOM above. */
  heapSizeLimitBytes: number;
  totalAvailableBytes: number;
  totalHeapSizeBytes: number;
  totalPhysicalBytes: number;
  usedHeapSizeBytes: number;
  /** What V8 itself has malloc()ed (not the heap, not Buffers). */
  mallocedBytes: number;
  peakMallocedBytes: number;
  nativeContexts: number;
  /** Contexts (vm, iframes) no longer referenced by JS but not collected: a classic leak. */
  detachedContexts: number;
  globalHandlesBytes: number;
  usedGlobalHandlesBytes: number;
}

export interface HeapSpace {
  name: string;
  sizeBytes: number;
  usedBytes: number;
  availableBytes: number;
  physicalBytes: number;
}

/** The kernel's view of this process (/proc/self/status; smaps_rollup with detail). */
export interface KernelView {
  vmSizeBytes: number | null;
  vmRssBytes: number | null;
  rssAnonBytes: number | null;
  rssFileBytes: number | null;
  rssShmemBytes: number | null;
  vmSwapBytes: number | null;
  threads: number | null;
  /** From smaps_rollup, with `detail: true` only; null otherwise (see detailUnknownReason). */
  pssBytes: number | null;
  ussBytes: number | null;
  swapPssBytes: number | null;
  lazyFreeBytes: number | null;
  /** Why pssBytes/ussBytes are null: "not asked" (the cheap default) or a read error. */
  detailUnknownReason: string | null;
}

export type LimitSource = 'cgroup' | 'heap_size_limit' | 'ram' | 'option';

export interface EffectiveLimit {
  /** The limit that binds first, in bytes, and where it comes from. */
  bytes: number;
  source: LimitSource;
  /** The cgroup (path as /proc/self/cgroup gives it) whose limit binds, and that limit. */
  cgroupPath: string | null;
  cgroupLimitBytes: number | null;
  /**
   * Room left under that cgroup's limit (limit - its working set, which counts its other
   * cgroups' memory too) and how many other cgroups share it; null when unknown or no cgroup.
   */
  cgroupHeadroomBytes: number | null;
  cgroupSharedWith: number | null;
  heapSizeLimitBytes: number;
  ramBytes: number;
  /** Why this source binds, in a sentence. */
  reason: string;
}

/** One part of RSS, from the heap outwards. */
export interface GapPart {
  name: 'heap-used' | 'heap-free' | 'external' | 'v8-malloc' | 'code-and-files' | 'shmem' | 'other-native';
  bytes: number;
  /** What it is, for someone who expected RSS to equal the heap. */
  explanation: string;
}

export interface HeapGap {
  rssBytes: number;
  heapUsedBytes: number;
  /** RSS - heapUsed: what "the heap looked small" misses. */
  gapBytes: number;
  parts: GapPart[];
  /** Address space V8 has reserved or committed beyond what is resident: in VIRT, not in RSS. */
  reservedBytes: number;
}

export interface MemoryStats {
  pid: number;
  /** When these figures were read, ms since the epoch. */
  timeMs: number;
  uptimeSec: number;
  nodeVersion: string;
  memoryUsage: NodeMemoryUsage;
  heap: V8HeapStats;
  spaces: HeapSpace[];
  gc: GcCounters;
  kernel: KernelView;
  limit: EffectiveLimit;
  gap: HeapGap;
}

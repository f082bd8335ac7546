// The `inspect` report: one process explained. Headline figures, the breakdown by category,
// the largest regions, process facts and findings. The JSON shape is a public contract.
import { explain, type Finding } from '../analysis/findings.js';
import {
  type CategorizedRegion,
  type CategorySummary,
  categorizeRegions,
  summarizeCategories,
  topRegions,
} from '../analysis/regions.js';
import type { ProcessSample, UnknownReason } from '../collect/process.js';
import type { ChannelAnswer, GoMemStats } from '../collect/runtime-channel.js';
import type { EffectiveLimit, HeapGap } from '../runtime/types.js';
import { type MapsRegion, toMapsRegion } from './maps.js';

export interface InspectReport {
  pid: number;
  name: string;
  command: string | null;
  user: string | null;
  vszBytes: number | null;
  rssBytes: number | null;
  pssBytes: number | null;
  ussBytes: number | null;
  swapBytes: number | null;
  rssAnonBytes: number | null;
  rssFileBytes: number | null;
  rssShmemBytes: number | null;
  lazyFreeBytes: number | null;
  threads: number | null;
  faults: { minor: number; major: number };
  oomScore: number | null;
  oomScoreAdj: number | null;
  /** null when smaps could not be read; see `unknownReason`. */
  categories: CategorySummary[] | null;
  topRegions: { bySize: MapsRegion[]; byRss: MapsRegion[] } | null;
  findings: Finding[];
  /** Why the smaps-based figures are null, when they are. */
  unknownReason: UnknownReason | null;
  /**
   * The process's own runtime beside the kernel's view: a Node process publishing through
   * memlens/runtime's channel, or a Go service's expvar (--runtime-url). Null when neither.
   */
  runtime: RuntimeView | null;
}

export const TOP_REGIONS = 10;

/** Builds the report from a sample read with ReadOptions { smaps: true, oom: true }. */
export function buildInspectReport(
  s: ProcessSample,
  user: string | null,
  pageSize: number,
  runtime: RuntimeView | null = null,
): InspectReport {
  let categories: CategorySummary[] | null = null;
  let top: InspectReport['topRegions'] = null;
  let regions: CategorizedRegion[] = [];
  if (s.smaps) {
    regions = categorizeRegions(s.smaps.regions, { exePath: s.exePath });
    categories = summarizeCategories(regions);
    const keys = s.smaps.keys;
    top = {
      bySize: topRegions(regions, 'size', TOP_REGIONS).map((r) => toMapsRegion(r, keys)),
      byRss: topRegions(regions, 'rss', TOP_REGIONS).map((r) => toMapsRegion(r, keys)),
    };
  }
  const findings = s.smaps
    ? explain({
        regions,
        vszBytes: s.vszBytes,
        rssBytes: s.rssBytes,
        pssBytes: s.pssBytes,
        ussBytes: s.ussBytes,
        swapBytes: s.swapBytes,
        lazyFreeBytes: s.lazyFreeBytes,
        threads: s.threads,
        pageSize,
      })
    : [];
  return {
    pid: s.pid,
    name: s.name,
    command: s.cmdline && s.cmdline.length > 0 ? s.cmdline.join(' ') : null,
    user,
    vszBytes: s.vszBytes,
    rssBytes: s.rssBytes,
    pssBytes: s.pssBytes,
    ussBytes: s.ussBytes,
    swapBytes: s.swapBytes,
    rssAnonBytes: s.rssAnonBytes,
    rssFileBytes: s.rssFileBytes,
    rssShmemBytes: s.rssShmemBytes,
    lazyFreeBytes: s.lazyFreeBytes,
    threads: s.threads,
    faults: { minor: s.minorFaults, major: s.majorFaults },
    oomScore: s.oomScore,
    oomScoreAdj: s.oomScoreAdj,
    categories,
    topRegions: top,
    findings,
    unknownReason: s.rollupUnknown,
    runtime,
  };
}

/** A Node process's own figures, from memlens/runtime's channel. */
export interface NodeRuntimeView {
  kind: 'node';
  /** The channel file read. */
  source: string;
  /** True when the process answered memlens's request just now; else its last published figures. */
  fresh: boolean;
  ageSec: number;
  nodeVersion: string;
  heapUsedBytes: number;
  heapTotalBytes: number;
  heapSizeLimitBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
  detachedContexts: number;
  gcMajorCount: number;
  gcMinorCount: number;
  limit: EffectiveLimit;
  /** RSS split from the heap outwards, as the process saw it when it wrote. */
  gap: HeapGap;
}

export interface GoGapPart {
  name: 'heap-in-use' | 'heap-idle-retained' | 'stacks' | 'runtime-metadata' | 'outside-go';
  bytes: number;
  explanation: string;
}

/** A Go service's runtime.MemStats (expvar), beside the kernel's VmRSS. */
export interface GoRuntimeView {
  kind: 'go';
  source: string;
  heapAllocBytes: number;
  heapSysBytes: number;
  heapIdleBytes: number;
  heapInuseBytes: number;
  heapReleasedBytes: number;
  stackInuseBytes: number;
  sysBytes: number;
  numGc: number;
  rssBytes: number | null;
  lazyFreeBytes: number | null;
  /** HeapIdle - HeapReleased: idle heap the runtime keeps, resident, not yet returned to the OS. */
  idleNotReleasedBytes: number;
  parts: GoGapPart[];
  notes: string[];
  /** Whether expvar's cmdline matches /proc/PID/cmdline; null when either is unknown. */
  cmdlineMatches: boolean | null;
}

export type RuntimeView = NodeRuntimeView | GoRuntimeView;

export function nodeRuntimeView(answer: ChannelAnswer, source: string): NodeRuntimeView {
  const s = answer.doc.stats;
  return {
    kind: 'node',
    source,
    fresh: answer.fresh,
    ageSec: Math.max(0, answer.ageSec),
    nodeVersion: s.nodeVersion,
    heapUsedBytes: s.memoryUsage.heapUsedBytes,
    heapTotalBytes: s.memoryUsage.heapTotalBytes,
    heapSizeLimitBytes: s.heap.heapSizeLimitBytes,
    externalBytes: s.memoryUsage.externalBytes,
    arrayBuffersBytes: s.memoryUsage.arrayBuffersBytes,
    detachedContexts: s.heap.detachedContexts,
    gcMajorCount: s.gc.major.count,
    gcMinorCount: s.gc.minor.count,
    limit: s.limit,
    gap: s.gap,
  };
}

/** Go's figures against the kernel's: where RSS goes, and what HeapReleased and LazyFree mean. */
export function goRuntimeView(
  go: GoMemStats,
  sample: Pick<ProcessSample, 'rssBytes' | 'lazyFreeBytes' | 'cmdline'>,
  source: string,
): GoRuntimeView {
  const idleKept = Math.max(0, go.heapIdleBytes - go.heapReleasedBytes);
  const parts: GoGapPart[] = [
    {
      name: 'heap-in-use',
      bytes: go.heapInuseBytes,
      explanation: `spans holding objects (HeapInuse); HeapAlloc, the live and not yet swept objects in them, is ${go.heapAllocBytes} bytes`,
    },
    {
      name: 'heap-idle-retained',
      bytes: idleKept,
      explanation:
        'HeapIdle - HeapReleased: free spans the runtime keeps for reuse, resident and counted in RSS until its scavenger returns them (debug.FreeOSMemory does it at once)',
    },
    { name: 'stacks', bytes: go.stackInuseBytes, explanation: 'goroutine stacks (StackInuse)' },
    {
      name: 'runtime-metadata',
      bytes: go.runtimeMetadataBytes,
      explanation: 'MSpan, MCache, GC and profiling metadata',
    },
  ];
  const goResident = parts.reduce((sum, p) => sum + p.bytes, 0);
  if (sample.rssBytes !== null) {
    parts.push({
      name: 'outside-go',
      bytes: Math.max(0, sample.rssBytes - goResident),
      explanation:
        'RSS the Go runtime does not account for: the binary and shared libraries, cgo and C allocations, threads of C code',
    });
  }
  const notes = [
    `HeapReleased (${go.heapReleasedBytes} bytes) was returned to the OS and is not in RSS, unless it was returned with MADV_FREE (GODEBUG=madvdontneed=0, or Go 1.12-1.15): then the kernel leaves those pages in RSS as LazyFree until it needs the memory.`,
  ];
  if (sample.lazyFreeBytes !== null && sample.lazyFreeBytes > 0) {
    notes.push(
      `LazyFree is ${sample.lazyFreeBytes} bytes here: pages freed with MADV_FREE that RSS still counts; the kernel takes them back under pressure, so they are not really used.`,
    );
  }
  const procCmd = sample.cmdline && sample.cmdline.length > 0 ? sample.cmdline.join('\0') : null;
  return {
    kind: 'go',
    source,
    heapAllocBytes: go.heapAllocBytes,
    heapSysBytes: go.heapSysBytes,
    heapIdleBytes: go.heapIdleBytes,
    heapInuseBytes: go.heapInuseBytes,
    heapReleasedBytes: go.heapReleasedBytes,
    stackInuseBytes: go.stackInuseBytes,
    sysBytes: go.sysBytes,
    numGc: go.numGc,
    rssBytes: sample.rssBytes,
    lazyFreeBytes: sample.lazyFreeBytes,
    idleNotReleasedBytes: idleKept,
    parts,
    notes,
    cmdlineMatches: procCmd === null || go.cmdline === null ? null : procCmd === go.cmdline.join('\0'),
  };
}

// The findings about address-space layout: what VIRT is made of (reservations by allocators and
// runtimes) and thread stacks. See findings.ts for the contract every finding follows.

import type { Finding, FindingsInput } from './findings.js';
import { formatBytes, formatPercent, plural } from './format.js';
import type { RegionGroup } from './layout.js';
import { CATEGORY_LABELS, type CategorizedRegion, threadStacks } from './regions.js';
import { analyzeLayout, type Layout } from './reservations.js';

const GiB = 1024 * 1024 * 1024;

/** Below 1 GiB VIRT nobody mistakes it for a problem, so there is nothing to explain. */
export const VIRT_LARGE_BYTES = 1 * GiB;
/** Resident + swapped under this share of VIRT: VIRT is mostly untouched address space. */
export const VIRT_TOUCHED_MAX_SHARE = 0.25;
/** How many kinds of reservation the VIRT finding names. */
const VIRT_NAMED_RESERVATIONS = 3;

/** One arena heap is 64 MiB of VIRT and unremarkable; from two on, arenas multiply with threads. */
export const MIN_ARENA_HEAPS = 2;
/** glibc allows 8 arenas per core; 8 or more means the thread count, not the cores, is driving it. */
export const ARENA_HEAPS_NOTICE = 8;

/** The main thread's [stack] alone is no pattern; one more stack means threads. */
export const MIN_THREAD_STACKS = 2;

export function layoutFindings(input: FindingsInput): (Finding | null)[] {
  const layout = analyzeLayout(input.regions);
  return [
    virtMostlyUntouched(input, layout),
    mallocArenas(layout),
    codeRanges(layout),
    wasmGuards(layout),
    pointerCages(layout),
    stacks(input),
  ];
}

function sum(
  groups: RegionGroup[],
  key: 'sizeBytes' | 'rssBytes' | 'swapBytes' | 'inaccessibleBytes',
): number {
  return groups.reduce((s, g) => s + g[key], 0);
}

function reserve(count: number): string {
  return count === 1 ? 'reserves' : 'reserve';
}

function untouched(x: { sizeBytes: number; rssBytes: number; swapBytes: number }): number {
  return Math.max(0, x.sizeBytes - x.rssBytes - x.swapBytes);
}

/** The largest untouched parts of VIRT, by kind: recognized reservations, then by category. */
function largestReservations(regions: CategorizedRegion[], layout: Layout<CategorizedRegion>): string {
  const kinds = new Map<string, number>();
  const add = (kind: string, bytes: number) => kinds.set(kind, (kinds.get(kind) ?? 0) + bytes);
  const grouped = new Set<CategorizedRegion>();
  const named: [string, RegionGroup<CategorizedRegion>[]][] = [
    ['WebAssembly guard regions', layout.wasm],
    ['V8 code ranges', layout.codeRanges],
    ['V8 pointer-compression cages', layout.cages],
    ['glibc malloc arenas', layout.mallocHeaps],
  ];
  for (const [kind, groups] of named) {
    for (const g of groups) {
      add(kind, untouched(g));
      for (const r of g.regions) grouped.add(r);
    }
  }
  for (const r of regions) if (!grouped.has(r)) add(CATEGORY_LABELS[r.category], untouched(r));
  return [...kinds]
    .filter(([, bytes]) => bytes > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, VIRT_NAMED_RESERVATIONS)
    .map(([kind, bytes]) => `${kind} (${formatBytes(bytes)})`)
    .join(', ');
}

function virtMostlyUntouched(input: FindingsInput, layout: Layout<CategorizedRegion>): Finding | null {
  const { vszBytes, rssBytes, swapBytes } = input;
  if (vszBytes === null || rssBytes === null || swapBytes === null) return null;
  const touched = rssBytes + swapBytes;
  if (vszBytes < VIRT_LARGE_BYTES || touched >= VIRT_TOUCHED_MAX_SHARE * vszBytes) return null;
  const largest = largestReservations(input.regions, layout);
  return {
    id: 'virt-mostly-untouched',
    severity: 'info',
    summary: `VIRT is ${formatBytes(vszBytes)}, but only ${formatBytes(touched)} (${formatPercent(touched, vszBytes)}) of it is resident or in swap: the rest is address space that was reserved and never touched.`,
    detail:
      'Reserving address space costs no memory: a page uses RAM only once it is touched. Runtimes and allocators reserve generously up front so that their heaps and code can grow in place.' +
      (largest === '' ? '' : ` The largest untouched parts here: ${largest}.`),
    advice: 'Judge this process by RSS, PSS and USS, and alert on those; VIRT says little about memory use.',
    evidence: {
      vszBytes,
      rssBytes,
      swapBytes,
      untouchedBytes: vszBytes - touched,
      largestReservations: largest,
    },
  };
}

function mallocArenas(layout: Layout): Finding | null {
  const heaps = layout.mallocHeaps;
  if (heaps.length < MIN_ARENA_HEAPS) return null;
  const sizeBytes = sum(heaps, 'sizeBytes');
  const rssBytes = sum(heaps, 'rssBytes');
  return {
    id: 'glibc-malloc-arenas',
    severity: heaps.length >= ARENA_HEAPS_NOTICE ? 'notice' : 'info',
    summary: `${plural(heaps.length, 'glibc malloc arena')} ${reserve(heaps.length)} ${formatBytes(sizeBytes)} of address space (64 MiB each), of which ${formatBytes(rssBytes)} is resident.`,
    detail:
      "glibc's malloc gives threads arenas of their own (up to 8 per CPU core) so that they do not wait on one lock. Each arena lives in a 64 MiB-aligned heap of 64 MiB, mapped whole and made accessible as the arena grows, so most of it is ---p reservation that costs nothing (an arena that outgrows one heap takes another; these are counted as heaps). What can cost memory is fragmentation: memory freed in one arena cannot serve another, so RSS can stay high after a burst of load.",
    advice:
      'If RSS grows with the number of threads, try MALLOC_ARENA_MAX=2 (or 4) in the environment: fewer arenas mean less fragmentation and less VIRT, at the cost of more lock contention when many threads allocate at once. Measure throughput before and after.',
    evidence: {
      heaps: heaps.length,
      sizeBytes,
      rssBytes,
      swapBytes: sum(heaps, 'swapBytes'),
      reservedBytes: sum(heaps, 'inaccessibleBytes'),
    },
  };
}

function codeRanges(layout: Layout): Finding | null {
  const ranges = layout.codeRanges;
  if (ranges.length === 0) return null;
  const sizeBytes = sum(ranges, 'sizeBytes');
  const rssBytes = sum(ranges, 'rssBytes');
  return {
    id: 'v8-code-range',
    severity: 'info',
    summary: `${plural(ranges.length, 'V8 code range')} ${reserve(ranges.length)} ${formatBytes(sizeBytes)} of address space, of which ${formatBytes(rssBytes)} is resident: one per V8 isolate (the main thread and each Worker).`,
    detail:
      'V8 reserves a code range (512 MiB, 128 MiB on older versions) for each isolate so that generated code and built-in functions can reach each other with short jumps. It fills the range only as it compiles code, so nearly all of it is ---p reservation that uses no memory. Another JIT with a code cache of exactly this size would look the same.',
    evidence: {
      codeRanges: ranges.length,
      sizeBytes,
      rssBytes,
      reservedBytes: sum(ranges, 'inaccessibleBytes'),
    },
  };
}

function wasmGuards(layout: Layout): Finding | null {
  const memories = layout.wasm;
  if (memories.length === 0) return null;
  const sizeBytes = sum(memories, 'sizeBytes');
  const rssBytes = sum(memories, 'rssBytes');
  return {
    id: 'wasm-guard-regions',
    severity: 'info',
    summary: `${plural(memories.length, 'WebAssembly memory', 'WebAssembly memories')} ${reserve(memories.length)} ${formatBytes(sizeBytes)} of address space with guard regions, of which ${formatBytes(rssBytes)} is resident.`,
    detail:
      'Engines reserve 8 to 16 GiB around each WebAssembly memory so that an out-of-bounds access faults in hardware instead of needing a bounds check on every load and store. The guard regions are never accessible and never use memory; only the pages of the memory itself (the rw-p part) do. A limit on address space (ulimit -v) can make such memories fail to allocate.',
    evidence: {
      memories: memories.length,
      sizeBytes,
      rssBytes,
      reservedBytes: sum(memories, 'inaccessibleBytes'),
    },
  };
}

function pointerCages(layout: Layout): Finding | null {
  const cages = layout.cages;
  if (cages.length === 0) return null;
  const sizeBytes = sum(cages, 'sizeBytes');
  const rssBytes = sum(cages, 'rssBytes');
  return {
    id: 'pointer-compression-cage',
    severity: 'info',
    summary: `${plural(cages.length, 'V8 pointer-compression cage')} ${reserve(cages.length)} ${formatBytes(sizeBytes)} of address space (4 GiB each, 4 GiB-aligned), of which ${formatBytes(rssBytes)} is resident.`,
    detail:
      "With pointer compression V8 keeps a heap inside one 4 GiB reservation aligned to 4 GiB, so that a pointer fits in 32 bits as an offset from the cage's base. The JavaScript heap can never grow beyond it, and the parts not yet used cost no memory.",
    evidence: { cages: cages.length, sizeBytes, rssBytes, reservedBytes: sum(cages, 'inaccessibleBytes') },
  };
}

function stacks({ regions, threads, pageSize }: FindingsInput): Finding | null {
  const s = threadStacks(regions);
  if (s.count < MIN_THREAD_STACKS) return null;
  const forThreads = threads === null ? '' : ` for ${plural(threads, 'thread')}`;
  let comparison = '';
  if (threads !== null && s.count < threads) {
    comparison = ` ${plural(threads - s.count, 'thread has', 'threads have')} no stack recognized here: runtimes that allocate stacks themselves (Go, for one) or stacks without a guard page look like ordinary anonymous memory.`;
  } else if (threads !== null && s.count > threads) {
    comparison =
      ' There are more stacks than threads: glibc keeps the stacks of exited threads (up to 40 MiB of them) to reuse for new ones.';
  }
  const guardPages = pageSize > 0 ? Math.round(s.guardBytes / pageSize) : null;
  const guards =
    s.guards === 0
      ? ''
      : ` Below the thread stacks, ${plural(s.guards, 'guard region')} (${formatBytes(s.guardBytes)}${guardPages === null ? '' : `, ${plural(guardPages, 'page')}`}, ---p) make an overflow fault instead of corrupting memory.`;
  return {
    id: 'thread-stacks',
    severity: 'info',
    summary: `${plural(s.count, 'thread stack')} (${formatBytes(s.sizeBytes)} VIRT, ${formatBytes(s.rssBytes)} resident)${forThreads}.`,
    detail: `Each thread's stack is mapped at its full size up front (glibc takes it from ulimit -s, usually 8 MiB), but only the pages the thread touches become resident.${guards}${comparison}`,
    evidence: {
      stacks: s.count,
      threads,
      sizeBytes: s.sizeBytes,
      rssBytes: s.rssBytes,
      swapBytes: s.swapBytes,
      guards: s.guards,
      guardBytes: s.guardBytes,
    },
  };
}

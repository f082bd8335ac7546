// memoryStats as readable text, for `Accept: text/plain` and for logs. Pure.
import { formatBytes, formatDuration, formatPercent } from '../analysis/format.js';
import { GC_KINDS } from './gc.js';
import type { HeapGap, MemoryStats } from './types.js';

const size = (bytes: number | null) => (bytes === null ? 'unknown' : formatBytes(bytes));

/** The gap lines, shared with `memlens inspect`'s runtime view. */
export function gapLines(gap: HeapGap): string[] {
  const out = [
    `RSS ${formatBytes(gap.rssBytes)} = heap in use ${formatBytes(gap.heapUsedBytes)} + ${formatBytes(gap.gapBytes)} outside it:`,
  ];
  const width = Math.max(...gap.parts.map((p) => p.name.length));
  for (const p of gap.parts) {
    out.push(
      `  ${p.name.padEnd(width)} ${formatBytes(p.bytes).padStart(9)}  ${formatPercent(p.bytes, gap.rssBytes).padStart(4)}  ${p.explanation}`,
    );
  }
  if (gap.reservedBytes > 0) {
    out.push(
      `VIRT holds ${formatBytes(gap.reservedBytes)} more: address space reserved (V8's heap and code ranges, thread stacks, malloc arenas), not memory.`,
    );
  }
  return out;
}

export function renderStatsText(s: MemoryStats): string {
  const u = s.memoryUsage;
  const k = s.kernel;
  const out: string[] = [];
  out.push(`pid ${s.pid}, node ${s.nodeVersion}, up ${formatDuration(s.uptimeSec)}`);
  out.push('');
  out.push(
    `Heap: ${formatBytes(u.heapUsedBytes)} used of ${formatBytes(u.heapTotalBytes)} committed; heap_size_limit ${formatBytes(s.heap.heapSizeLimitBytes)}`,
  );
  out.push(
    `External: ${formatBytes(u.externalBytes)} (ArrayBuffers and Buffers ${formatBytes(u.arrayBuffersBytes)}); V8 malloc ${formatBytes(s.heap.mallocedBytes)}`,
  );
  out.push(
    `Contexts: ${s.heap.nativeContexts} native, ${s.heap.detachedContexts} detached; global handles ${formatBytes(s.heap.usedGlobalHandlesBytes)}`,
  );
  out.push(
    `Kernel: VIRT ${size(k.vmSizeBytes)}, RSS ${size(k.vmRssBytes)} (anon ${size(k.rssAnonBytes)}, file ${size(k.rssFileBytes)}, shmem ${size(k.rssShmemBytes)}), swap ${size(k.vmSwapBytes)}` +
      (k.pssBytes !== null ? `, PSS ${size(k.pssBytes)}, USS ${size(k.ussBytes)}` : ''),
  );
  out.push(`Limit: ${formatBytes(s.limit.bytes)} (${s.limit.source}): ${s.limit.reason}`);
  out.push('');
  out.push(...gapLines(s.gap));
  out.push('');
  out.push('GC since counting began (every entry counted):');
  for (const kind of GC_KINDS) {
    const g = s.gc[kind];
    out.push(
      `  ${kind.padEnd(11)} ${String(g.count).padStart(7)}  total ${g.totalPauseMs.toFixed(1)} ms, max ${g.maxPauseMs.toFixed(1)} ms`,
    );
  }
  out.push('');
  out.push('Heap spaces:');
  for (const sp of s.spaces) {
    out.push(
      `  ${sp.name.padEnd(24)} ${formatBytes(sp.usedBytes).padStart(9)} used of ${formatBytes(sp.sizeBytes)}`,
    );
  }
  return `${out.join('\n')}\n`;
}

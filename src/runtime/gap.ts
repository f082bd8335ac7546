// The gap between the heap and RSS, explained: "the heap is 40 MB, why is RSS 300 MB?" Pure.
// RSS is split from the kernel's RssAnon/RssFile/RssShmem and V8's own figures. The split of
// anonymous memory is an estimate: external memory (Buffers) is counted at its allocated size,
// which may not all be resident yet, so other-native is what is left and never below 0.
import type { GapPart, HeapGap, KernelView, NodeMemoryUsage, V8HeapStats } from './types.js';

const EXPLAIN: Record<GapPart['name'], string> = {
  'heap-used': 'live JavaScript objects (heapUsed)',
  'heap-free':
    'heap pages V8 keeps resident without live objects: free lists, fragmentation and the young generation; reused before the heap grows',
  external:
    'Buffers, ArrayBuffers and C++ objects owned by JS objects (external): outside the V8 heap, freed when their JS owners are collected',
  'v8-malloc': "V8's own malloc()ed memory: compiler zones, tables and bookkeeping",
  'code-and-files':
    'the node binary, shared libraries and other mapped files that are resident (RssFile): shared with other processes and dropped by the kernel under pressure',
  shmem: 'shared memory and tmpfs pages mapped by the process (RssShmem)',
  'other-native':
    "the rest of anonymous memory: malloc arenas' free memory, thread stacks, libuv, native addons and ICU data",
};

/** Splits RSS into the parts above; `reservedBytes` is VIRT beyond RSS. */
export function explainGap(usage: NodeMemoryUsage, heap: V8HeapStats, kernel: KernelView): HeapGap {
  const rss = kernel.vmRssBytes ?? usage.rssBytes;
  const heapUsed = usage.heapUsedBytes;
  const heapFree = Math.max(0, heap.totalPhysicalBytes - heapUsed);
  const file = kernel.rssFileBytes;
  const shmem = kernel.rssShmemBytes;
  // Without status (no /proc), all that is not heap counts as anonymous.
  let anonLeft = (kernel.rssAnonBytes ?? rss - (file ?? 0) - (shmem ?? 0)) - heapUsed - heapFree;
  const take = (bytes: number) => {
    const got = Math.max(0, Math.min(bytes, anonLeft));
    anonLeft -= got;
    return got;
  };
  const part = (name: GapPart['name'], bytes: number): GapPart => ({
    name,
    bytes,
    explanation: EXPLAIN[name],
  });
  const parts: GapPart[] = [part('heap-used', heapUsed), part('heap-free', heapFree)];
  parts.push(part('external', take(usage.externalBytes)));
  parts.push(part('v8-malloc', take(heap.mallocedBytes)));
  if (file !== null) parts.push(part('code-and-files', file));
  if (shmem !== null && shmem > 0) parts.push(part('shmem', shmem));
  parts.push(part('other-native', Math.max(0, anonLeft)));
  return {
    rssBytes: rss,
    heapUsedBytes: heapUsed,
    gapBytes: rss - heapUsed,
    parts,
    reservedBytes: kernel.vmSizeBytes === null ? 0 : Math.max(0, kernel.vmSizeBytes - rss),
  };
}

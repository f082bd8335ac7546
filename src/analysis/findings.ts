// Findings: plain-language explanations of the patterns one process's memory shows, each with
// the numbers that triggered it. Pure: the input is what collect/ read (smaps regions already
// categorized, status and rollup totals). A total that could not be read is null, and a finding
// that needs it is not produced; null is never taken for 0.
// Finding ids are part of the public JSON contract of `inspect --json`: never rename one.

import { layoutFindings } from './findings-layout.js';
import { formatBytes, formatPercent, plural } from './format.js';
import { stripDeleted } from './layout.js';
import type { CategorizedRegion } from './regions.js';

export type Severity = 'info' | 'notice' | 'warning';

export interface Finding {
  /** Stable kebab-case id, e.g. "glibc-malloc-arenas". */
  id: string;
  severity: Severity;
  /** One sentence, with the numbers in it. */
  summary: string;
  /** Why it looks like this and what it means. */
  detail: string;
  /** What to do, where there is something to do. */
  advice?: string;
  /** The figures that triggered the finding: bytes as numbers, counts, or text such as paths. */
  evidence: Record<string, number | string | null>;
}

export interface FindingsInput {
  regions: CategorizedRegion[];
  vszBytes: number | null;
  rssBytes: number | null;
  pssBytes: number | null;
  ussBytes: number | null;
  swapBytes: number | null;
  lazyFreeBytes: number | null;
  threads: number | null;
  pageSize: number;
}

const MiB = 1024 * 1024;

/** LazyFree below this is allocator noise: a few freed chunks waiting for reclaim. */
export const LAZYFREE_MIN_BYTES = 4 * MiB;
/** ...and below this share of RSS it does not change how RSS should be read. */
export const LAZYFREE_MIN_SHARE = 0.05;

/** A few pages in swap are normal on any host with swap; 1 MiB is where it starts to be a pattern. */
export const SWAP_MIN_BYTES = 1 * MiB;
/** More of the process in swap than in RAM: touching its memory now mostly means waiting for disk. */
export const SWAP_WARNING_SHARE = 0.5;

/** Resident shared memory from here on is worth naming: it may outlive the process and its cgroup. */
export const LARGE_SHARED_MEMORY_BYTES = 64 * MiB;

/** Libraries under this much RSS do not move any comparison between processes. */
export const LIBRARIES_MIN_RSS_BYTES = 4 * MiB;
/** "Much of RSS": libraries are at least this share of the process's RSS... */
export const LIBRARIES_MIN_RSS_SHARE = 0.2;
/** ..."little of PSS": and their PSS is at most this share of their RSS (shared by 2+ processes). */
export const LIBRARIES_MAX_PSS_TO_RSS = 0.5;

const SEVERITY_RANK: Record<Severity, number> = { warning: 0, notice: 1, info: 2 };

/** Every finding that applies, most severe first; within a severity, in a fixed order. */
export function explain(input: FindingsInput): Finding[] {
  const found = [
    ...layoutFindings(input),
    lazyFree(input),
    swapInUse(input),
    deletedFiles(input),
    largeSharedMemory(input),
    librariesRssVsPss(input),
  ].filter((f): f is Finding => f !== null);
  // Array.prototype.sort is stable, so the fixed order holds within a severity.
  return found.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
}

function lazyFree({ lazyFreeBytes, rssBytes }: FindingsInput): Finding | null {
  if (lazyFreeBytes === null || rssBytes === null) return null;
  if (lazyFreeBytes < LAZYFREE_MIN_BYTES || lazyFreeBytes < LAZYFREE_MIN_SHARE * rssBytes) return null;
  return {
    id: 'lazyfree-in-rss',
    severity: 'info',
    summary: `${formatBytes(lazyFreeBytes)} of RSS (${formatPercent(lazyFreeBytes, rssBytes)}) is LazyFree: memory the program already freed with MADV_FREE, which the kernel takes back when it needs it.`,
    detail:
      'Some allocators (jemalloc, Go before 1.16) release memory with MADV_FREE: the pages stay mapped and counted in RSS until the kernel is short of memory, and are then dropped without any I/O. If the program writes to them first, they are simply its memory again. RSS overstates what this process needs by up to this amount.',
    advice:
      'Nothing is wrong. If RSS-based alerts or limits misfire because of it, make the allocator release memory with MADV_DONTNEED instead (Go: GODEBUG=madvdontneed=1; jemalloc: muzzy_decay_ms:0).',
    evidence: { lazyFreeBytes, rssBytes },
  };
}

function swapInUse({ swapBytes, rssBytes }: FindingsInput): Finding | null {
  if (swapBytes === null || swapBytes < SWAP_MIN_BYTES) return null;
  const share = rssBytes === null ? null : swapBytes / (rssBytes + swapBytes);
  const ofTotal =
    rssBytes === null
      ? ''
      : ` (${formatPercent(swapBytes, rssBytes + swapBytes)} of its resident and swapped memory)`;
  return {
    id: 'swap-in-use',
    severity: share !== null && share >= SWAP_WARNING_SHARE ? 'warning' : 'notice',
    summary: `${formatBytes(swapBytes)} of this process is in swap${ofTotal}.`,
    detail:
      'These pages were moved out of RAM under memory pressure. Touching one again costs a major page fault and a disk read, which shows up as latency. Swap that stays flat while the process works normally holds pages it rarely uses; swap that keeps growing means the machine or the cgroup is short of memory.',
    advice:
      "Check memory pressure (/proc/pressure/memory) and the cgroup's memory limit. If the working set has outgrown the memory available, give the process more or make it use less; if latency matters more than capacity, keep it out of swap (memory.swap.max=0 on cgroup v2, memory.swappiness=0 on v1).",
    evidence: { swapBytes, rssBytes },
  };
}

/** memfd, SysV and shared anonymous mappings always show " (deleted)": that is how they are made. */
function deletedFiles({ regions }: FindingsInput): Finding | null {
  const hit = regions.filter((r) => r.deleted && r.category !== 'shared-memory');
  if (hit.length === 0) return null;
  const paths = [...new Set(hit.map((r) => r.path))];
  const rssBytes = hit.reduce((s, r) => s + r.rssBytes, 0);
  const sizeBytes = hit.reduce((s, r) => s + r.sizeBytes, 0);
  const runsOldCode = hit.some((r) => r.category === 'code' || r.category === 'libraries');
  const shown =
    paths.slice(0, 3).map(stripDeleted).join(', ') +
    (paths.length > 3 ? ` and ${paths.length - 3} more` : '');
  return {
    id: 'deleted-files-mapped',
    severity: runsOldCode ? 'notice' : 'info',
    summary: `${plural(paths.length, 'deleted file is', 'deleted files are')} still mapped (${formatBytes(rssBytes)} resident): ${shown}.`,
    detail:
      'A file that was deleted or replaced, for example by a package upgrade, lives on as long as a process maps it: its disk space and page cache are freed only when the process unmaps it or exits.' +
      (runsOldCode
        ? ' Some of these are the program or its libraries, so the process still runs the old code, without any fix the new version has.'
        : ''),
    advice: runsOldCode
      ? 'Restart the process so that it loads the current files.'
      : 'If the disk space or page cache matters, restart the process or have it reopen the file.',
    evidence: { files: paths.length, sizeBytes, rssBytes, paths: paths.join('\n') },
  };
}

function largeSharedMemory({ regions }: FindingsInput): Finding | null {
  const shm = regions.filter((r) => r.category === 'shared-memory');
  const rssBytes = shm.reduce((s, r) => s + r.rssBytes, 0);
  if (rssBytes < LARGE_SHARED_MEMORY_BYTES) return null;
  const pssBytes = shm.reduce((s, r) => s + r.pssBytes, 0);
  const sizeBytes = shm.reduce((s, r) => s + r.sizeBytes, 0);
  const largest = [...shm].sort((a, b) => b.rssBytes - a.rssBytes)[0];
  return {
    id: 'large-shared-memory',
    severity: 'info',
    summary: `${formatBytes(rssBytes)} of RSS is shared memory (tmpfs, /dev/shm, memfd or SysV) in ${plural(shm.length, 'region')}, ${formatBytes(pssBytes)} of it counted in PSS.`,
    detail:
      'Shared memory is RAM with no file on disk behind it; under pressure it can only go to swap. Pages of a tmpfs or /dev/shm file or of a SysV segment stay in memory after every process has unmapped them, until the file or segment is removed, and they are charged to the cgroup that first touched them, which may not be this one. PSS divides them among the processes that map them.',
    advice: 'Make sure /dev/shm files and SysV segments (ipcs -m) are removed when no longer needed.',
    evidence: { regions: shm.length, sizeBytes, rssBytes, pssBytes, largestPath: largest?.path || null },
  };
}

function librariesRssVsPss({ regions, rssBytes, pssBytes, ussBytes }: FindingsInput): Finding | null {
  if (rssBytes === null || pssBytes === null || rssBytes === 0) return null;
  const libs = regions.filter((r) => r.category === 'libraries');
  const libRss = libs.reduce((s, r) => s + r.rssBytes, 0);
  const libPss = libs.reduce((s, r) => s + r.pssBytes, 0);
  if (libRss < LIBRARIES_MIN_RSS_BYTES || libRss < LIBRARIES_MIN_RSS_SHARE * rssBytes) return null;
  if (libPss > LIBRARIES_MAX_PSS_TO_RSS * libRss) return null;
  const uss =
    ussBytes === null ? '' : `, and its USS (memory no other process shares) is ${formatBytes(ussBytes)}`;
  return {
    id: 'shared-libraries-rss-vs-pss',
    severity: 'info',
    summary: `Shared libraries are ${formatBytes(libRss)} of RSS (${formatPercent(libRss, rssBytes)}) but only ${formatBytes(libPss)} of PSS: other processes share them, so RSS overstates this process's memory.`,
    detail: `RSS counts every resident page of a library in full in each process that maps it; PSS divides each page among those processes, so PSS adds up correctly across processes. This process's PSS is ${formatBytes(pssBytes)} against ${formatBytes(rssBytes)} RSS${uss}.`,
    advice: 'Compare processes by PSS, or by USS for what stopping one would free; not by RSS.',
    evidence: { librariesRssBytes: libRss, librariesPssBytes: libPss, rssBytes, pssBytes, ussBytes },
  };
}

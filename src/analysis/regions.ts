// Sorts a process's mappings (parsed /proc/PID/smaps) into the categories `inspect` and `maps`
// show, and sums each category. Pure: the caller reads smaps and /proc/PID/exe.

import type { Region } from '../procfs/smaps.js';
import {
  hasFlag,
  isAnonymous,
  isInaccessible,
  mallocArenaHeaps,
  sortByStart,
  stripDeleted,
  threadStackMembers,
} from './layout.js';

export type Category =
  | 'code'
  | 'libraries'
  | 'heap'
  | 'anonymous'
  | 'stacks'
  | 'shared-memory'
  | 'file'
  | 'reserved'
  | 'kernel';

/** Display order, with the label a person reads. */
export const CATEGORIES: readonly { category: Category; label: string }[] = [
  { category: 'code', label: 'program code' },
  { category: 'libraries', label: 'shared libraries' },
  { category: 'heap', label: 'heap' },
  { category: 'anonymous', label: 'anonymous memory' },
  { category: 'stacks', label: 'thread stacks' },
  { category: 'shared-memory', label: 'shared memory' },
  { category: 'file', label: 'other file mappings' },
  { category: 'reserved', label: 'reserved (inaccessible)' },
  { category: 'kernel', label: 'kernel-provided' },
];

export const CATEGORY_LABELS = Object.fromEntries(CATEGORIES.map((c) => [c.category, c.label])) as Record<
  Category,
  string
>;

export type CategorizedRegion = Region & { category: Category };

export interface CategorizeOptions {
  /** The target of /proc/PID/exe, " (deleted)" or not; null when it could not be read. */
  exePath: string | null;
}

/**
 * Mappings the kernel itself provides: the vDSO and its data pages, the legacy vsyscall page,
 * uprobes' trampolines, ARM's vector and signal pages.
 */
const KERNEL_NAMES = new Set([
  '[vdso]',
  '[vvar]',
  '[vvar_vclock]',
  '[vsyscall]',
  '[uprobes]',
  '[vectors]',
  '[sigpage]',
]);

/** Paths of memory that lives in shmem (or hugetlbfs) rather than on a disk: POSIX shm, memfd, SysV segments. */
const SHMEM_PREFIXES = ['/dev/shm/', '/run/shm/', '/memfd:', '/SYSV', '/dev/hugepages/'];

/**
 * /run is tmpfs wherever systemd runs, but it is checked after code and libraries: a container
 * runtime's rootfs can sit under /run, and a library there is still a library. /tmp is left out:
 * it is tmpfs on some systems and a disk on others, and the path cannot tell which.
 */
const TMPFS_PREFIXES = ['/run/', '/var/run/'];

/** The basename of a shared object: libc.so.6, libfoo.so, ld-linux-x86-64.so.2, addon.node. */
function isSharedObject(path: string): boolean {
  const whole = stripDeleted(path);
  const base = whole.slice(whole.lastIndexOf('/') + 1);
  // Node native addons (.node) are shared objects loaded with dlopen under another suffix.
  return /\.so(\.\d+)*$/.test(base) || base.startsWith('ld-linux') || base.endsWith('.node');
}

function isShmem(r: Region): boolean {
  const path = r.path;
  if (SHMEM_PREFIXES.some((p) => path.startsWith(p))) return true;
  // A shared anonymous mapping is shmem; the kernel shows it as "/dev/zero (deleted)", as an
  // empty path, or (6.x, when named) as [anon_shmem:name].
  const shared = r.perms.endsWith('s');
  if (shared && (path === '' || stripDeleted(path) === '/dev/zero')) return true;
  return path.startsWith('[anon_shmem:');
}

/** Without /proc/PID/exe, the executable is the lowest file mapping: the kernel maps it first, low. */
function guessExePath(sorted: readonly Region[]): string | null {
  for (const r of sorted) {
    if (r.path.startsWith('/') && !isShmem(r)) return stripDeleted(r.path);
  }
  return null;
}

/**
 * The category of each region, in the order given. Rules are tried in this order, first match wins:
 * 1. kernel: the names in KERNEL_NAMES, and anon_inode: mappings (io_uring rings, perf buffers),
 *    which are kernel objects' memory rather than files.
 * 2. heap: [heap], the brk area (malloc's main arena).
 * 3. stacks: [stack], [stack:TID], labelled stacks, "gd"/"ss" VmFlags, and pthread stacks with
 *    their guard pages (see threadStackMembers), so that a guard is not counted as a reservation.
 * 4. reserved: any other ---, file-backed or not: inaccessible address space can never be
 *    resident, whatever backs it, and what VIRT is made of is the question this answers.
 * 5. shared-memory: shmem-backed paths and shared anonymous mappings (see isShmem).
 * 6. anonymous: no file, or a PR_SET_VMA_ANON_NAME label; also unknown [names].
 * 7. code: the executable's own file, " (deleted)" ignored because an upgraded binary is still
 *    the program that runs.
 * 8. libraries: shared objects by basename.
 * 9. shared-memory again for files under /run (see TMPFS_PREFIXES).
 * 10. file: everything else with a path.
 */
export function categorizeRegions(regions: readonly Region[], opts: CategorizeOptions): CategorizedRegion[] {
  const sorted = sortByStart(regions);
  const heaps = mallocArenaHeaps(sorted);
  const stacks = threadStackMembers(sorted, new Set<Region>(heaps.flatMap((h) => h.regions)));
  const exePath = opts.exePath !== null ? stripDeleted(opts.exePath) : guessExePath(sorted);
  // Tags the regions themselves rather than copying them: a copy of a 40-field object per region
  // cost more than the whole parse for a 50,000-mapping process. Regions come fresh from a parse,
  // so nobody else holds them.
  for (const r of regions) (r as CategorizedRegion).category = categoryOf(r, stacks.has(r), exePath);
  return regions as CategorizedRegion[];
}

function categoryOf(r: Region, isStack: boolean, exePath: string | null): Category {
  const path = r.path;
  if (KERNEL_NAMES.has(path) || path.startsWith('anon_inode:')) return 'kernel';
  if (path === '[heap]') return 'heap';
  if (isStack) return 'stacks';
  if (isInaccessible(r)) return 'reserved';
  if (isShmem(r)) return 'shared-memory';
  if (isAnonymous(r) || (path.startsWith('[') && path.endsWith(']'))) return 'anonymous';
  if (exePath !== null && stripDeleted(path) === exePath) return 'code';
  if (isSharedObject(path)) return 'libraries';
  if (TMPFS_PREFIXES.some((p) => path.startsWith(p))) return 'shared-memory';
  return 'file';
}

export interface CategorySummary {
  category: Category;
  label: string;
  regions: number;
  sizeBytes: number;
  rssBytes: number;
  pssBytes: number;
  /** Private_Clean + Private_Dirty + Private_Hugetlb. */
  privateBytes: number;
  /** Shared_Clean + Shared_Dirty + Shared_Hugetlb. */
  sharedBytes: number;
  swapBytes: number;
}

/**
 * One entry per category, in display order, always all of them (zeros for a category with no
 * regions): the JSON keeps one shape for every process and tables can drop empty rows themselves.
 */
export function summarizeCategories(regions: readonly CategorizedRegion[]): CategorySummary[] {
  const byCategory = new Map<Category, CategorySummary>();
  for (const { category, label } of CATEGORIES) {
    byCategory.set(category, {
      category,
      label,
      regions: 0,
      sizeBytes: 0,
      rssBytes: 0,
      pssBytes: 0,
      privateBytes: 0,
      sharedBytes: 0,
      swapBytes: 0,
    });
  }
  for (const r of regions) {
    const s = byCategory.get(r.category);
    if (s === undefined) continue;
    s.regions++;
    s.sizeBytes += r.sizeBytes;
    s.rssBytes += r.rssBytes;
    s.pssBytes += r.pssBytes;
    s.privateBytes += r.privateCleanBytes + r.privateDirtyBytes + r.privateHugetlbBytes;
    s.sharedBytes += r.sharedCleanBytes + r.sharedDirtyBytes + r.sharedHugetlbBytes;
    s.swapBytes += r.swapBytes;
  }
  return [...byCategory.values()];
}

/** The n largest regions by Size or by RSS; ties go to the lower address so output is stable. */
export function topRegions<T extends Region>(regions: readonly T[], by: 'size' | 'rss', n = 10): T[] {
  const key = by === 'size' ? 'sizeBytes' : 'rssBytes';
  return [...regions]
    .sort((a, b) => b[key] - a[key] || (a.start < b.start ? -1 : a.start > b.start ? 1 : 0))
    .slice(0, Math.max(0, n));
}

export interface ThreadStacks {
  /** Stacks found: the main [stack] and each thread's; guards and shadow stacks not counted. */
  count: number;
  /** Size of all stack regions, guards included. */
  sizeBytes: number;
  rssBytes: number;
  swapBytes: number;
  /** Guard regions (---p) and their total size. */
  guards: number;
  guardBytes: number;
}

export function threadStacks(regions: readonly CategorizedRegion[]): ThreadStacks {
  const out: ThreadStacks = { count: 0, sizeBytes: 0, rssBytes: 0, swapBytes: 0, guards: 0, guardBytes: 0 };
  for (const r of regions) {
    if (r.category !== 'stacks') continue;
    out.sizeBytes += r.sizeBytes;
    out.rssBytes += r.rssBytes;
    out.swapBytes += r.swapBytes;
    if (isInaccessible(r)) {
      out.guards++;
      out.guardBytes += r.sizeBytes;
    } else if (!hasFlag(r, 'ss')) {
      out.count++;
    }
  }
  return out;
}

// Recognizes the shapes that allocators and C libraries leave in a process's address space:
// glibc malloc arena heaps and pthread stacks with their guard pages, plus the helpers the other
// shape matchers (reservations.ts) share. Pure: it looks only at the regions it is given.
// Shapes are matched on what the kernel shows (alignment, exact sizes, permissions, adjacency,
// VmFlags), so each matcher names the sizes it relies on and why they are what they are.

import type { Region } from '../procfs/smaps.js';

const MiB = 1024n * 1024n;

/**
 * HEAP_MAX_SIZE of glibc's malloc on 64-bit: 2 * DEFAULT_MMAP_THRESHOLD_MAX (32 MiB). Every
 * non-main arena lives in heaps of exactly this size, mapped at this alignment.
 */
export const GLIBC_HEAP_BYTES = 64n * MiB;

/**
 * The largest guard (in pages) still taken for a thread stack's guard. glibc's default is 1 page,
 * musl's 2, HotSpot's 4 (its red/yellow zones next to glibc's page); 16 leaves room for a raised
 * pthread_attr_setguardsize while staying far below the reservations that also sit next to
 * writable memory (malloc arena tails, JIT reservations: megabytes to gigabytes).
 */
export const MAX_STACK_GUARD_PAGES = 16;

/** Used when a region does not say its page size (a maps-only source). */
const FALLBACK_PAGE_SIZE = 4096;

/** Contiguous regions taken together as one reservation. */
export interface RegionGroup<T extends Region = Region> {
  start: bigint;
  end: bigint;
  regions: T[];
  sizeBytes: number;
  rssBytes: number;
  swapBytes: number;
  /** Bytes in ---p regions: address space that cannot be touched without an mprotect. */
  inaccessibleBytes: number;
}

export function stripDeleted(path: string): string {
  return path.endsWith(' (deleted)') ? path.slice(0, -' (deleted)'.length) : path;
}

/** No file behind it: an empty path, or a name given with PR_SET_VMA_ANON_NAME. */
export function isAnonymous(r: Region): boolean {
  return r.path === '' || r.path.startsWith('[anon:');
}

export function isInaccessible(r: Region): boolean {
  return r.perms.startsWith('---');
}

export function hasFlag(r: Region, flag: string): boolean {
  return r.vmFlags.includes(flag);
}

export function spanBytes(r: Region): bigint {
  return r.end - r.start;
}

/** A copy in address order. smaps is already in that order, so that case is only checked. */
export function sortByStart<T extends Region>(regions: readonly T[]): T[] {
  let sorted = true;
  for (let i = 1; i < regions.length && sorted; i++) {
    sorted = (regions[i - 1] as T).start <= (regions[i] as T).start;
  }
  const copy = [...regions];
  return sorted ? copy : copy.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

export function makeGroup<T extends Region>(regions: T[]): RegionGroup<T> {
  const group: RegionGroup<T> = {
    start: regions[0]?.start ?? 0n,
    end: regions[regions.length - 1]?.end ?? 0n,
    regions,
    sizeBytes: 0,
    rssBytes: 0,
    swapBytes: 0,
    inaccessibleBytes: 0,
  };
  for (const r of regions) {
    group.sizeBytes += r.sizeBytes;
    group.rssBytes += r.rssBytes;
    group.swapBytes += r.swapBytes;
    if (isInaccessible(r)) group.inaccessibleBytes += r.sizeBytes;
  }
  return group;
}

/** Names the kernel or a C library gives to stacks: [stack], [stack:TID] (kernels before 4.5), glibc 2.40+'s and bionic's labels. */
export function isStackName(path: string): boolean {
  if (path.charCodeAt(0) !== 91 /* [ */) return false;
  return (
    path === '[stack]' ||
    /^\[stack:\d+\]$/.test(path) ||
    path.startsWith('[anon: glibc: pthread stack') ||
    path.startsWith('[anon:stack_and_tls:')
  );
}

/**
 * MAP_NORESERVE ("nr") and MADV_DONTFORK ("dc") mark reservations of malloc arenas, V8 and the
 * JVM; glibc and musl map thread stacks with neither, so either flag rules a stack out.
 */
function isReservationFlagged(r: Region): boolean {
  return hasFlag(r, 'nr') || hasFlag(r, 'dc');
}

function isGuardCandidate(r: Region): boolean {
  const page = r.kernelPageSizeBytes > 0 ? r.kernelPageSizeBytes : FALLBACK_PAGE_SIZE;
  return (
    r.perms === '---p' &&
    isAnonymous(r) &&
    spanBytes(r) <= BigInt(MAX_STACK_GUARD_PAGES * page) &&
    !isReservationFlagged(r)
  );
}

function isStackBody(r: Region): boolean {
  return r.perms === 'rw-p' && (r.path === '' || isStackName(r.path)) && !isReservationFlagged(r);
}

/**
 * The regions that are stacks or their guards. Named stacks and VmFlags "gd" (grows down, as
 * [stack] and MAP_GROWSDOWN mappings have) and "ss" (shadow stack) count by themselves. pthread
 * stacks are plain anonymous memory, recognized by shape: mmap puts the guard at the low end,
 * so a small ---p region ends exactly where a rw-p one starts. `exclude` holds regions already
 * known to be something else (malloc heaps), which matters on kernels without VmFlags.
 */
export function threadStackMembers<T extends Region>(sorted: readonly T[], exclude: Set<Region>): Set<T> {
  const members = new Set<T>();
  for (let i = 0; i < sorted.length; i++) {
    const r = sorted[i] as T;
    if (isStackName(r.path) || hasFlag(r, 'gd') || hasFlag(r, 'ss')) members.add(r);
    const prev = sorted[i - 1];
    // String checks first: address comparisons are bigint, and this runs for every mapping.
    if (
      prev !== undefined &&
      prev.perms === '---p' &&
      r.perms === 'rw-p' &&
      prev.end === r.start &&
      !exclude.has(prev) &&
      !exclude.has(r) &&
      isGuardCandidate(prev) &&
      isStackBody(r)
    ) {
      members.add(prev);
      members.add(r);
    }
  }
  return members;
}

function isArenaPart(r: Region): boolean {
  return r.perms.endsWith('p') && (r.path === '' || r.path.startsWith('[anon: glibc: malloc arena'));
}

/**
 * glibc malloc's non-main arena heaps: a 64 MiB-aligned 64 MiB mapping, rw-p for the part in
 * use and ---p for the rest (the heap grows by mprotect). glibc maps them MAP_NORESERVE, so when
 * VmFlags are shown a heap without "nr" is not glibc's (a Go heap arena has the same size and
 * alignment); without VmFlags, a heap must have its ---p remainder to count.
 */
export function mallocArenaHeaps<T extends Region>(sorted: readonly T[]): RegionGroup<T>[] {
  const heaps: RegionGroup<T>[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const first = sorted[i] as T;
    if (first.perms !== 'rw-p' || !isArenaPart(first) || first.start % GLIBC_HEAP_BYTES !== 0n) continue;
    const parts: T[] = [first];
    let j = i + 1;
    while (first.start + GLIBC_HEAP_BYTES > (parts[parts.length - 1] as T).end && j < sorted.length) {
      const next = sorted[j] as T;
      const last = parts[parts.length - 1] as T;
      const order = next.perms === '---p' || (next.perms === 'rw-p' && last.perms === 'rw-p');
      if (next.start !== last.end || !isArenaPart(next) || !order) break;
      parts.push(next);
      j++;
    }
    if ((parts[parts.length - 1] as T).end - first.start !== GLIBC_HEAP_BYTES) continue;
    const flagsKnown = parts.every((p) => p.vmFlags.length > 0);
    const ok = flagsKnown ? parts.every((p) => hasFlag(p, 'nr')) : parts.some(isInaccessible);
    if (!ok) continue;
    heaps.push(makeGroup(parts));
    i = j - 1;
  }
  return heaps;
}

// The `maps` report: every region of one process with its figures and category (pmap -X, with
// paths whole and PSS). The JSON shape is a public contract.
import type { CategorizedRegion, Category } from '../analysis/regions.js';
import type { Smaps } from '../procfs/smaps.js';

export interface MapsRegion {
  /** Hex with 0x, like "0x7f3a1c000000": exact, unlike a JSON number past 2^53. */
  start: string;
  end: string;
  perms: string;
  offset: string;
  device: string;
  inode: number;
  path: string;
  deleted: boolean;
  category: Category;
  sizeBytes: number;
  rssBytes: number;
  pssBytes: number;
  privateCleanBytes: number;
  privateDirtyBytes: number;
  sharedCleanBytes: number;
  sharedDirtyBytes: number;
  swapBytes: number | null;
  anonHugePagesBytes: number | null;
  lazyFreeBytes: number | null;
}

export interface MapsReport {
  pid: number;
  name: string;
  regions: MapsRegion[];
}

export const MAPS_SORT_KEYS = ['address', 'size', 'rss', 'pss', 'private', 'swap', 'category'] as const;
export type MapsSortKey = (typeof MAPS_SORT_KEYS)[number];

export function hex(value: bigint): string {
  return `0x${value.toString(16)}`;
}

/** Region JSON; keys this kernel does not print (LazyFree before 4.12...) are null, not 0. */
export function toMapsRegion(r: CategorizedRegion, keys: Smaps['keys']): MapsRegion {
  return {
    start: hex(r.start),
    end: hex(r.end),
    perms: r.perms,
    offset: hex(r.offset),
    device: r.device,
    inode: r.inode,
    path: r.path,
    deleted: r.deleted,
    category: r.category,
    sizeBytes: r.sizeBytes,
    rssBytes: r.rssBytes,
    pssBytes: r.pssBytes,
    privateCleanBytes: r.privateCleanBytes,
    privateDirtyBytes: r.privateDirtyBytes,
    sharedCleanBytes: r.sharedCleanBytes,
    sharedDirtyBytes: r.sharedDirtyBytes,
    swapBytes: keys.has('Swap') ? r.swapBytes : null,
    anonHugePagesBytes: keys.has('AnonHugePages') ? r.anonHugePagesBytes : null,
    lazyFreeBytes: keys.has('LazyFree') ? r.lazyFreeBytes : null,
  };
}

const SORT_VALUE: Record<Exclude<MapsSortKey, 'address' | 'category'>, (r: CategorizedRegion) => number> = {
  size: (r) => r.sizeBytes,
  rss: (r) => r.rssBytes,
  pss: (r) => r.pssBytes,
  private: (r) => r.privateCleanBytes + r.privateDirtyBytes,
  swap: (r) => r.swapBytes,
};

/** Address order is the kernel's; the size keys sort largest first. */
export function sortRegions(regions: CategorizedRegion[], key: MapsSortKey): CategorizedRegion[] {
  if (key === 'address') return regions;
  if (key === 'category') return [...regions].sort((a, b) => a.category.localeCompare(b.category));
  const get = SORT_VALUE[key];
  return [...regions].sort((a, b) => get(b) - get(a) || (a.start < b.start ? -1 : 1));
}

// Recognizes the fixed-size reservations of runtimes: V8 code ranges, WebAssembly guard regions
// and V8 pointer-compression cages, each a run of adjacent mappings spanning an exact size.
// Pure: it looks only at the regions it is given.

import type { Region } from '../procfs/smaps.js';
import {
  isAnonymous,
  isInaccessible,
  makeGroup,
  mallocArenaHeaps,
  type RegionGroup,
  sortByStart,
  spanBytes,
} from './layout.js';

const MiB = 1024n * 1024n;
const GiB = 1024n * MiB;

/** V8 code range sizes: 512 MiB on current x64/arm64 builds, 128 MiB on older V8. */
export const V8_CODE_RANGE_BYTES = [512n * MiB, 128n * MiB];

/**
 * WebAssembly memories with guard regions: 8 GiB (4 GiB addressable + 4 GiB offset guard),
 * 10 GiB (plus V8's 2 GiB negative guard) and 16 GiB (other engines and older V8).
 */
export const WASM_RESERVATION_BYTES = [16n * GiB, 10n * GiB, 8n * GiB];

/** A wasm32 memory can never be larger than this, so the rest of its reservation stays ---p. */
const WASM32_MAX_MEMORY = 4n * GiB;

/** V8's pointer-compression cage: 4 GiB, aligned to 4 GiB so that a pointer is base + 32 bits. */
export const POINTER_CAGE_BYTES = 4n * GiB;

/**
 * How many regions one reservation may span. Code ranges and wasm reservations are a handful of
 * VMAs (a cage, a few hundred); the bound caps the work spent on windows that are then rejected.
 */
const MAX_WINDOW_REGIONS = 256;

interface WindowSpec<T extends Region> {
  sizes: bigint[];
  alignment?: bigint;
  /** Overrides MAX_WINDOW_REGIONS where aligned starts already keep the windows apart. */
  maxRegions?: number;
  member(r: T): boolean;
  accept(regions: T[]): boolean;
}

/**
 * Runs of contiguous member regions spanning exactly one of `sizes` (tried in the order given),
 * not overlapping each other nor anything in `claimed`, which this adds to. Exact spans are what
 * make these shapes recognizable: runtimes reserve fixed sizes and the kernel keeps them whole.
 */
function exactWindows<T extends Region>(
  sorted: readonly T[],
  spec: WindowSpec<T>,
  claimed: Set<Region>,
): RegionGroup<T>[] {
  const n = sorted.length;
  const ok = sorted.map((r) => !claimed.has(r) && spec.member(r));
  // runLast[i]: the last index of the run of adjacent members that i belongs to (-1: not a member).
  // With it, each start costs a binary search on end addresses instead of a walk.
  const runLast = new Int32Array(n).fill(-1);
  for (let i = n - 1; i >= 0; i--) {
    if (!ok[i]) continue;
    const next = sorted[i + 1];
    const joined = next !== undefined && ok[i + 1] && next.start === (sorted[i] as T).end;
    runLast[i] = joined ? (runLast[i + 1] as number) : i;
  }
  const found: RegionGroup<T>[] = [];
  for (let i = 0; i < n; i++) {
    const first = sorted[i] as T;
    if (!ok[i]) continue;
    if (spec.alignment !== undefined && first.start % spec.alignment !== 0n) continue;
    const last = Math.min(runLast[i] as number, i + (spec.maxRegions ?? MAX_WINDOW_REGIONS) - 1);
    // Most windows fall short of every size: one comparison rules them out before any search.
    const reach = (sorted[last] as T).end - first.start;
    for (const size of spec.sizes) {
      if (reach < size) continue;
      const j = endingAt(sorted, i, last, first.start + size);
      if (j === -1) continue;
      const parts = sorted.slice(i, j + 1);
      if (!spec.accept(parts)) continue;
      for (const p of parts) claimed.add(p);
      found.push(makeGroup(parts));
      i = j;
      break;
    }
  }
  return found;
}

/** The index in [lo, hi] of the region that ends exactly at `end`, or -1; ends rise with the index. */
function endingAt(sorted: readonly Region[], lo: number, hi: number, end: bigint): number {
  let a = lo;
  let b = hi;
  while (a <= b) {
    const mid = (a + b) >> 1;
    const e = (sorted[mid] as Region).end;
    if (e === end) return mid;
    if (e < end) a = mid + 1;
    else b = mid - 1;
  }
  return -1;
}

function isPrivateAnonymous(r: Region): boolean {
  return r.perms.endsWith('p') && isAnonymous(r);
}

/** How many separate runs of accessible regions a reservation has. */
function accessibleRuns(regions: Region[]): number {
  let runs = 0;
  let inRun = false;
  for (const r of regions) {
    const accessible = !isInaccessible(r);
    if (accessible && !inRun) runs++;
    inRun = accessible;
  }
  return runs;
}

export function wasmReservations<T extends Region>(
  sorted: readonly T[],
  claimed: Set<Region>,
): RegionGroup<T>[] {
  return exactWindows<T>(
    sorted,
    {
      sizes: WASM_RESERVATION_BYTES,
      member: (r) => isPrivateAnonymous(r) && (r.perms === 'rw-p' || r.perms === '---p'),
      // One memory, growing in place inside its reservation, so at most one accessible run.
      accept: (parts) => {
        const accessible = parts.filter((p) => !isInaccessible(p)).reduce((s, p) => s + spanBytes(p), 0n);
        return accessibleRuns(parts) <= 1 && accessible <= WASM32_MAX_MEMORY;
      },
    },
    claimed,
  );
}

/**
 * V8 code ranges. Besides anonymous memory a range holds V8's embedded builtins, remapped from
 * the executable (r-xp with its path) so that calls into them stay short jumps.
 */
export function v8CodeRanges<T extends Region>(sorted: readonly T[], claimed: Set<Region>): RegionGroup<T>[] {
  return exactWindows<T>(
    sorted,
    {
      sizes: V8_CODE_RANGE_BYTES,
      member: (r) => isPrivateAnonymous(r) || (r.perms === 'r-xp' && r.path.startsWith('/')),
      // Generated code (rwx, or r-x where V8 flips permissions for W^X) next to the unused rest.
      accept: (parts) =>
        parts.some((p, k) => {
          if (!isAnonymous(p) || p.perms[2] !== 'x') return false;
          const neighbours = [parts[k - 1], parts[k + 1]];
          return neighbours.some((n) => n !== undefined && n.perms === '---p' && isAnonymous(n));
        }),
    },
    claimed,
  );
}

export function pointerCompressionCages<T extends Region>(
  sorted: readonly T[],
  claimed: Set<Region>,
): RegionGroup<T>[] {
  return exactWindows<T>(
    sorted,
    {
      sizes: [POINTER_CAGE_BYTES],
      alignment: POINTER_CAGE_BYTES,
      // A cage holds the whole JavaScript heap: thousands of V8 pages, each possibly its own VMA.
      maxRegions: Number.POSITIVE_INFINITY,
      member: isPrivateAnonymous,
      // A reservation, not 4 GiB of committed memory that merely happens to be aligned.
      accept: (parts) => parts.some(isInaccessible),
    },
    claimed,
  );
}

/** Every shape found in one address space. Each region belongs to at most one reservation. */
export interface Layout<T extends Region = Region> {
  mallocHeaps: RegionGroup<T>[];
  wasm: RegionGroup<T>[];
  codeRanges: RegionGroup<T>[];
  cages: RegionGroup<T>[];
}

export function analyzeLayout<T extends Region>(regions: readonly T[]): Layout<T> {
  const sorted = sortByStart(regions);
  const mallocHeaps = mallocArenaHeaps(sorted);
  const claimed = new Set<Region>(mallocHeaps.flatMap((h) => h.regions));
  // Largest first: a wasm reservation must not be read as a cage or a code range.
  const wasm = wasmReservations(sorted, claimed);
  const codeRanges = v8CodeRanges(sorted, claimed);
  const cages = pointerCompressionCages(sorted, claimed);
  return { mallocHeaps, wasm, codeRanges, cages };
}

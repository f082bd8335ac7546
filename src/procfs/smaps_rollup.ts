// /proc/PID/smaps_rollup (Linux 4.14+): the smaps figures summed over every mapping, computed by
// the kernel in one pass, so it costs a page-table walk but no per-mapping text.
//   56286af4e000-7ffd408b3000 ---p 00000000 00:00 0                          [rollup]
//   Rss:                1700 kB
//   Pss:                 794 kB
//   Pss_Anon:            116 kB
// Pss_Anon/Pss_File/Pss_Shmem appeared in 5.3 and Pss_Dirty in 6.0: absent keys are null here.

import { isNoProcess, ProcParseError, ProcReadError } from './errors.js';
import type { ProcFs } from './fs.js';
import { parseSmaps, type Region, type Smaps } from './smaps.js';

export interface SmapsRollup {
  rssBytes: number;
  pssBytes: number;
  pssAnonBytes: number | null;
  pssFileBytes: number | null;
  pssShmemBytes: number | null;
  pssDirtyBytes: number | null;
  sharedCleanBytes: number;
  sharedDirtyBytes: number;
  privateCleanBytes: number;
  privateDirtyBytes: number;
  referencedBytes: number;
  anonymousBytes: number;
  lazyFreeBytes: number | null;
  anonHugePagesBytes: number | null;
  sharedHugetlbBytes: number | null;
  privateHugetlbBytes: number | null;
  swapBytes: number;
  swapPssBytes: number | null;
  lockedBytes: number | null;
}

/** Private_Clean + Private_Dirty (+ Private_Hugetlb): what killing the process would free. */
export function ussBytes(r: SmapsRollup): number {
  return r.privateCleanBytes + r.privateDirtyBytes + (r.privateHugetlbBytes ?? 0);
}

/** SwapPss where the kernel has it (shared swap divided like PSS), else Swap. Never both. */
export function swapBytes(r: SmapsRollup): number {
  return r.swapPssBytes ?? r.swapBytes;
}

// Keys every kernel with smaps has printed since 2.6.x; their absence means a broken file.
const REQUIRED = ['Rss', 'Pss', 'Shared_Clean', 'Shared_Dirty', 'Private_Clean', 'Private_Dirty'];

/**
 * Sums smaps blocks into the rollup shape. `keys` says which keys the kernel printed, so a key
 * this kernel lacks stays null instead of summing to 0. Also the fallback before Linux 4.14.
 */
export function rollupFromSmaps(smaps: Smaps): SmapsRollup {
  const sum = (field: keyof Region & `${string}Bytes`): number => {
    let total = 0;
    for (const r of smaps.regions) total += r[field] as number;
    return total;
  };
  const opt = (key: string, field: keyof Region & `${string}Bytes`): number | null =>
    smaps.keys.has(key) ? sum(field) : null;
  return {
    rssBytes: sum('rssBytes'),
    pssBytes: sum('pssBytes'),
    // Only the rollup file splits PSS by kind; summed per-mapping smaps leaves these null.
    pssAnonBytes: opt('Pss_Anon', 'pssAnonBytes'),
    pssFileBytes: opt('Pss_File', 'pssFileBytes'),
    pssShmemBytes: opt('Pss_Shmem', 'pssShmemBytes'),
    pssDirtyBytes: opt('Pss_Dirty', 'pssDirtyBytes'),
    sharedCleanBytes: sum('sharedCleanBytes'),
    sharedDirtyBytes: sum('sharedDirtyBytes'),
    privateCleanBytes: sum('privateCleanBytes'),
    privateDirtyBytes: sum('privateDirtyBytes'),
    referencedBytes: sum('referencedBytes'),
    anonymousBytes: sum('anonymousBytes'),
    lazyFreeBytes: opt('LazyFree', 'lazyFreeBytes'),
    anonHugePagesBytes: opt('AnonHugePages', 'anonHugePagesBytes'),
    sharedHugetlbBytes: opt('Shared_Hugetlb', 'sharedHugetlbBytes'),
    privateHugetlbBytes: opt('Private_Hugetlb', 'privateHugetlbBytes'),
    swapBytes: sum('swapBytes'),
    swapPssBytes: opt('SwapPss', 'swapPssBytes'),
    lockedBytes: opt('Locked', 'lockedBytes'),
  };
}

/** Parses /proc/PID/smaps_rollup text. */
export function parseSmapsRollup(text: string, path: string): SmapsRollup {
  const smaps = parseSmaps(text, path);
  if (smaps.regions.length !== 1) {
    // Zero blocks is legitimate: a kernel thread's (or a zombie's) rollup is empty.
    if (smaps.regions.length === 0) return emptyRollup();
    throw new ProcParseError(`expected one [rollup] block, found ${smaps.regions.length}`, path);
  }
  for (const key of REQUIRED) {
    if (!smaps.keys.has(key)) throw new ProcParseError(`missing ${key}`, path);
  }
  return rollupFromSmaps(smaps);
}

function emptyRollup(): SmapsRollup {
  return rollupFromSmaps({ regions: [], keys: new Set() });
}

/**
 * Reads /proc/PID/smaps_rollup, or sums /proc/PID/smaps on kernels before 4.14. Costs a
 * page-table walk in proportion to the process's RSS. Throws ProcReadError (E_PERMISSION for
 * other users' processes when not root, E_NO_PROCESS when it exited).
 */
export function readSmapsRollup(fs: ProcFs, pid: number): SmapsRollup {
  const rel = `proc/${pid}/smaps_rollup`;
  let text: string;
  try {
    text = fs.readText(rel, pid);
  } catch (err) {
    // ENOENT on a live pid means an old kernel without the file; check the pid still exists
    // by falling back to smaps, which throws E_NO_PROCESS if it does not.
    if (isNoProcess(err) || (err instanceof ProcReadError && err.code === 'E_UNSUPPORTED')) {
      const smapsRel = `proc/${pid}/smaps`;
      return rollupFromSmaps(parseSmaps(fs.readText(smapsRel, pid), fs.path(smapsRel)));
    }
    throw err;
  }
  return parseSmapsRollup(text, fs.path(rel));
}

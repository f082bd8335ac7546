// /proc/PID/smaps_rollup (Linux 4.14+): the smaps figures summed over every mapping, computed by
// the kernel in one pass, so it costs a page-table walk but no per-mapping text.
//   56286af4e000-7ffd408b3000 ---p 00000000 00:00 0                          [rollup]
//   Rss:                1700 kB
//   Pss:                 794 kB
//   Pss_Anon:            116 kB
// Pss_Anon/Pss_File/Pss_Shmem appeared in 5.3 and Pss_Dirty in 6.0: absent keys are null here.

import { isNoProcess, ProcParseError, ProcReadError } from './errors.js';
import type { ProcFs } from './fs.js';
import { isBlank, kibAt, startsWithAt } from './kv.js';
import { blankMapsEntry, parseMapsLineInto } from './maps.js';
import { figureSlot, parseSmaps, type Smaps, UNKNOWN } from './smaps.js';

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
  // One pass for every sum (not one per field): inspect sums 50,000 regions. Each sum still adds
  // the regions in order from 0, so the totals are the same numbers.
  let rss = 0;
  let pss = 0;
  let pssAnon = 0;
  let pssFile = 0;
  let pssShmem = 0;
  let pssDirty = 0;
  let sharedClean = 0;
  let sharedDirty = 0;
  let privateClean = 0;
  let privateDirty = 0;
  let referenced = 0;
  let anonymous = 0;
  let lazyFree = 0;
  let anonHugePages = 0;
  let sharedHugetlb = 0;
  let privateHugetlb = 0;
  let swap = 0;
  let swapPss = 0;
  let locked = 0;
  for (const r of smaps.regions) {
    rss += r.rssBytes;
    pss += r.pssBytes;
    pssAnon += r.pssAnonBytes;
    pssFile += r.pssFileBytes;
    pssShmem += r.pssShmemBytes;
    pssDirty += r.pssDirtyBytes;
    sharedClean += r.sharedCleanBytes;
    sharedDirty += r.sharedDirtyBytes;
    privateClean += r.privateCleanBytes;
    privateDirty += r.privateDirtyBytes;
    referenced += r.referencedBytes;
    anonymous += r.anonymousBytes;
    lazyFree += r.lazyFreeBytes;
    anonHugePages += r.anonHugePagesBytes;
    sharedHugetlb += r.sharedHugetlbBytes;
    privateHugetlb += r.privateHugetlbBytes;
    swap += r.swapBytes;
    swapPss += r.swapPssBytes;
    locked += r.lockedBytes;
  }
  const opt = (key: string, total: number): number | null => (smaps.keys.has(key) ? total : null);
  return {
    rssBytes: rss,
    pssBytes: pss,
    // Only the rollup file splits PSS by kind; summed per-mapping smaps leaves these null.
    pssAnonBytes: opt('Pss_Anon', pssAnon),
    pssFileBytes: opt('Pss_File', pssFile),
    pssShmemBytes: opt('Pss_Shmem', pssShmem),
    pssDirtyBytes: opt('Pss_Dirty', pssDirty),
    sharedCleanBytes: sharedClean,
    sharedDirtyBytes: sharedDirty,
    privateCleanBytes: privateClean,
    privateDirtyBytes: privateDirty,
    referencedBytes: referenced,
    anonymousBytes: anonymous,
    lazyFreeBytes: opt('LazyFree', lazyFree),
    anonHugePagesBytes: opt('AnonHugePages', anonHugePages),
    sharedHugetlbBytes: opt('Shared_Hugetlb', sharedHugetlb),
    privateHugetlbBytes: opt('Private_Hugetlb', privateHugetlb),
    swapBytes: swap,
    swapPssBytes: opt('SwapPss', swapPss),
    lockedBytes: opt('Locked', locked),
  };
}

/** Parses /proc/PID/smaps_rollup text. */
export function parseSmapsRollup(text: string, path: string): SmapsRollup {
  return parseUsualRollup(text, path) ?? parseAnyRollup(text, path);
}

/** Any file of smaps blocks, through the general smaps parser: the reference behaviour. */
function parseAnyRollup(text: string, path: string): SmapsRollup {
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

// The rollup file has the same lines in the same order for every process of a kernel, so each
// line's key and slot, found once, are checked first for the next process's file.
const lineKeys: string[] = [];
const lineSlots: number[] = [];
const SLOT = (key: string): number => figureSlot(key);
const [RSS, PSS, PSS_ANON, PSS_FILE, PSS_SHMEM, PSS_DIRTY] = [
  SLOT('Rss'),
  SLOT('Pss'),
  SLOT('Pss_Anon'),
  SLOT('Pss_File'),
  SLOT('Pss_Shmem'),
  SLOT('Pss_Dirty'),
];
const [SHARED_CLEAN, SHARED_DIRTY, PRIVATE_CLEAN, PRIVATE_DIRTY, REFERENCED, ANONYMOUS] = [
  SLOT('Shared_Clean'),
  SLOT('Shared_Dirty'),
  SLOT('Private_Clean'),
  SLOT('Private_Dirty'),
  SLOT('Referenced'),
  SLOT('Anonymous'),
];
const [LAZY_FREE, ANON_HUGE, SHARED_HUGETLB, PRIVATE_HUGETLB, SWAP, SWAP_PSS, LOCKED] = [
  SLOT('LazyFree'),
  SLOT('AnonHugePages'),
  SLOT('Shared_Hugetlb'),
  SLOT('Private_Hugetlb'),
  SLOT('Swap'),
  SLOT('SwapPss'),
  SLOT('Locked'),
];
const REQUIRED_MASK = REQUIRED.reduce((mask, key) => mask | (1 << SLOT(key)), 0);

/**
 * The rollup as every kernel since 4.14 prints it, read straight into its fields: one header,
 * then "Key:   N kB" lines. A scan reads one per process, and the general smaps parser (a
 * region, a key set) cost a third of the scan's parsing. Returns null for anything else (no or
 * several blocks, an odd value, VmFlags...), which parseAnyRollup then reads or rejects.
 */
function parseUsualRollup(text: string, path: string): SmapsRollup | null {
  let end = text.indexOf('\n');
  if (end === -1) end = text.length;
  // The first line must be what the general parser takes for a header: a first word that does
  // not end in a colon. Its figures are not used, but a malformed one is the same error.
  let wordEnd = 0;
  while (wordEnd < end && !isBlank(text.charCodeAt(wordEnd))) wordEnd++;
  if (wordEnd === 0 || text.charCodeAt(wordEnd - 1) === 58 /* : */) return null;
  parseMapsLineInto(text, 0, end, blankMapsEntry(), path, 1);
  const v = Array.from<number>({ length: 25 }).fill(0);
  let seen = 0;
  let pos = end + 1;
  for (let line = 0; pos < text.length; line++) {
    end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    if (end === pos) {
      pos++;
      continue;
    }
    let key = lineKeys[line];
    let slot: number;
    if (key !== undefined && text.charCodeAt(pos + key.length) === 58 && startsWithAt(text, pos, key)) {
      slot = lineSlots[line] as number;
    } else {
      // "Key:" must be the line's whole first word, as the general parser splits it.
      let colon = pos;
      while (colon < end && text.charCodeAt(colon) !== 58 && !isBlank(text.charCodeAt(colon))) colon++;
      if (colon === end || text.charCodeAt(colon) !== 58) return null;
      key = text.slice(pos, colon);
      slot = figureSlot(key);
      if (line < 64) {
        lineKeys[line] = key;
        lineSlots[line] = slot;
      }
    }
    const after = pos + key.length + 1;
    if (after !== end && !isBlank(text.charCodeAt(after))) return null;
    if (slot >= 0) {
      const bytes = kibAt(text, after, end);
      if (bytes < 0) return null;
      v[slot] = bytes;
      seen |= 1 << slot;
    } else if (slot !== UNKNOWN) {
      return null;
    }
    pos = end + 1;
  }
  if ((seen & REQUIRED_MASK) !== REQUIRED_MASK) return null;
  return {
    rssBytes: v[RSS] as number,
    pssBytes: v[PSS] as number,
    pssAnonBytes: seenOrNull(v, seen, PSS_ANON),
    pssFileBytes: seenOrNull(v, seen, PSS_FILE),
    pssShmemBytes: seenOrNull(v, seen, PSS_SHMEM),
    pssDirtyBytes: seenOrNull(v, seen, PSS_DIRTY),
    sharedCleanBytes: v[SHARED_CLEAN] as number,
    sharedDirtyBytes: v[SHARED_DIRTY] as number,
    privateCleanBytes: v[PRIVATE_CLEAN] as number,
    privateDirtyBytes: v[PRIVATE_DIRTY] as number,
    referencedBytes: v[REFERENCED] as number,
    anonymousBytes: v[ANONYMOUS] as number,
    lazyFreeBytes: seenOrNull(v, seen, LAZY_FREE),
    anonHugePagesBytes: seenOrNull(v, seen, ANON_HUGE),
    sharedHugetlbBytes: seenOrNull(v, seen, SHARED_HUGETLB),
    privateHugetlbBytes: seenOrNull(v, seen, PRIVATE_HUGETLB),
    swapBytes: v[SWAP] as number,
    swapPssBytes: seenOrNull(v, seen, SWAP_PSS),
    lockedBytes: seenOrNull(v, seen, LOCKED),
  };
}

/** A key's value, or null when the file did not print it (a function, not a per-call closure). */
function seenOrNull(v: number[], seen: number, slot: number): number | null {
  return seen & (1 << slot) ? (v[slot] as number) : null;
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

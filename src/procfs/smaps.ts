// /proc/PID/smaps: each mapping of maps, followed by its memory figures. man 5 proc_pid_smaps
//   7f3a1c000000-7f3a1c021000 rw-p 00000000 00:00 0
//   Size:                132 kB
//   Rss:                  12 kB
//   Pss:                  12 kB
//   VmFlags: rd wr mr mw me ac sd
// Reading it walks the page tables of every mapping, so it costs time in proportion to RSS; it
// is read on demand (inspect, maps), while scans use smaps_rollup.

import { ProcParseError } from './errors.js';
import type { ProcFs } from './fs.js';
import { type MapsEntry, parseMapsLine } from './maps.js';
import { parseSafeUint } from './numbers.js';

/** The size keys of an smaps block, in bytes. A key the kernel did not print reads as 0. */
export interface RegionFigures {
  sizeBytes: number;
  kernelPageSizeBytes: number;
  mmuPageSizeBytes: number;
  rssBytes: number;
  pssBytes: number;
  pssDirtyBytes: number;
  /** Pss_Anon, Pss_File, Pss_Shmem: printed only in smaps_rollup (5.3+). */
  pssAnonBytes: number;
  pssFileBytes: number;
  pssShmemBytes: number;
  sharedCleanBytes: number;
  sharedDirtyBytes: number;
  privateCleanBytes: number;
  privateDirtyBytes: number;
  referencedBytes: number;
  anonymousBytes: number;
  ksmBytes: number;
  lazyFreeBytes: number;
  anonHugePagesBytes: number;
  shmemPmdMappedBytes: number;
  filePmdMappedBytes: number;
  sharedHugetlbBytes: number;
  privateHugetlbBytes: number;
  swapBytes: number;
  swapPssBytes: number;
  lockedBytes: number;
}

export interface Region extends MapsEntry, RegionFigures {
  /** THPeligible: null when the kernel does not print it. */
  thpEligible: boolean | null;
  /** ProtectionKey (x86 memory protection keys), null when absent. */
  protectionKey: number | null;
  /** VmFlags two-letter codes ("rd", "wr", "gd" for a stack guard...), [] when absent. */
  vmFlags: string[];
}

export interface Smaps {
  regions: Region[];
  /**
   * Every key seen in any block. Keys a kernel predates (SwapPss before 4.3, LazyFree before
   * 4.12, Pss_Dirty before 6.0) are absent here, which lets callers say "unknown" rather than 0.
   */
  keys: Set<string>;
}

/**
 * smaps key -> field. Unknown keys are ignored: new kernels add them. A Map, not an object
 * literal: a key such as "constructor" or "__proto__" must not find Object.prototype's members.
 */
const FIELD_OF_KEY = new Map<string, keyof RegionFigures>(
  Object.entries({
    Size: 'sizeBytes',
    KernelPageSize: 'kernelPageSizeBytes',
    MMUPageSize: 'mmuPageSizeBytes',
    Rss: 'rssBytes',
    Pss: 'pssBytes',
    Pss_Dirty: 'pssDirtyBytes',
    Pss_Anon: 'pssAnonBytes',
    Pss_File: 'pssFileBytes',
    Pss_Shmem: 'pssShmemBytes',
    Shared_Clean: 'sharedCleanBytes',
    Shared_Dirty: 'sharedDirtyBytes',
    Private_Clean: 'privateCleanBytes',
    Private_Dirty: 'privateDirtyBytes',
    Referenced: 'referencedBytes',
    Anonymous: 'anonymousBytes',
    KSM: 'ksmBytes',
    LazyFree: 'lazyFreeBytes',
    AnonHugePages: 'anonHugePagesBytes',
    ShmemPmdMapped: 'shmemPmdMappedBytes',
    FilePmdMapped: 'filePmdMappedBytes',
    Shared_Hugetlb: 'sharedHugetlbBytes',
    Private_Hugetlb: 'privateHugetlbBytes',
    Swap: 'swapBytes',
    SwapPss: 'swapPssBytes',
    Locked: 'lockedBytes',
  } satisfies Record<string, keyof RegionFigures>) as [string, keyof RegionFigures][],
);

/** Every figure at 0 (for building regions in tests and sums; the parser uses newRegion). */
export function emptyFigures(): RegionFigures {
  return Object.fromEntries(
    [...FIELD_OF_KEY.values()].map((field) => [field, 0]),
  ) as unknown as RegionFigures;
}

const MAX_SAFE_KIB = Math.floor(Number.MAX_SAFE_INTEGER / 1024);

/**
 * A region with every field written out in one literal: all regions then share one object shape.
 * Spreading `entry` and emptyFigures() instead made V8 build each 35-field object the slow way,
 * which took seconds for a 50,000-mapping process.
 */
function newRegion(e: MapsEntry): Region {
  return {
    start: e.start,
    end: e.end,
    perms: e.perms,
    offset: e.offset,
    device: e.device,
    inode: e.inode,
    path: e.path,
    deleted: e.deleted,
    sizeBytes: 0,
    kernelPageSizeBytes: 0,
    mmuPageSizeBytes: 0,
    rssBytes: 0,
    pssBytes: 0,
    pssDirtyBytes: 0,
    pssAnonBytes: 0,
    pssFileBytes: 0,
    pssShmemBytes: 0,
    sharedCleanBytes: 0,
    sharedDirtyBytes: 0,
    privateCleanBytes: 0,
    privateDirtyBytes: 0,
    referencedBytes: 0,
    anonymousBytes: 0,
    ksmBytes: 0,
    lazyFreeBytes: 0,
    anonHugePagesBytes: 0,
    shmemPmdMappedBytes: 0,
    filePmdMappedBytes: 0,
    sharedHugetlbBytes: 0,
    privateHugetlbBytes: 0,
    swapBytes: 0,
    swapPssBytes: 0,
    lockedBytes: 0,
    thpEligible: null,
    protectionKey: null,
    vmFlags: [],
  };
}

/**
 * Reads "  1234 kB" (or "kb", or a bare number) starting at `from` up to `end` as bytes.
 * Hand-rolled rather than split/regex: a process with 50,000 mappings has over a million lines.
 */
function sizeAt(text: string, from: number, end: number, path: string, lineNo: number): number {
  let i = from;
  while (i < end && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  let n = 0;
  const digitsFrom = i;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  if (i === digitsFrom) {
    throw new ProcParseError(`expected a size, found "${text.slice(from, end).trim()}"`, path, lineNo);
  }
  if (i - digitsFrom > 15) n = parseSafeUint(text.slice(digitsFrom, i), path, lineNo);
  const unit = text.slice(i, end).trim();
  if (unit === 'kB' || unit === 'kb' || unit === 'KB') {
    // A safe count of kB can still overflow 2^53 once in bytes; rounding it would be silent.
    if (n > MAX_SAFE_KIB)
      throw new ProcParseError(`size "${text.slice(digitsFrom, i)} kB" is too large`, path, lineNo);
    return n * 1024;
  }
  if (unit === '') return n;
  throw new ProcParseError(`unknown unit "${unit}"`, path, lineNo);
}

/** Keys with no size that we still read (and so report in Smaps.keys). */
const KNOWN_OTHER = new Set(['VmFlags', 'THPeligible', 'ProtectionKey']);

/** Parses the whole of /proc/PID/smaps (also any file of smaps blocks, e.g. smaps_rollup). */
export function parseSmaps(text: string, path: string): Smaps {
  const regions: Region[] = [];
  const keys = new Set<string>();
  let current: Region | null = null;
  const lastKeys: string[] = [];
  let lineInBlock = 0;
  let lineNo = 0;
  let pos = 0;
  const length = text.length;
  while (pos < length) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = length;
    lineNo++;
    if (end > pos) {
      // A block header starts with an address range; a figure line with "Key:". Both may start
      // with a hex letter, so tell them apart by whether the first word ends in a colon.
      let wordEnd = pos;
      while (wordEnd < end) {
        const c = text.charCodeAt(wordEnd);
        if (c === 32 || c === 9) break;
        wordEnd++;
      }
      if (text.charCodeAt(wordEnd - 1) === 58 /* : */) {
        if (current === null) {
          throw new ProcParseError(`figure line before any mapping header`, path, lineNo);
        }
        // The kernel prints the same keys in the same order in every block, so the key at this
        // line of the previous block is checked first: no new string, no hashing, for nearly
        // every line of a file that can run to a million lines.
        const keyLength = wordEnd - 1 - pos;
        let key = lastKeys[lineInBlock];
        if (key === undefined || key.length !== keyLength || !text.startsWith(key, pos)) {
          key = text.slice(pos, wordEnd - 1);
          lastKeys[lineInBlock] = key;
        }
        lineInBlock++;
        const field = FIELD_OF_KEY.get(key);
        if (field !== undefined) {
          current[field] = sizeAt(text, wordEnd, end, path, lineNo);
        } else if (key === 'VmFlags') {
          current.vmFlags = text.slice(wordEnd, end).trim().split(/\s+/).filter(Boolean);
        } else if (key === 'THPeligible') {
          current.thpEligible = text.slice(wordEnd, end).trim() === '1';
        } else if (key === 'ProtectionKey') {
          current.protectionKey = parseSafeUint(text.slice(wordEnd, end).trim(), path, lineNo);
        }
        if (field !== undefined || KNOWN_OTHER.has(key)) keys.add(key);
      } else if (wordEnd > pos) {
        const entry = parseMapsLine(text.slice(pos, end), path, lineNo);
        current = newRegion(entry);
        regions.push(current);
        lineInBlock = 0;
      }
    }
    pos = end + 1;
  }
  return { regions, keys };
}

/** Reads /proc/PID/smaps. Costs a page-table walk of the whole process. */
export function readSmaps(fs: ProcFs, pid: number): Smaps {
  const rel = `proc/${pid}/smaps`;
  return parseSmaps(fs.readText(rel, pid), fs.path(rel));
}

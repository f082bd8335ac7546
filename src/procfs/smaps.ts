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
import { isBlank, MAX_SAFE_KIB, plainAscii, sizeAt, startsWithAt } from './kv.js';
import { blankMapsEntry, type MapsEntry, parseMapsLineInto } from './maps.js';
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

/** The slot of each size key in a block's array of figures, in RegionFigures order. */
const SLOT_OF_KEY = new Map<string, number>([...FIELD_OF_KEY.keys()].map((key, slot) => [key, slot]));
const SLOTS = SLOT_OF_KEY.size;
export const UNKNOWN = -1;
const VM_FLAGS = -2;
const THP_ELIGIBLE = -3;
const PROTECTION_KEY = -4;

/**
 * Where parsers keep a key's value: 0-24 for the size keys (in RegionFigures order), a negative
 * number for VmFlags, THPeligible, ProtectionKey and (UNKNOWN, -1) for keys we ignore.
 */
export function figureSlot(key: string): number {
  const slot = SLOT_OF_KEY.get(key);
  if (slot !== undefined) return slot;
  if (key === 'VmFlags') return VM_FLAGS;
  if (key === 'THPeligible') return THP_ELIGIBLE;
  if (key === 'ProtectionKey') return PROTECTION_KEY;
  return UNKNOWN;
}

/**
 * A region with every field written out in one literal, built when its block ends: all regions
 * then share one object shape, and no field is written twice. Spreading an entry and
 * emptyFigures() instead made V8 build each 36-field object the slow way (seconds for 50,000).
 */
function newRegion(
  e: MapsEntry,
  v: number[],
  thpEligible: boolean | null,
  protectionKey: number | null,
  vmFlags: string[],
): Region {
  return {
    start: e.start,
    end: e.end,
    perms: e.perms,
    offset: e.offset,
    device: e.device,
    inode: e.inode,
    path: e.path,
    deleted: e.deleted,
    sizeBytes: v[0] as number,
    kernelPageSizeBytes: v[1] as number,
    mmuPageSizeBytes: v[2] as number,
    rssBytes: v[3] as number,
    pssBytes: v[4] as number,
    pssDirtyBytes: v[5] as number,
    pssAnonBytes: v[6] as number,
    pssFileBytes: v[7] as number,
    pssShmemBytes: v[8] as number,
    sharedCleanBytes: v[9] as number,
    sharedDirtyBytes: v[10] as number,
    privateCleanBytes: v[11] as number,
    privateDirtyBytes: v[12] as number,
    referencedBytes: v[13] as number,
    anonymousBytes: v[14] as number,
    ksmBytes: v[15] as number,
    lazyFreeBytes: v[16] as number,
    anonHugePagesBytes: v[17] as number,
    shmemPmdMappedBytes: v[18] as number,
    filePmdMappedBytes: v[19] as number,
    sharedHugetlbBytes: v[20] as number,
    privateHugetlbBytes: v[21] as number,
    swapBytes: v[22] as number,
    swapPssBytes: v[23] as number,
    lockedBytes: v[24] as number,
    thpEligible,
    protectionKey,
    vmFlags,
  };
}

/** Each two-lower-case-letter VmFlags code, kept once, by (first - 97) * 26 + (second - 97). */
const FLAG_CODES: (string | undefined)[] = [];

/**
 * VmFlags' codes, split by hand: a regex split per block showed in profiles, and every region
 * holds about eight codes, so they are shared strings rather than 400,000 new ones for 50,000.
 */
function flagsAt(text: string, from: number, end: number): string[] {
  const flags: string[] = [];
  let i = from;
  for (;;) {
    while (i < end && isBlank(text.charCodeAt(i))) i++;
    if (i >= end) return flags;
    const start = i;
    while (i < end && !isBlank(text.charCodeAt(i))) i++;
    const a = text.charCodeAt(start) - 97;
    const b = text.charCodeAt(start + 1) - 97;
    if (i - start === 2 && a >= 0 && a < 26 && b >= 0 && b < 26) {
      const index = a * 26 + b;
      let code = FLAG_CODES[index];
      if (code === undefined) {
        code = text.slice(start, i);
        FLAG_CODES[index] = code;
      }
      flags.push(code);
    } else {
      flags.push(text.slice(start, i));
    }
  }
}

/** Parses the whole of /proc/PID/smaps (also any file of smaps blocks, e.g. smaps_rollup). */
export function parseSmaps(text: string, path: string): Smaps {
  const regions: Region[] = [];
  const keys = new Set<string>();
  // The open block: its header, its figures by slot, its other keys. The region is built when
  // the next header (or the end) closes the block.
  const header = blankMapsEntry();
  let open = false;
  // A plain array, not a Float64Array: a typed array hands each figure back as a new heap number
  // (25 per region) where a plain one keeps small integers unboxed. Created holding undefined,
  // its elements kind is "any value" for good, so a figure past 2^31 boxes only itself rather
  // than turning every element into a double.
  const values = Array.from<number>({ length: SLOTS }).fill(0);
  let thpEligible: boolean | null = null;
  let protectionKey: number | null = null;
  let vmFlags: string[] = [];
  // The kernel prints the same keys in the same order in every block, so the key and slot at
  // this line of the previous block are tried first: no new string and no hashing for nearly
  // every line of a file that can run to a million lines.
  const lineKeys: string[] = [];
  const lineSlots: number[] = [];
  let lineInBlock = 0;
  let lineNo = 0;
  let pos = 0;
  const length = text.length;
  while (pos < length) {
    lineNo++;
    // Nearly every line: the key cached for this position, then "   1234 kB" and the line end.
    // Read in one pass without looking for the line end first; anything else (a new key, no
    // " kB", too many digits) falls through to the general path, which gives the same result.
    const cached = lineKeys[lineInBlock];
    if (cached !== undefined) {
      const slot = lineSlots[lineInBlock] as number;
      let i = pos + cached.length;
      if (
        slot >= 0 &&
        text.charCodeAt(i) === 58 /* : */ &&
        isBlank(text.charCodeAt(i + 1)) &&
        startsWithAt(text, pos, cached)
      ) {
        i += 2;
        while (isBlank(text.charCodeAt(i))) i++;
        const digitsFrom = i;
        let n = 0;
        for (let c = text.charCodeAt(i); c >= 48 && c <= 57; c = text.charCodeAt(++i)) n = n * 10 + (c - 48);
        if (
          i > digitsFrom &&
          i - digitsFrom <= 15 &&
          n <= MAX_SAFE_KIB &&
          text.charCodeAt(i) === 32 &&
          text.charCodeAt(i + 1) === 107 /* k */ &&
          text.charCodeAt(i + 2) === 66 /* B */ &&
          (i + 3 === length || text.charCodeAt(i + 3) === 10)
        ) {
          values[slot] = n * 1024;
          lineInBlock++;
          pos = i + 4;
          continue;
        }
      }
    }
    let end = text.indexOf('\n', pos);
    if (end === -1) end = length;
    if (end > pos) {
      let slot: number;
      let valueFrom: number;
      const cached = lineKeys[lineInBlock];
      const afterKey = cached === undefined ? -1 : pos + cached.length;
      if (
        cached !== undefined &&
        text.charCodeAt(afterKey) === 58 /* : */ &&
        (afterKey + 1 === end || isBlank(text.charCodeAt(afterKey + 1))) &&
        text.startsWith(cached, pos)
      ) {
        // The line's first word is this key and its colon, as the general path below would find.
        slot = lineSlots[lineInBlock] as number;
        valueFrom = afterKey + 1;
      } else {
        // A block header starts with an address range; a figure line with "Key:". Both may
        // start with a hex letter, so tell them apart by whether the first word ends in a colon.
        let wordEnd = pos;
        while (wordEnd < end && !isBlank(text.charCodeAt(wordEnd))) wordEnd++;
        if (text.charCodeAt(wordEnd - 1) === 58 /* : */) {
          if (!open) throw new ProcParseError(`figure line before any mapping header`, path, lineNo);
          const key = text.slice(pos, wordEnd - 1);
          slot = figureSlot(key);
          if (slot !== UNKNOWN) keys.add(key);
          lineKeys[lineInBlock] = key;
          lineSlots[lineInBlock] = slot;
          valueFrom = wordEnd;
        } else {
          if (wordEnd > pos) {
            if (open) regions.push(newRegion(header, values, thpEligible, protectionKey, vmFlags));
            parseMapsLineInto(text, pos, end, header, path, lineNo);
            open = true;
            values.fill(0);
            thpEligible = null;
            protectionKey = null;
            vmFlags = [];
            lineInBlock = 0;
          }
          pos = end + 1;
          continue;
        }
      }
      lineInBlock++;
      if (slot >= 0) {
        values[slot] = sizeAt(text, valueFrom, end, path, lineNo);
      } else if (slot === VM_FLAGS) {
        // Only space and tab separate the codes in plain ASCII; anything else splits as before.
        vmFlags = plainAscii(text, valueFrom, end)
          ? flagsAt(text, valueFrom, end)
          : text.slice(valueFrom, end).trim().split(/\s+/).filter(Boolean);
      } else if (slot === THP_ELIGIBLE) {
        thpEligible = text.slice(valueFrom, end).trim() === '1';
      } else if (slot === PROTECTION_KEY) {
        protectionKey = parseSafeUint(text.slice(valueFrom, end).trim(), path, lineNo);
      }
    }
    pos = end + 1;
  }
  if (open) regions.push(newRegion(header, values, thpEligible, protectionKey, vmFlags));
  return { regions, keys };
}

/** Reads /proc/PID/smaps. Costs a page-table walk of the whole process. */
export function readSmaps(fs: ProcFs, pid: number): Smaps {
  const rel = `proc/${pid}/smaps`;
  return parseSmaps(fs.readText(rel, pid), fs.path(rel));
}

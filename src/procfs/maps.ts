// /proc/PID/maps: one line per mapping (VMA). man 5 proc_pid_maps
//   55680ae1e000-55680ae20000 r--p 00000000 fd:01 47316994                   /bin/cat
//   55680bed6000-55680bef7000 rw-p 00000000 00:00 0                          [heap]
//   7f3a00000000-7f3a04000000 ---p 00000000 00:00 0
//   7f3a1c000000-7f3a1c021000 rw-s 00000000 00:01 1034                       /memfd:buf (deleted)
// The path is everything after the inode and its padding, spaces included, verbatim: the kernel
// appends " (deleted)" for unlinked files and we keep it, flagging `deleted`.

import { ProcParseError } from './errors.js';
import type { ProcFs } from './fs.js';
import { parseHex, parseSafeUint } from './numbers.js';

export interface MapsEntry {
  /** First address (inclusive). bigint: addresses reach 0xffffffffff601000, beyond 2^53. */
  start: bigint;
  /** End address (exclusive). */
  end: bigint;
  /** "rwxp" style: r/w/x or "-", then p (private) or s (shared). */
  perms: string;
  offset: bigint;
  /** "major:minor" in hex, as the kernel prints it. */
  device: string;
  inode: number;
  /** The path as the kernel wrote it ("" for anonymous mappings), including " (deleted)". */
  path: string;
  /** The kernel marked the file as unlinked (path ends with " (deleted)"). */
  deleted: boolean;
}

const DELETED = ' (deleted)';

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

/** 0-15 for a hex digit, -1 otherwise. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

// Most offsets are 0: one shared bigint instead of a new one per mapping.
const ZERO = 0n;

/**
 * The hex number in text[from, to). Up to 13 digits (52 bits, every user-space address) it is
 * summed as a number and converted once: BigInt("0x...") of a fresh string costs far more, three
 * times per mapping. Anything else goes through parseHex for the exact value or error.
 */
function hexAt(text: string, from: number, to: number, path: string, lineNo?: number): bigint {
  const length = to - from;
  if (length > 0 && length <= 13) {
    let n = 0;
    let i = from;
    for (; i < to; i++) {
      const d = hexDigit(text.charCodeAt(i));
      if (d < 0) break;
      n = n * 16 + d;
    }
    if (i === to) return n === 0 ? ZERO : BigInt(n);
  }
  return parseHex(text.slice(from, to), path, lineNo);
}

/** Every permission string, indexed by r, w, x and s bits: a mapping's perms is never a new string. */
const PERMS: string[] = [];
for (let i = 0; i < 16; i++) {
  PERMS.push(`${i & 8 ? 'r' : '-'}${i & 4 ? 'w' : '-'}${i & 2 ? 'x' : '-'}${i & 1 ? 's' : 'p'}`);
}

/** The index into PERMS of text[from, to) when it is a valid perms string, else -1. */
function permsIndex(text: string, from: number, to: number): number {
  if (to - from !== 4) return -1;
  const r = text.charCodeAt(from);
  const w = text.charCodeAt(from + 1);
  const x = text.charCodeAt(from + 2);
  const s = text.charCodeAt(from + 3);
  if ((r !== 114 && r !== 45) || (w !== 119 && w !== 45) || (x !== 120 && x !== 45)) return -1;
  if (s !== 112 && s !== 115) return -1;
  return (r === 114 ? 8 : 0) | (w === 119 ? 4 : 0) | (x === 120 ? 2 : 0) | (s === 115 ? 1 : 0);
}

/** A device "major:minor": hex digits, one colon, hex digits. */
function isDevice(text: string, from: number, to: number): boolean {
  let colon = -1;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 58 && colon === -1) colon = i;
    else if (hexDigit(c) < 0) return false;
  }
  return colon > from && colon < to - 1;
}

/** `previous` when text[from, to) spells it, else a new slice: most lines repeat the last device and path. */
function reuse(previous: string, text: string, from: number, to: number): string {
  return previous.length === to - from && text.startsWith(previous, from) ? previous : text.slice(from, to);
}

/** An entry to fill with parseMapsLineInto. */
export function blankMapsEntry(): MapsEntry {
  return { start: 0n, end: 0n, perms: '', offset: 0n, device: '', inode: 0, path: '', deleted: false };
}

function missingField(what: string, line: string, path: string, lineNo?: number): ProcParseError {
  return new ProcParseError(`missing ${what} in "${line}"`, path, lineNo);
}

function skipSpace(text: string, pos: number, to: number): number {
  while (pos < to && isSpace(text.charCodeAt(pos))) pos++;
  return pos;
}

function skipWord(text: string, pos: number, to: number): number {
  while (pos < to && !isSpace(text.charCodeAt(pos))) pos++;
  return pos;
}

/**
 * Parses the maps line text[from, to) into `out` (also the header line of each smaps block).
 * Writing into the caller's object lets smaps build each region in one literal with no
 * intermediate entry, and lets a line reuse the device and path strings of the line before.
 */
export function parseMapsLineInto(
  text: string,
  from: number,
  to: number,
  out: MapsEntry,
  path: string,
  lineNo?: number,
): void {
  // Fields are separated by single spaces until the inode; the path follows after padding.
  const rangeFrom = skipSpace(text, from, to);
  const rangeTo = skipWord(text, rangeFrom, to);
  if (rangeFrom === rangeTo) throw missingField('address range', text.slice(from, to), path, lineNo);
  const permsFrom = skipSpace(text, rangeTo, to);
  const permsTo = skipWord(text, permsFrom, to);
  if (permsFrom === permsTo) throw missingField('permissions', text.slice(from, to), path, lineNo);
  const offsetFrom = skipSpace(text, permsTo, to);
  const offsetTo = skipWord(text, offsetFrom, to);
  if (offsetFrom === offsetTo) throw missingField('offset', text.slice(from, to), path, lineNo);
  const deviceFrom = skipSpace(text, offsetTo, to);
  const deviceTo = skipWord(text, deviceFrom, to);
  if (deviceFrom === deviceTo) throw missingField('device', text.slice(from, to), path, lineNo);
  const inodeFrom = skipSpace(text, deviceTo, to);
  const inodeTo = skipWord(text, inodeFrom, to);
  if (inodeFrom === inodeTo) throw missingField('inode', text.slice(from, to), path, lineNo);
  const pathFrom = skipSpace(text, inodeTo, to);
  // Trailing whitespace is dropped; the regex runs only when the last character may be some.
  const last = text.charCodeAt(to - 1);
  const mappedPath =
    pathFrom === to
      ? ''
      : last > 32 && last < 127
        ? reuse(out.path, text, pathFrom, to)
        : text.slice(pathFrom, to).replace(/\s+$/, '');

  let dash = -1;
  for (let i = rangeFrom; i < rangeTo; i++) {
    if (text.charCodeAt(i) === 45) {
      dash = i;
      break;
    }
  }
  // Some captured files (psutil's) have a bare start address; take it as an empty range.
  const start = hexAt(text, rangeFrom, dash === -1 ? rangeTo : dash, path, lineNo);
  const end = dash === -1 ? start : hexAt(text, dash + 1, rangeTo, path, lineNo);
  const perms = permsIndex(text, permsFrom, permsTo);
  if (perms === -1) {
    const found = text.slice(permsFrom, permsTo);
    throw new ProcParseError(`expected permissions like "rw-p", found "${found}"`, path, lineNo);
  }
  if (!isDevice(text, deviceFrom, deviceTo)) {
    const found = text.slice(deviceFrom, deviceTo);
    throw new ProcParseError(`expected a device like "fd:01", found "${found}"`, path, lineNo);
  }
  const offset = hexAt(text, offsetFrom, offsetTo, path, lineNo);
  out.start = start;
  out.end = end;
  out.perms = PERMS[perms] as string;
  out.offset = offset;
  out.device = reuse(out.device, text, deviceFrom, deviceTo);
  out.inode = uintAt(text, inodeFrom, inodeTo, path, lineNo);
  out.path = mappedPath;
  out.deleted = mappedPath.endsWith(DELETED);
}

/** The decimal in text[from, to); short digit runs without a slice, the rest through parseSafeUint. */
function uintAt(text: string, from: number, to: number, path: string, lineNo?: number): number {
  if (to - from < 16) {
    let n = 0;
    let i = from;
    for (; i < to; i++) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      n = n * 10 + (c - 48);
    }
    if (i === to) return n;
  }
  return parseSafeUint(text.slice(from, to), path, lineNo);
}

/** Parses one maps line (also the header line of each smaps block). */
export function parseMapsLine(line: string, path: string, lineNo?: number): MapsEntry {
  const entry = blankMapsEntry();
  parseMapsLineInto(line, 0, line.length, entry, path, lineNo);
  return entry;
}

/** Parses the whole of /proc/PID/maps. */
export function parseMaps(text: string, path: string): MapsEntry[] {
  const out: MapsEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    out.push(parseMapsLine(line, path, i + 1));
  }
  return out;
}

/** Reads /proc/PID/maps: address ranges only, no memory figures. Cheap: no page-table walk. */
export function readMaps(fs: ProcFs, pid: number): MapsEntry[] {
  const rel = `proc/${pid}/maps`;
  return parseMaps(fs.readText(rel, pid), fs.path(rel));
}

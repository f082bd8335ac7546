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

/** Parses one maps line (also the header line of each smaps block). */
export function parseMapsLine(line: string, path: string, lineNo?: number): MapsEntry {
  // Fields are separated by single spaces until the inode; the path follows after padding.
  let pos = 0;
  const next = (what: string): string => {
    while (pos < line.length && isSpace(line.charCodeAt(pos))) pos++;
    const from = pos;
    while (pos < line.length && !isSpace(line.charCodeAt(pos))) pos++;
    if (from === pos) throw new ProcParseError(`missing ${what} in "${line}"`, path, lineNo);
    return line.slice(from, pos);
  };
  const range = next('address range');
  const perms = next('permissions');
  const offset = next('offset');
  const device = next('device');
  const inode = next('inode');
  while (pos < line.length && isSpace(line.charCodeAt(pos))) pos++;
  const mappedPath = line.slice(pos).replace(/\s+$/, '');

  const dash = range.indexOf('-');
  // Some captured files (psutil's) have a bare start address; take it as an empty range.
  const start = parseHex(dash === -1 ? range : range.slice(0, dash), path, lineNo);
  const end = dash === -1 ? start : parseHex(range.slice(dash + 1), path, lineNo);
  if (!/^[r-][w-][x-][ps]$/.test(perms)) {
    throw new ProcParseError(`expected permissions like "rw-p", found "${perms}"`, path, lineNo);
  }
  if (!/^[0-9a-fA-F]+:[0-9a-fA-F]+$/.test(device)) {
    throw new ProcParseError(`expected a device like "fd:01", found "${device}"`, path, lineNo);
  }
  return {
    start,
    end,
    perms,
    offset: parseHex(offset, path, lineNo),
    device,
    inode: parseSafeUint(inode, path, lineNo),
    path: mappedPath,
    deleted: mappedPath.endsWith(DELETED),
  };
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

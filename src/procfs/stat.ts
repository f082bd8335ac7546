// /proc/PID/stat: one line of space-separated fields. man 5 proc_pid_stat
//   26231 (vim) R 5392 7446 5392 34835 7446 4218880 32533 309516 26 82 1677 44 ...
//   1020 ((a b ) ( c d) ) R 28378 ...
// The name (comm) is in parentheses and may itself hold spaces and ')' (any process can rename
// itself), so it ends at the LAST ')' of the line. Field numbers below are the man page's.

import { ProcParseError } from './errors.js';
import type { ProcFs } from './fs.js';
import { limitBytes, parseI64, parseSafeUint, parseU64 } from './numbers.js';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** PF_KTHREAD in the flags field: the task is a kernel thread (no user memory at all). */
const PF_KTHREAD = 0x00200000;

export interface Stat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  flags: number;
  /** Minor faults: page found in memory (first touch of anonymous memory, page cache hit). */
  minorFaults: number;
  /** Major faults: page had to be read from disk or swap. */
  majorFaults: number;
  childMinorFaults: number;
  childMajorFaults: number;
  /** User and system CPU time in clock ticks (USER_HZ, 100 on Linux). */
  utimeTicks: number;
  stimeTicks: number;
  /** Children's CPU time; signed 64-bit and seen at both int64 limits. */
  cutimeTicks: bigint;
  cstimeTicks: bigint;
  priority: number;
  nice: number;
  threads: number;
  /** Clock ticks after boot when the process started: with the pid, its identity. */
  startTimeTicks: number;
  vsizeBytes: number;
  rssPages: number;
  /** RLIMIT_RSS as the kernel holds it (2^64-1 = unlimited). */
  rsslim: bigint;
  /** RLIMIT_RSS in bytes; Infinity when unlimited. */
  rsslimBytes: number;
  startCode: bigint;
  endCode: bigint;
  startStack: bigint;
  processor: number | null;
  rtPriority: number | null;
  policy: number | null;
  delayacctBlkioTicks: number | null;
  /** The task is a kernel thread (PF_KTHREAD). */
  kernelThread: boolean;
}

// Tokens of printable ASCII separated by single spaces, as the kernel prints them.
const SINGLE_SPACED = /^(?:[!-~]+(?: [!-~]+)*)?$/;

/**
 * The fields after the name, as text.trim().split(/\s+/) gives them. When the kernel's single
 * spaces are all there is, split(' ') gives the same fields: the regex split was the largest
 * cost of this parser, and a hand-written loop was slower still in a one-shot CLI run, where the
 * parser runs cold.
 */
function fieldsAfter(text: string, from: number, end: number): string[] {
  const rest = text.slice(from, end).trim();
  return SINGLE_SPACED.test(rest) ? rest.split(' ') : rest.split(/\s+/);
}

/**
 * A token of 1-15 digits, optionally negative, as a number; NaN for anything else. Such a value
 * is exact, so the BigInt round trip of parseI64 (one per field, 25 per process) is skipped.
 */
function smallInt(token: string): number {
  const negative = token.charCodeAt(0) === 45; /* - */
  const from = negative ? 1 : 0;
  if (token.length - from < 1 || token.length - from > 15) return Number.NaN;
  let n = 0;
  for (let i = from; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c < 48 || c > 57) return Number.NaN;
    n = n * 10 + (c - 48);
  }
  // 0 - n, not -n: "-0" is 0, as BigInt("-0") is.
  return negative ? 0 - n : n;
}

/** Field n (the man page's numbering) of the fields after the name. */
function field(rest: string[], n: number, path: string): string {
  const value = rest[n - 3];
  if (value === undefined) throw new ProcParseError(`missing field ${n}`, path, 1);
  return value;
}

/** A signed field that must be exact as a number. */
function num(rest: string[], n: number, path: string): number {
  const token = field(rest, n, path);
  const small = smallInt(token);
  if (!Number.isNaN(small)) return small;
  // Every field read as a number here is far below 2^53 on real kernels; one beyond it is a
  // broken file, and rounding it silently would hide that.
  const v = parseI64(token, path, 1);
  if (v > MAX_SAFE || v < -MAX_SAFE) throw new ProcParseError(`field ${n} "${token}" is too large`, path, 1);
  return Number(v);
}

/**
 * A trailing field: absent or beyond 2^53 is null. Captured files hold 2^63-1 in "processor";
 * that makes the field unknown, not the whole file unreadable.
 */
function optional(rest: string[], n: number, path: string): number | null {
  const token = rest[n - 3];
  if (token === undefined) return null;
  const small = smallInt(token);
  if (!Number.isNaN(small)) return small;
  const v = parseI64(token, path, 1);
  return v > MAX_SAFE || v < -MAX_SAFE ? null : Number(v);
}

/** A signed 64-bit field, exactly. */
function i64(rest: string[], n: number, path: string): bigint {
  const token = field(rest, n, path);
  const small = smallInt(token);
  return !Number.isNaN(small) ? BigInt(small) : parseI64(token, path, 1);
}

/** An unsigned 64-bit field, exactly. */
function u64(rest: string[], n: number, path: string): bigint {
  const token = field(rest, n, path);
  const small = token.charCodeAt(0) === 45 ? Number.NaN : smallInt(token);
  return !Number.isNaN(small) ? BigInt(small) : parseU64(token, path, 1);
}

/** Parses /proc/PID/stat text. */
export function parseStat(text: string, path: string): Stat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open === -1 || close < open) throw new ProcParseError('expected "pid (comm) state ..."', path, 1);
  const pidText = text.slice(0, open).trim();
  const comm = text.slice(open + 1, close);
  let restEnd = text.indexOf('\n', close);
  if (restEnd === -1) restEnd = text.length;
  const rest = fieldsAfter(text, close + 1, restEnd);
  // rest[0] is field 3 (state); field N is rest[N - 3].
  // Kernels print 44 to 52 fields; we need up to field 28 and read the later ones if present.
  if (rest.length + 2 < 28)
    throw new ProcParseError(`expected at least 28 fields, found ${rest.length + 2}`, path, 1);
  // Read in this order, as before: with two malformed fields, the same one is reported.
  const rsslim = u64(rest, 25, path);
  const flags = num(rest, 9, path);
  return {
    pid: parseSafeUint(pidText, path, 1),
    comm,
    state: field(rest, 3, path),
    ppid: num(rest, 4, path),
    flags,
    minorFaults: num(rest, 10, path),
    childMinorFaults: num(rest, 11, path),
    majorFaults: num(rest, 12, path),
    childMajorFaults: num(rest, 13, path),
    utimeTicks: num(rest, 14, path),
    stimeTicks: num(rest, 15, path),
    cutimeTicks: i64(rest, 16, path),
    cstimeTicks: i64(rest, 17, path),
    priority: num(rest, 18, path),
    nice: num(rest, 19, path),
    threads: num(rest, 20, path),
    startTimeTicks: num(rest, 22, path),
    vsizeBytes: num(rest, 23, path),
    rssPages: num(rest, 24, path),
    rsslim,
    rsslimBytes: limitBytes(rsslim),
    startCode: u64(rest, 26, path),
    endCode: u64(rest, 27, path),
    startStack: u64(rest, 28, path),
    processor: optional(rest, 39, path),
    rtPriority: optional(rest, 40, path),
    policy: optional(rest, 41, path),
    delayacctBlkioTicks: optional(rest, 42, path),
    kernelThread: (flags & PF_KTHREAD) !== 0,
  };
}

/** Reads /proc/PID/stat. Readable by every user for every process. */
export function readStat(fs: ProcFs, pid: number): Stat {
  const rel = `proc/${pid}/stat`;
  return parseStat(fs.readText(rel, pid), fs.path(rel));
}

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

/** Parses /proc/PID/stat text. */
export function parseStat(text: string, path: string): Stat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open === -1 || close < open) throw new ProcParseError('expected "pid (comm) state ..."', path, 1);
  const pidText = text.slice(0, open).trim();
  const comm = text.slice(open + 1, close);
  let restEnd = text.indexOf('\n', close);
  if (restEnd === -1) restEnd = text.length;
  const rest = text
    .slice(close + 1, restEnd)
    .trim()
    .split(/\s+/);
  // rest[0] is field 3 (state); field N is rest[N - 3].
  // Kernels print 44 to 52 fields; we need up to field 28 and read the later ones if present.
  if (rest.length + 2 < 28)
    throw new ProcParseError(`expected at least 28 fields, found ${rest.length + 2}`, path, 1);
  const field = (n: number): string => {
    const value = rest[n - 3];
    if (value === undefined) throw new ProcParseError(`missing field ${n}`, path, 1);
    return value;
  };
  const exact = (n: number): bigint | null => {
    // Signed fields (nice, priority, tty) and unsigned ones go through the same exact parse.
    const v = parseI64(field(n), path, 1);
    return v > MAX_SAFE || v < -MAX_SAFE ? null : v;
  };
  const num = (n: number): number => {
    // Every field read as a number here is far below 2^53 on real kernels; one beyond it is a
    // broken file, and rounding it silently would hide that.
    const v = exact(n);
    if (v === null) throw new ProcParseError(`field ${n} "${field(n)}" is too large`, path, 1);
    return Number(v);
  };
  // The trailing fields are informational: a nonsense value there (captured files hold 2^63-1
  // in "processor") makes that field unknown, not the whole file unreadable.
  const optional = (n: number): number | null => {
    if (rest[n - 3] === undefined) return null;
    const v = exact(n);
    return v === null ? null : Number(v);
  };
  const rsslim = parseU64(field(25), path, 1);
  const flags = num(9);
  return {
    pid: parseSafeUint(pidText, path, 1),
    comm,
    state: field(3),
    ppid: num(4),
    flags,
    minorFaults: num(10),
    childMinorFaults: num(11),
    majorFaults: num(12),
    childMajorFaults: num(13),
    utimeTicks: num(14),
    stimeTicks: num(15),
    cutimeTicks: parseI64(field(16), path, 1),
    cstimeTicks: parseI64(field(17), path, 1),
    priority: num(18),
    nice: num(19),
    threads: num(20),
    startTimeTicks: num(22),
    vsizeBytes: num(23),
    rssPages: num(24),
    rsslim,
    rsslimBytes: limitBytes(rsslim),
    startCode: parseU64(field(26), path, 1),
    endCode: parseU64(field(27), path, 1),
    startStack: parseU64(field(28), path, 1),
    processor: optional(39),
    rtPriority: optional(40),
    policy: optional(41),
    delayacctBlkioTicks: optional(42),
    kernelThread: (flags & PF_KTHREAD) !== 0,
  };
}

/** Reads /proc/PID/stat. Readable by every user for every process. */
export function readStat(fs: ProcFs, pid: number): Stat {
  const rel = `proc/${pid}/stat`;
  return parseStat(fs.readText(rel, pid), fs.path(rel));
}

// /proc/PID/status: the process's identity and memory counters in readable form. man 5 proc_pid_status
//   Name:	prometheus
//   Tgid:	26231
//   Uid:	1000	1000	1000	0
//   VmRSS:	    6716 kB
//   Threads:	1
// Memory keys are absent for kernel threads (they have no mm), so they are null, never 0.
// Some captures align with spaces instead of a tab, and one starts with a blank line.

import { ProcParseError } from './errors.js';
import type { ProcFs } from './fs.js';
import { isBlank, kibAt, sizeValue } from './kv.js';
import { parseSafeUint } from './numbers.js';

export interface Status {
  name: string;
  /** State letter: R, S, D, Z (zombie), T, t, X, I... */
  state: string | null;
  tgid: number | null;
  pid: number | null;
  ppid: number | null;
  /** Real, effective, saved and filesystem uid. */
  uids: number[];
  gids: number[];
  /** PIDs in each nested PID namespace, outermost first. */
  nsPids: number[];
  threads: number | null;
  vmPeakBytes: number | null;
  vmSizeBytes: number | null;
  vmLckBytes: number | null;
  vmPinBytes: number | null;
  vmHwmBytes: number | null;
  vmRssBytes: number | null;
  rssAnonBytes: number | null;
  rssFileBytes: number | null;
  rssShmemBytes: number | null;
  vmDataBytes: number | null;
  vmStkBytes: number | null;
  vmExeBytes: number | null;
  vmLibBytes: number | null;
  vmPteBytes: number | null;
  vmPmdBytes: number | null;
  vmSwapBytes: number | null;
  hugetlbPagesBytes: number | null;
  voluntaryCtxtSwitches: number | null;
  nonvoluntaryCtxtSwitches: number | null;
}

/** The keys read, in the order parseStatus checks them (which decides the error reported). */
const KEYS = [
  'Name',
  'State',
  'Tgid',
  'Pid',
  'PPid',
  'Uid',
  'Gid',
  'NSpid',
  'Threads',
  'VmPeak',
  'VmSize',
  'VmLck',
  'VmPin',
  'VmHWM',
  'VmRSS',
  'RssAnon',
  'RssFile',
  'RssShmem',
  'VmData',
  'VmStk',
  'VmExe',
  'VmLib',
  'VmPTE',
  'VmPMD',
  'VmSwap',
  'HugetlbPages',
  'voluntary_ctxt_switches',
  'nonvoluntary_ctxt_switches',
] as const;
const SLOT_OF_KEY = new Map<string, number>(KEYS.map((key, slot) => [key, slot]));
const NOT_READ = -1;
const [NAME, STATE, TGID, PID, PPID, UID, GID, NSPID, THREADS] = [0, 1, 2, 3, 4, 5, 6, 7, 8];

// status has the same keys in the same order for every process of a kernel (kernel threads
// lack the Vm lines), so each line's key, found once, is checked first for the next file.
const lineKeys: string[] = [];
const lineSlots: number[] = [];

/**
 * Where each key's value is: [from, to) of the text after its colon, -1 when absent. Only the
 * keys we read get a substring; a Map of every key cost a third of a scan's parsing. Lines are
 * checked as parseKeyValues does: a non-blank line without a colon is an error, a key we do
 * not read is skipped whatever its value, and the last of a repeated key wins.
 */
function locate(text: string, path: string): Int32Array {
  const at = new Int32Array(2 * KEYS.length).fill(NOT_READ);
  let lineNo = 0;
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    const line = lineNo++;
    if (end > pos) {
      let slot: number;
      let colon: number;
      const cached = lineKeys[line];
      if (
        cached !== undefined &&
        text.charCodeAt(pos + cached.length) === 58 &&
        text.startsWith(cached, pos)
      ) {
        // The first colon of the line follows the cached key, which has no colon or edge blanks.
        // (The builtin compare: a CLI run parses ~300 status files, mostly before V8 optimizes.)
        slot = lineSlots[line] as number;
        colon = pos + cached.length;
      } else {
        colon = text.indexOf(':', pos);
        if (colon === -1 || colon >= end) {
          const found = text.slice(pos, end);
          if (found.trim() !== '')
            throw new ProcParseError(`expected "Key: value", found "${found}"`, path, lineNo);
          pos = end + 1;
          continue;
        }
        const key = text.slice(pos, colon).trim();
        slot = SLOT_OF_KEY.get(key) ?? NOT_READ;
        if (line < 128 && key.length === colon - pos) {
          lineKeys[line] = key;
          lineSlots[line] = slot;
        }
      }
      if (slot !== NOT_READ) {
        at[2 * slot] = colon + 1;
        at[2 * slot + 1] = end;
      }
    }
    pos = end + 1;
  }
  return at;
}

/** The trimmed value of a key, as parseKeyValues gives it; undefined when absent. */
function raw(text: string, at: Int32Array, slot: number): string | undefined {
  const from = at[2 * slot] as number;
  return from === NOT_READ ? undefined : text.slice(from, at[2 * slot + 1]).trim();
}

/** The bare count in text[from, end) when it is blanks and 1-15 digits, else -1. */
function countAt(text: string, from: number, end: number): number {
  let i = from;
  while (i < end && isBlank(text.charCodeAt(i))) i++;
  const digitsFrom = i;
  let n = 0;
  for (let c = text.charCodeAt(i); i < end && c >= 48 && c <= 57; c = text.charCodeAt(++i)) {
    n = n * 10 + (c - 48);
  }
  return i === end && i > digitsFrom && i - digitsFrom <= 15 ? n : -1;
}

/** A size key in bytes (null when absent): the kernel's "   6716 kB" read in place, else sizeValue. */
function size(text: string, at: Int32Array, slot: number, path: string): number | null {
  const from = at[2 * slot] as number;
  if (from === NOT_READ) return null;
  const fast = kibAt(text, from, at[2 * slot + 1] as number);
  return fast >= 0 ? fast : sizeValue(raw(text, at, slot) as string, KEYS[slot] as string, path);
}

/** A count key (null when absent): digits read in place, anything else through parseSafeUint. */
function count(text: string, at: Int32Array, slot: number, path: string): number | null {
  const from = at[2 * slot] as number;
  if (from === NOT_READ) return null;
  const fast = countAt(text, from, at[2 * slot + 1] as number);
  return fast >= 0 ? fast : parseSafeUint(raw(text, at, slot) as string, path);
}

/** "1000\t1000\t1000\t0": read in place when only blanks and short digit runs, else split. */
function idList(text: string, at: Int32Array, slot: number, path: string): number[] {
  const from = at[2 * slot] as number;
  const end = at[2 * slot + 1] as number;
  const ids: number[] = [];
  if (from === NOT_READ) return ids;
  let i = from;
  for (;;) {
    while (i < end && isBlank(text.charCodeAt(i))) i++;
    if (i === end) return ids;
    const digitsFrom = i;
    let n = 0;
    for (let c = text.charCodeAt(i); i < end && c >= 48 && c <= 57; c = text.charCodeAt(++i)) {
      n = n * 10 + (c - 48);
    }
    if (i === digitsFrom || i - digitsFrom > 15 || (i < end && !isBlank(text.charCodeAt(i)))) break;
    ids.push(n);
  }
  const value = raw(text, at, slot) as string;
  return value === '' ? [] : value.split(/\s+/).map((t) => parseSafeUint(t, path));
}

/** Parses /proc/PID/status text. */
export function parseStatus(text: string, path: string): Status {
  const at = locate(text, path);
  const name = raw(text, at, NAME);
  if (name === undefined) throw new ProcParseError('missing Name', path);
  const state = raw(text, at, STATE);
  // Read in KEYS order, as before: with two malformed values, the same one is reported.
  return {
    name,
    state: state === undefined ? null : state.charAt(0),
    tgid: count(text, at, TGID, path),
    pid: count(text, at, PID, path),
    ppid: count(text, at, PPID, path),
    uids: idList(text, at, UID, path),
    gids: idList(text, at, GID, path),
    nsPids: idList(text, at, NSPID, path),
    threads: count(text, at, THREADS, path),
    vmPeakBytes: size(text, at, 9, path),
    vmSizeBytes: size(text, at, 10, path),
    vmLckBytes: size(text, at, 11, path),
    vmPinBytes: size(text, at, 12, path),
    vmHwmBytes: size(text, at, 13, path),
    vmRssBytes: size(text, at, 14, path),
    rssAnonBytes: size(text, at, 15, path),
    rssFileBytes: size(text, at, 16, path),
    rssShmemBytes: size(text, at, 17, path),
    vmDataBytes: size(text, at, 18, path),
    vmStkBytes: size(text, at, 19, path),
    vmExeBytes: size(text, at, 20, path),
    vmLibBytes: size(text, at, 21, path),
    vmPteBytes: size(text, at, 22, path),
    vmPmdBytes: size(text, at, 23, path),
    vmSwapBytes: size(text, at, 24, path),
    hugetlbPagesBytes: size(text, at, 25, path),
    voluntaryCtxtSwitches: count(text, at, 26, path),
    nonvoluntaryCtxtSwitches: count(text, at, 27, path),
  };
}

/** Reads /proc/PID/status. Readable by every user for every process. */
export function readStatus(fs: ProcFs, pid: number): Status {
  const rel = `proc/${pid}/status`;
  return parseStatus(fs.readText(rel, pid), fs.path(rel));
}

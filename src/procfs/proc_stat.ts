// /proc/stat: machine-wide counters, one "name values..." line each. man 5 proc_stat
//   cpu  325019 0 22704 213687 374 0 102 178 0 0
//   ctxt 3116017
//   btime 1795628133
// Only btime is read: the wall-clock time of boot, in whole seconds since the epoch. The kernel
// log stamps records with time since boot, and btime turns that into a date.

import { ProcParseError } from './errors.js';
import type { ProcFs } from './fs.js';
import { parseSafeUint } from './numbers.js';

export interface ProcStat {
  /** Boot time, seconds since the epoch; null when the file has no btime line. */
  bootTimeSec: number | null;
}

/** Parses /proc/stat text. */
export function parseProcStat(text: string, path: string): ProcStat {
  let bootTimeSec: number | null = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    // The other lines (cpu, intr with hundreds of counters) are not needed: skip them unread.
    if (!line.startsWith('btime')) continue;
    const fields = line.trim().split(/\s+/);
    if (fields[0] !== 'btime') continue;
    if (fields.length !== 2)
      throw new ProcParseError(`expected "btime seconds", found "${line.trim()}"`, path, i + 1);
    bootTimeSec = parseSafeUint(fields[1] as string, path, i + 1);
  }
  return { bootTimeSec };
}

/** Reads /proc/stat. */
export function readProcStat(fs: ProcFs): ProcStat {
  return parseProcStat(fs.readText('proc/stat'), fs.path('proc/stat'));
}

/** Reads the boot time from /proc/stat btime: seconds since the epoch (null if absent). */
export function readBootTimeSec(fs: ProcFs): number | null {
  return readProcStat(fs).bootTimeSec;
}

// /proc/PID/statm: seven page counts on one line, the cheapest memory figures. man 5 proc_pid_statm
//   149919 12547 18446744073709551615 19864 0 14531 0
//   size resident shared text lib data dt
// Counts are kept as bigint: captured files hold 2^64-1 in "shared" (a kernel that underflowed),
// and rounding it would hide that. statmBytes() turns such nonsense into null (unknown).

import { ProcParseError } from './errors.js';
import type { ProcFs } from './fs.js';
import { pagesToBytes, parseU64 } from './numbers.js';

export interface Statm {
  sizePages: bigint;
  residentPages: bigint;
  /** RssFile + RssShmem in pages (what top calls SHR), not "shared with other processes". */
  sharedPages: bigint;
  textPages: bigint;
  /** Always 0 since Linux 2.6. */
  libPages: bigint;
  dataPages: bigint;
  /** Always 0 since Linux 2.6. */
  dirtyPages: bigint;
}

export interface StatmBytes {
  sizeBytes: number | null;
  residentBytes: number | null;
  sharedBytes: number | null;
  textBytes: number | null;
  dataBytes: number | null;
}

/** Parses /proc/PID/statm text. */
export function parseStatm(text: string, path: string): Statm {
  const fields = text.trim().split(/\s+/);
  if (fields.length !== 7) throw new ProcParseError(`expected 7 fields, found ${fields.length}`, path, 1);
  const [size, resident, shared, textPages, lib, data, dirty] = fields.map((f) => parseU64(f, path, 1)) as [
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
  ];
  return {
    sizePages: size,
    residentPages: resident,
    sharedPages: shared,
    textPages,
    libPages: lib,
    dataPages: data,
    dirtyPages: dirty,
  };
}

export function statmBytes(statm: Statm, pageSize: number): StatmBytes {
  return {
    sizeBytes: pagesToBytes(statm.sizePages, pageSize),
    residentBytes: pagesToBytes(statm.residentPages, pageSize),
    sharedBytes: pagesToBytes(statm.sharedPages, pageSize),
    textBytes: pagesToBytes(statm.textPages, pageSize),
    dataBytes: pagesToBytes(statm.dataPages, pageSize),
  };
}

/** Reads /proc/PID/statm (pages; see statmBytes). */
export function readStatm(fs: ProcFs, pid: number): Statm {
  const rel = `proc/${pid}/statm`;
  return parseStatm(fs.readText(rel, pid), fs.path(rel));
}

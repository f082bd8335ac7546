// /proc/meminfo: the machine's memory. man 5 proc_meminfo
//   MemTotal:       15666184 kB
//   MemAvailable:   11225936 kB      (3.14+; absent on older kernels)
//   HugePages_Total:       0         (a count, no unit)
//           total:    used:    free:  shared: buffers:  cached:     (2.4-era table, old 32-bit kernels)
// Every key is kept in `values` (bytes, or a count for unit-less keys), so new keys cost nothing.
// A key this kernel does not print is absent: MemAvailable missing is unknown, never 0.

import { ProcParseError } from './errors.js';
import type { ProcFs } from './fs.js';
import { parseKeyValues, sizeValue } from './kv.js';

export interface Meminfo {
  /** Every line: bytes for kB keys, plain counts for unit-less ones (HugePages_*). */
  values: Map<string, number>;
  memTotalBytes: number;
  memFreeBytes: number | null;
  memAvailableBytes: number | null;
  buffersBytes: number | null;
  cachedBytes: number | null;
  swapTotalBytes: number | null;
  swapFreeBytes: number | null;
  shmemBytes: number | null;
  commitLimitBytes: number | null;
  committedAsBytes: number | null;
}

// The keys memlens reads by name: a malformed value of one of these is an error.
const KNOWN = new Set([
  'MemTotal',
  'MemFree',
  'MemAvailable',
  'Buffers',
  'Cached',
  'SwapTotal',
  'SwapFree',
  'Shmem',
  'CommitLimit',
  'Committed_AS',
]);

/** Parses /proc/meminfo text. */
export function parseMeminfo(text: string, path: string): Meminfo {
  const raw = parseKeyValues(text, path);
  const values = new Map<string, number>();
  for (const [key, value] of raw) {
    if (KNOWN.has(key)) {
      values.set(key, sizeValue(value, key, path));
      continue;
    }
    // Any other line is kept when it reads as a size and skipped otherwise: some old 32-bit
    // kernels still print the 2.4-era table first ("total:  used:  free: ..." then
    // "Mem:  260579328 136073216 ..."), and a future key may have a shape we do not know.
    try {
      values.set(key, sizeValue(value, key, path));
    } catch (err) {
      if (!(err instanceof ProcParseError)) throw err;
    }
  }
  const memTotal = values.get('MemTotal');
  if (memTotal === undefined) throw new ProcParseError('missing MemTotal', path);
  const get = (key: string) => values.get(key) ?? null;
  return {
    values,
    memTotalBytes: memTotal,
    memFreeBytes: get('MemFree'),
    memAvailableBytes: get('MemAvailable'),
    buffersBytes: get('Buffers'),
    cachedBytes: get('Cached'),
    swapTotalBytes: get('SwapTotal'),
    swapFreeBytes: get('SwapFree'),
    shmemBytes: get('Shmem'),
    commitLimitBytes: get('CommitLimit'),
    committedAsBytes: get('Committed_AS'),
  };
}

/** Reads /proc/meminfo. */
export function readMeminfo(fs: ProcFs): Meminfo {
  return parseMeminfo(fs.readText('proc/meminfo'), fs.path('proc/meminfo'));
}

// Number handling shared by the parsers. Kernel counters are unsigned 64-bit; JavaScript numbers
// are exact only to 2^53. Byte sizes of real memory stay far below that, so they are numbers;
// values that can legitimately reach 2^64 (limits, addresses, statm of broken kernels) are parsed
// as bigint first so that nothing is rounded before we decide what the value means.
import { ProcParseError } from './errors.js';

/**
 * At or above this a limit means "no limit". The kernel writes 2^64-1 (RLIM_INFINITY, v2 "max"
 * converted by other tools) or PAGE_COUNTER_MAX * PAGE_SIZE (2^63 - 4096 on x86_64 cgroup v1,
 * less with bigger pages). The line is drawn at 2^53 bytes (8 PiB, twice what x86-64 can address
 * with 5-level paging), so nothing real is mistaken, and a limit below it is always an exact
 * number: between 2^53 and 2^62 a number would round (setrlimit takes any value).
 */
export const UNLIMITED_AT = 1n << 53n;

const DIGITS = /^\d+$/;
const SIGNED_DIGITS = /^-?\d+$/;

/** Parses an unsigned decimal exactly. */
export function parseU64(token: string, path: string, line?: number): bigint {
  if (!DIGITS.test(token))
    throw new ProcParseError(`expected an unsigned integer, found "${token}"`, path, line);
  return BigInt(token);
}

/** Parses a signed decimal exactly (stat's cutime/cstime are signed 64-bit). */
export function parseI64(token: string, path: string, line?: number): bigint {
  if (!SIGNED_DIGITS.test(token))
    throw new ProcParseError(`expected an integer, found "${token}"`, path, line);
  return BigInt(token);
}

/** Parses an unsigned decimal that must fit a safe JavaScript integer (counts, pids, kB values). */
export function parseSafeUint(token: string, path: string, line?: number): number {
  // A fast path for the common case: short digit strings are always safe.
  if (token.length > 0 && token.length < 16 && DIGITS.test(token)) return Number(token);
  const big = parseU64(token, path, line);
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ProcParseError(`value "${token}" is too large to be a count`, path, line);
  }
  return Number(big);
}

/** Parses a hexadecimal address or offset exactly (addresses reach 0xffffffffff601000). */
export function parseHex(token: string, path: string, line?: number): bigint {
  if (!/^[0-9a-fA-F]+$/.test(token))
    throw new ProcParseError(`expected a hex number, found "${token}"`, path, line);
  return BigInt(`0x${token}`);
}

/**
 * A byte limit as the rest of memlens uses it: a number of bytes, or Infinity for "no limit".
 * Infinity compares correctly (min over ancestors just works) and serialises to JSON null.
 */
export function limitBytes(value: bigint): number {
  return value >= UNLIMITED_AT ? Number.POSITIVE_INFINITY : Number(value);
}

export function isUnlimited(limit: number): boolean {
  return limit === Number.POSITIVE_INFINITY;
}

/** Converts a page count to bytes, or null when the count is a nonsense value such as 2^64-1. */
export function pagesToBytes(pages: bigint, pageSize: number): number | null {
  const bytes = pages * BigInt(pageSize);
  return bytes > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(bytes);
}

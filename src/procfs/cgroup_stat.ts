// The memory controller's flat-keyed files, "name value" per line. https://docs.kernel.org/admin-guide/cgroup-v2.html
//   v2 memory.stat:       anon 790425600            v1 memory.stat:  hierarchical_memory_limit 9223372036854771712
//   v2 memory.events:     oom_kill 0                v1 memory.oom_control:  under_oom 0
// And the single-value files beside them (memory.current, v1 memory.usage_in_bytes).
// Values are bytes or event counts. v1 memory.stat carries its limits in the same file, where
// "no limit" is PAGE_COUNTER_MAX pages: values past 2^53 read as Infinity here (nothing real is
// counted or sized that high, see UNLIMITED_AT), and parseFlatKeyedExact keeps every value exact
// for callers that need the raw number.

import { ProcParseError } from './errors.js';
import type { ProcFs } from './fs.js';
import { limitBytes, parseU64 } from './numbers.js';

/** Parses a flat-keyed file exactly: every value as a bigint. */
export function parseFlatKeyedExact(text: string, path: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    const fields = line.split(/\s+/);
    if (fields.length !== 2) {
      throw new ProcParseError(`expected "name value", found "${line}"`, path, i + 1);
    }
    out.set(fields[0] as string, parseU64(fields[1] as string, path, i + 1));
  }
  return out;
}

/**
 * Parses a flat-keyed file (memory.stat, memory.events, memory.oom_control, memory.swap.events)
 * into numbers: bytes or counts, Infinity past 2^53 (the "no limit" values of v1 memory.stat).
 * Every key is kept, so new kernels' keys cost nothing.
 */
export function parseFlatKeyed(text: string, path: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, value] of parseFlatKeyedExact(text, path)) out.set(key, limitBytes(value));
  return out;
}

/**
 * Parses a single-value file (memory.current, memory.usage_in_bytes, memory.max): bytes or a
 * count; "max" and values past 2^53 (v1's near-2^63 "no limit") are Infinity.
 */
export function parseCgroupValue(text: string, path: string): number {
  const t = text.trim();
  if (t === 'max') return Number.POSITIVE_INFINITY;
  return limitBytes(parseU64(t, path, 1));
}

/** Reads a flat-keyed file of a cgroup folder (relative to the ProcFs root), e.g. "memory.stat". */
export function readFlatKeyed(fs: ProcFs, dir: string, file: string): Map<string, number> {
  const rel = `${dir}/${file}`;
  return parseFlatKeyed(fs.readText(rel), fs.path(rel));
}

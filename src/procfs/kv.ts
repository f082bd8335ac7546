// The "Key:   value [unit]" format shared by status, meminfo, smaps and smaps_rollup.
//   VmRSS:	    6716 kB
//   Name:	prometheus
//   HugePages_Total:       0
//   THPeligible:    0
// Keys are kept verbatim; values are left as trimmed text so each parser decides what a key
// means. Unknown keys are kept (newer kernels add them) and never an error.
import { ProcParseError } from './errors.js';
import { parseSafeUint } from './numbers.js';

/** Splits a key/value file into a map. A non-blank line without a colon is an error. */
export function parseKeyValues(text: string, path: string): Map<string, string> {
  const out = new Map<string, string>();
  let lineNo = 0;
  let pos = 0;
  while (pos <= text.length) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    lineNo++;
    if (end > pos) {
      const colon = text.indexOf(':', pos);
      if (colon === -1 || colon >= end) {
        const line = text.slice(pos, end);
        if (line.trim() !== '')
          throw new ProcParseError(`expected "Key: value", found "${line}"`, path, lineNo);
      } else {
        out.set(text.slice(pos, colon).trim(), text.slice(colon + 1, end).trim());
      }
    }
    pos = end + 1;
  }
  return out;
}

/**
 * Reads a size value ("6716 kB", "20 kb", or a bare "0") as bytes. The kernel's kB is KiB.
 * A bare number is taken as a count and returned as is.
 */
export function sizeValue(raw: string, key: string, path: string, line?: number): number {
  const space = raw.indexOf(' ');
  if (space === -1) return parseSafeUint(raw, path, line);
  const unit = raw.slice(space + 1).trim();
  const n = parseSafeUint(raw.slice(0, space), path, line);
  let factor: number;
  switch (unit.toLowerCase()) {
    case 'kb':
      factor = 1024;
      break;
    case 'mb':
      factor = 1024 * 1024;
      break;
    case 'b':
      factor = 1;
      break;
    default:
      throw new ProcParseError(`unknown unit "${unit}" for ${key}`, path, line);
  }
  // A safe count of kB can still overflow 2^53 once in bytes; rounding it would be silent.
  if (n > Number.MAX_SAFE_INTEGER / factor) {
    throw new ProcParseError(`value "${raw}" of ${key} is too large to be exact in bytes`, path, line);
  }
  return n * factor;
}

/** A size key in bytes, or null when the file does not have the key (old kernel, kernel thread). */
export function optionalSize(map: Map<string, string>, key: string, path: string): number | null {
  const raw = map.get(key);
  return raw === undefined ? null : sizeValue(raw, key, path);
}

/** A plain count key, or null when absent. */
export function optionalCount(map: Map<string, string>, key: string, path: string): number | null {
  const raw = map.get(key);
  return raw === undefined ? null : parseSafeUint(raw, path);
}

// Position-based readers for the hand-rolled parsers (smaps, smaps_rollup, status): they read a
// value where it stands in the file's text, so the common line makes no substring at all.

/** The largest count of kB whose size in bytes is still an exact number. */
export const MAX_SAFE_KIB = Math.floor(Number.MAX_SAFE_INTEGER / 1024);

export function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/** text.startsWith(word, pos) as a loop: per line, the builtin call cost more than the compare. */
export function startsWithAt(text: string, pos: number, word: string): boolean {
  for (let j = 0; j < word.length; j++) {
    if (text.charCodeAt(pos + j) !== word.charCodeAt(j)) return false;
  }
  return true;
}

/** True when text[from, end) holds only printable ASCII, spaces and tabs. */
export function plainAscii(text: string, from: number, end: number): boolean {
  for (let i = from; i < end; i++) {
    const c = text.charCodeAt(i);
    if ((c < 32 && c !== 9) || c > 126) return false;
  }
  return true;
}

/**
 * The kernel's own form of a size, blanks then 1-15 digits then " kB" ending exactly at `end`,
 * as bytes; -1 for any other form (which the general readers then parse or reject).
 */
export function kibAt(text: string, from: number, end: number): number {
  let i = from;
  while (i < end && isBlank(text.charCodeAt(i))) i++;
  const digitsFrom = i;
  let n = 0;
  for (let c = text.charCodeAt(i); i < end && c >= 48 && c <= 57; c = text.charCodeAt(++i)) {
    n = n * 10 + (c - 48);
  }
  const digits = i - digitsFrom;
  if (digits === 0 || digits > 15 || n > MAX_SAFE_KIB || i + 3 !== end) return -1;
  if (text.charCodeAt(i) !== 32 || text.charCodeAt(i + 1) !== 107 || text.charCodeAt(i + 2) !== 66) return -1;
  return n * 1024;
}

/**
 * Reads "  1234 kB" (or "kb", or a bare number) in text[from, end) as bytes, as smaps prints it.
 * Hand-rolled rather than split/regex: a process with 50,000 mappings has over a million lines.
 */
export function sizeAt(text: string, from: number, end: number, path: string, lineNo: number): number {
  const fast = kibAt(text, from, end);
  if (fast >= 0) return fast;
  let i = from;
  while (i < end && isBlank(text.charCodeAt(i))) i++;
  let n = 0;
  const digitsFrom = i;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  if (i === digitsFrom) {
    throw new ProcParseError(`expected a size, found "${text.slice(from, end).trim()}"`, path, lineNo);
  }
  if (i - digitsFrom > 15) n = parseSafeUint(text.slice(digitsFrom, i), path, lineNo);
  const unit = text.slice(i, end).trim();
  if (unit === 'kB' || unit === 'kb' || unit === 'KB') {
    // A safe count of kB can still overflow 2^53 once in bytes; rounding it would be silent.
    if (n > MAX_SAFE_KIB)
      throw new ProcParseError(`size "${text.slice(digitsFrom, i)} kB" is too large`, path, lineNo);
    return n * 1024;
  }
  if (unit === '') return n;
  throw new ProcParseError(`unknown unit "${unit}"`, path, lineNo);
}

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

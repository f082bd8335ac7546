// Input from files someone else may have made (a runtime channel, a snapshot given to `diff`),
// read and parsed within bounds: a file can be sparse, a device (/dev/zero) or a pipe that never
// ends, so reading stops one byte past the limit; and V8's JSON.parse recurses, so 100,000 nested
// brackets overflow the stack: the nesting is counted first, without recursion.
import { fstatSync, readSync } from 'node:fs';

export const MiB = 1024 * 1024;

/** The nesting a document of ours can have, with room to spare (a snapshot has 5 levels). */
const MAX_JSON_DEPTH = 64;

export interface BoundedRead {
  bytes: Buffer;
  /** False when the input went on past `limit` bytes (then `bytes` holds limit + 1 of them). */
  complete: boolean;
}

/** Reads fd from its current offset to its end, but never more than limit + 1 bytes. */
export function readAtMost(fd: number, limit: number): BoundedRead {
  const chunks: Buffer[] = [];
  let total = 0;
  while (total <= limit) {
    const chunk = Buffer.allocUnsafe(Math.min(MiB, limit + 1 - total));
    const got = readSync(fd, chunk, 0, chunk.length, null);
    if (got === 0) return { bytes: Buffer.concat(chunks, total), complete: true };
    chunks.push(got === chunk.length ? chunk : chunk.subarray(0, got));
    total += got;
  }
  return { bytes: Buffer.concat(chunks, total), complete: false };
}

/**
 * All of fd, or null when it holds more than `limit` bytes: a regular file is judged by its size
 * unread (a sparse file can claim gigabytes at no cost), anything else (a device, a pipe) is read
 * one byte past the limit at most.
 */
export function readBounded(fd: number, limit: number): Buffer | null {
  if (fstatSync(fd).size > limit) return null;
  const read = readAtMost(fd, limit);
  return read.complete ? read.bytes : null;
}

/** "64 MiB": limits are named in messages in the unit they were chosen in. */
export const formatLimit = (bytes: number) =>
  bytes % MiB === 0 ? `${bytes / MiB} MiB` : `${Math.round(bytes / 1024)} KiB`;

/**
 * The deepest nesting of arrays and objects in JSON text, counted without recursion and
 * stopping at maxDepth + 1: brackets inside strings do not count.
 */
export function jsonDepth(text: string, maxDepth = MAX_JSON_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash: the next character is escaped, even a quote
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > maxDepth) return deepest;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return deepest;
}

/** Valid JSON, perhaps, but nested deeper than any document of ours. */
export class JsonDepthError extends SyntaxError {
  override name = 'JsonDepthError';
}

/**
 * JSON.parse for hostile text. Throws a SyntaxError, never a RangeError: text nested deeper
 * than maxDepth is refused before parsing (JsonDepthError).
 */
export function parseBoundedJson(text: string, maxDepth = MAX_JSON_DEPTH): unknown {
  if (jsonDepth(text, maxDepth) > maxDepth)
    throw new JsonDepthError(`it nests arrays and objects more than ${maxDepth} levels deep`);
  return JSON.parse(text);
}

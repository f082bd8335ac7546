// The root that every reader reads from: "/" on the live machine, a fixture folder in tests.
// Reads are synchronous on purpose: /proc files are generated in memory by the kernel, so an
// async round trip through the thread pool costs more than the read itself.
import { closeSync, openSync, readdirSync, readlinkSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { toReadError } from './errors.js';

export interface ProcFs {
  /** The folder that holds proc/ and sys/ ("/" for the live machine). */
  readonly root: string;
  /** Absolute path of a file below the root, e.g. path('proc', '42', 'status'). */
  path(...parts: string[]): string;
  /**
   * Reads a whole file as text. `pid`, when given, turns ENOENT/ESRCH into E_NO_PROCESS
   * ("process N exited"); without it ENOENT is E_UNSUPPORTED (the kernel lacks the file).
   */
  readText(relPath: string, pid?: number): string;
  /** Lists a directory below the root. */
  list(relPath: string): string[];
  /** Reads a symlink below the root (for /proc/PID/exe and the like). */
  readLink(relPath: string, pid?: number): string;
}

// One buffer reused for every read. /proc files report size 0, so readFileSync cannot size its
// buffer and reads in small chunks; smaps of a big process runs to megabytes, and growing one
// shared buffer (kept between reads) is measurably cheaper over a full scan.
let scratch = Buffer.allocUnsafe(1 << 16);

function readWhole(path: string): string {
  const fd = openSync(path, 'r');
  try {
    let used = 0;
    for (;;) {
      if (used === scratch.length) {
        const bigger = Buffer.allocUnsafe(scratch.length * 2);
        scratch.copy(bigger, 0, 0, used);
        scratch = bigger;
      }
      const n = readSync(fd, scratch, used, scratch.length - used, null);
      if (n === 0) break;
      used += n;
    }
    return scratch.toString('utf8', 0, used);
  } finally {
    closeSync(fd);
  }
}

export function createProcFs(root = '/'): ProcFs {
  return {
    root,
    path: (...parts) => join(root, ...parts),
    readText(relPath, pid) {
      const full = join(root, relPath);
      try {
        return readWhole(full);
      } catch (err) {
        throw toReadError(err, full, pid);
      }
    },
    list(relPath) {
      const full = join(root, relPath);
      try {
        return readdirSync(full);
      } catch (err) {
        throw toReadError(err, full);
      }
    },
    readLink(relPath, pid) {
      const full = join(root, relPath);
      try {
        return readlinkSync(full);
      } catch (err) {
        throw toReadError(err, full, pid);
      }
    },
  };
}

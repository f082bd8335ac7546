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
  /**
   * Opens a file and keeps it open, so it can be read again later. A /proc/PID file stays bound
   * to the task it was opened for: once that task exits, reading the handle fails even if the
   * PID was reused. Re-reading it after other files is how a reader proves they all came from
   * the same process.
   */
  openPinned(relPath: string, pid: number): PinnedFile;
}

export interface PinnedFile {
  /** Reads the whole file again from the start; throws E_NO_PROCESS once the task is gone. */
  read(): string;
  close(): void;
}

// One buffer reused for every read. /proc files report size 0, so readFileSync cannot size its
// buffer and reads in small chunks; smaps of a big process runs to megabytes, and growing one
// shared buffer (kept between reads) is measurably cheaper over a full scan.
let scratch = Buffer.allocUnsafe(1 << 16);

function readFd(fd: number, fromStart: boolean): string {
  let used = 0;
  for (;;) {
    if (used === scratch.length) {
      const bigger = Buffer.allocUnsafe(scratch.length * 2);
      scratch.copy(bigger, 0, 0, used);
      scratch = bigger;
    }
    // An explicit position re-reads a pinned file from its start; seq_file honours it.
    const n = readSync(fd, scratch, used, scratch.length - used, fromStart ? used : null);
    if (n === 0) break;
    used += n;
  }
  return scratch.toString('utf8', 0, used);
}

function readWhole(path: string): string {
  const fd = openSync(path, 'r');
  try {
    return readFd(fd, false);
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
    openPinned(relPath, pid) {
      const full = join(root, relPath);
      let fd: number;
      try {
        fd = openSync(full, 'r');
      } catch (err) {
        throw toReadError(err, full, pid);
      }
      return {
        read() {
          try {
            const text = readFd(fd, true);
            // A task that has been reaped reads as empty rather than failing on some kernels.
            if (text === '') throw Object.assign(new Error('empty read'), { code: 'ESRCH' });
            return text;
          } catch (err) {
            throw toReadError(err, full, pid);
          }
        },
        close: () => closeSync(fd),
      };
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

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
   * the same process. For one-record files (stat): a read that does not fill the buffer is
   * taken as the whole file (see readFd).
   */
  openPinned(relPath: string, pid: number): PinnedFile;
}

export interface PinnedFile {
  /** Reads the whole file again from the start; throws E_NO_PROCESS once the task is gone. */
  read(): string;
  close(): void;
}

// Buffers reused for every read. /proc files report size 0, so readFileSync cannot size its
// buffer. Nearly every file fits in one read of the small buffer; a bigger one (smaps of a large
// process runs to tens of MB) is read through the 1 MiB one, decoded a buffer at a time and
// joined once. Doubling one buffer instead cost a copy per doubling and page faults on up to
// 64 MiB, kept for good; and 1 MiB pieces go straight to V8's large-object space, where smaller
// ones would be copied by every young-generation GC until the join.
const SMALL = 1 << 16;
const BIG = 1 << 20;
const small = Buffer.allocUnsafe(SMALL);
let big: Buffer | null = null;

/**
 * Reads fd to its end. `fromStart`: from offset 0 (a pinned file read again). `shortReadEnds`:
 * a read that does not fill the buffer ends the file, saving the read that would return 0; true
 * for one-record files such as /proc/PID/stat, which the kernel prints whole into any buffer
 * large enough, and for regular files, but not for smaps and the like, which it may print a
 * record or a page at a time.
 */
function readFd(fd: number, fromStart: boolean, shortReadEnds = false): string {
  let buf: Buffer = small;
  let pieces: string[] | null = null;
  let position = 0;
  let used = 0;
  for (;;) {
    if (used === buf.length) {
      if (buf === small) {
        big ??= Buffer.allocUnsafe(BIG);
        buf = big;
        small.copy(buf, 0, 0, used);
      } else {
        // Cut after the last newline: no UTF-8 sequence spans one, so decoding in pieces gives
        // the same text as decoding the whole.
        const cut = buf.lastIndexOf(10, used - 1) + 1;
        if (cut === 0) {
          // A line longer than 1 MiB (never seen in /proc): grow, just for this read.
          const bigger = Buffer.allocUnsafe(buf.length * 2);
          buf.copy(bigger, 0, 0, used);
          buf = bigger;
        } else {
          pieces ??= [];
          pieces.push(buf.toString('utf8', 0, cut));
          used = buf.copy(buf, 0, cut, used);
        }
      }
    }
    // An explicit position re-reads a pinned file from its start; seq_file honours it.
    const n = readSync(fd, buf, used, buf.length - used, fromStart ? position : null);
    if (n === 0) break;
    const short = n < buf.length - used;
    used += n;
    position += n;
    if (short && shortReadEnds) break;
  }
  const last = buf.toString('utf8', 0, used);
  if (pieces === null) return last;
  pieces.push(last);
  return pieces.join('');
}

function readWhole(path: string): string {
  const fd = openSync(path, 'r');
  try {
    return readFd(fd, false);
  } finally {
    closeSync(fd);
  }
}

/**
 * Paths below `root`: a scan builds several per process, and path.join cost more than the
 * reads' own parsing. A plain relative path ("proc/42/status") is appended to the normalised
 * root; anything else (".", "..", "//", a leading or trailing "/") goes through join.
 */
function pathsBelow(root: string): (relPath: string) => string {
  // join(root, "x") is the normalised root with its separator, then "x".
  const prefix = join(root, 'x').slice(0, -1);
  return (relPath) =>
    relPath === '' ||
    relPath.charCodeAt(0) === 46 /* . */ ||
    relPath.charCodeAt(0) === 47 /* / */ ||
    relPath.charCodeAt(relPath.length - 1) === 47 ||
    relPath.includes('/.') ||
    relPath.includes('//')
      ? join(root, relPath)
      : prefix + relPath;
}

export function createProcFs(root = '/'): ProcFs {
  const below = pathsBelow(root);
  return {
    root,
    path: (...parts) => (parts.length === 1 ? below(parts[0] as string) : join(root, ...parts)),
    readText(relPath, pid) {
      const full = below(relPath);
      try {
        return readWhole(full);
      } catch (err) {
        throw toReadError(err, full, pid);
      }
    },
    list(relPath) {
      const full = below(relPath);
      try {
        return readdirSync(full);
      } catch (err) {
        throw toReadError(err, full);
      }
    },
    openPinned(relPath, pid) {
      const full = below(relPath);
      let fd: number;
      try {
        fd = openSync(full, 'r');
      } catch (err) {
        throw toReadError(err, full, pid);
      }
      return {
        read() {
          try {
            const text = readFd(fd, true, true);
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
      const full = below(relPath);
      try {
        return readlinkSync(full);
      } catch (err) {
        throw toReadError(err, full, pid);
      }
    },
  };
}

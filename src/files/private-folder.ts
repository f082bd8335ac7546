// A folder trusted for one user (the runtime channel's), opened once and used only through that
// open descriptor. Checking a path and then using the same path is a race: between the two, its
// owner can swap the folder for a symbolic link (renameat2 RENAME_EXCHANGE in a loop), and root
// would then create or read files wherever the link points. So the folder is opened with
// O_NOFOLLOW, the check is made on what was opened (fstat), and each file inside is reached as
// /proc/self/fd/N/NAME, which the kernel resolves through the open descriptor, not the path:
// Node has no openat(), and this is the same thing. Files are opened with O_NOFOLLOW (a planted
// link is refused), O_NONBLOCK (a planted FIFO cannot hang the reader) and checked by fstat too.
import { closeSync, constants, fstatSync, openSync, readdirSync, type Stats, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { formatLimit, readBounded } from './bounded-input.js';
import { statsProblem } from './private-dir.js';
import { createNewFile } from './private-file.js';

/** Why this folder or file cannot be trusted for `uid` (its own, closed to everyone else). */
function untrusted(st: Stats, path: string, uid: number, kind: 'dir' | 'file'): string | null {
  const problem = statsProblem(st, kind, { uid, closed: true });
  return problem === null ? null : `"${path}": ${problem}`;
}

/** A folder or file that failed the check: the message says why, in one line. */
export class UntrustedError extends Error {
  override name = 'UntrustedError';
}

function refuseLinks(err: unknown, path: string, what: string): never {
  const code = (err as NodeJS.ErrnoException).code;
  // O_NOFOLLOW on a link: ELOOP; with O_DIRECTORY, ENOTDIR for a link or any non-folder.
  if (code === 'ELOOP' || code === 'ENOTDIR')
    throw new UntrustedError(`"${path}" is not a ${what} (a symbolic link is never followed)`);
  throw err;
}

export interface PrivateFolder {
  readonly path: string;
  /** The folder itself through its descriptor (/proc/self/fd/N), e.g. for fs.watch. */
  readonly at: string;
  /** The path of an entry, resolved through the open folder whatever its path now points to. */
  entry(name: string): string;
  /** The entries' names. */
  list(): string[];
  /** Creates a new file (O_EXCL: never one that exists, nor through a link) and returns its fd. */
  create(name: string, mode?: number): number;
  /** A regular file private to the folder's user, at most maxBytes long; throws UntrustedError. */
  readPrivate(name: string, maxBytes: number): Buffer;
  /** Removes an entry; false when it was already gone. */
  remove(name: string): boolean;
  close(): void;
}

/**
 * Opens `path` as a folder of user `uid` closed to everyone else, or throws UntrustedError
 * saying why not (a missing folder throws the ENOENT error itself).
 */
export function openPrivateFolder(path: string, uid: number): PrivateFolder {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (err) {
    refuseLinks(err, path, 'folder');
  }
  try {
    const why = untrusted(fstatSync(fd), path, uid, 'dir');
    if (why) throw new UntrustedError(why);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  const at = `/proc/self/fd/${fd}`;
  let open = true;
  // Once closed, the number may be another file's: nothing may be reached through it.
  const live = () => {
    if (!open) throw new Error(`"${path}" was closed`);
    return at;
  };
  const entry = (name: string) => {
    if (name.includes('/') || name === '.' || name === '..' || name === '')
      throw new Error(`"${name}" is not a file name`);
    return `${live()}/${name}`;
  };
  return {
    path,
    at,
    entry,
    list: () => readdirSync(live()),
    create(name, mode = 0o600) {
      return createNewFile(entry(name), mode);
    },
    readPrivate(name, maxBytes) {
      const shown = join(path, name);
      let file: number;
      try {
        file = openSync(entry(name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      } catch (err) {
        refuseLinks(err, shown, 'regular file');
      }
      try {
        const why = untrusted(fstatSync(file), shown, uid, 'file');
        if (why) throw new UntrustedError(why);
        const bytes = readBounded(file, maxBytes);
        if (bytes === null) {
          throw new UntrustedError(
            `"${shown}" is larger than ${formatLimit(maxBytes)}, the most it may hold`,
          );
        }
        return bytes;
      } finally {
        closeSync(file);
      }
    },
    remove(name) {
      try {
        unlinkSync(entry(name));
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw err;
      }
    },
    close() {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}

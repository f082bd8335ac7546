// Writing a file as root in a folder that other users may write to (/tmp, a shared project folder)
// is how a planted symlink or a device turns a harmless command into "overwrite /etc/shadow". Every
// file memlens writes goes through here: the data is written to a new file under an unpredictable
// name, created with O_CREAT|O_EXCL|O_NOFOLLOW (so nothing planted can be opened in its place),
// flushed, then renamed over the target, which replaces the directory entry and never writes
// through whatever the entry pointed to.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, lstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { walkFolders } from './private-dir.js';

/** A file memlens was asked to write cannot be: the message says why, for the user. */
export class FileWriteError extends Error {
  override name = 'FileWriteError';
}

const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Why `file` may not be written over, or null: a target that exists must be a regular file, since
 * writing "over" /dev/null, a FIFO or a symlink would either replace a device with a file or follow
 * a link someone else planted.
 */
export function targetProblem(file: string): string | null {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(file);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? null : reason(err);
  }
  if (st.isFile()) return null;
  if (st.isSymbolicLink()) return 'it is a symbolic link';
  if (st.isDirectory()) return 'it is a folder';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'it is a device, not a regular file';
  return 'it is not a regular file';
}

/**
 * Creates a new file that did not exist, never following a symlink, readable by its owner only
 * (the figures memlens writes say which processes ran and how big they were). Returns its fd.
 */
export function createNewFile(path: string, mode = 0o600): number {
  return openSync(path, CREATE_NEW, mode);
}

/**
 * Writes `data` to `file` atomically and safely: a crash or a full disk leaves the old file (or
 * none), never half of one, and nothing another user planted is written through. The new file is
 * mode 0600 whatever the old one was.
 */
export function writeFilePrivately(named: string, data: string | Uint8Array): void {
  // The folder as walked, links resolved: one that another user chose (a link of his on the way)
  // or could swap for a link before the rename (a folder of his on the way) is refused.
  const walked = walkFolders(dirname(resolve(named)), true);
  if ('problem' in walked) {
    const why = walked.missing
      ? 'its folder does not exist'
      : `${walked.problem}; name a file in a folder only you or root can change`;
    throw new FileWriteError(`cannot write "${named}": ${why}`);
  }
  const file = join(walked.real, basename(named));
  const problem = targetProblem(file);
  if (problem !== null) throw new FileWriteError(`cannot write "${named}": ${problem}; name a regular file`);
  let tmp = '';
  let fd: number | null = null;
  try {
    // 16 random hex characters: a name nobody can plant in advance. EEXIST would need a collision.
    tmp = join(dirname(file), `.${basename(file)}.${randomBytes(8).toString('hex')}.tmp`);
    fd = createNewFile(tmp);
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, file);
  } catch (err) {
    if (fd !== null) closeSync(fd);
    if (tmp) rmSync(tmp, { force: true });
    throw new FileWriteError(`cannot write "${named}": ${reason(err)}`);
  }
}

/** The errno of a failed write as a user reads it. */
export function reason(err: unknown): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'its folder does not exist';
    case 'ENOTDIR':
      return 'a part of its path is not a folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a folder';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ELOOP':
      return 'it is a symbolic link';
    default:
      return (err as Error)?.message ?? String(err);
  }
}

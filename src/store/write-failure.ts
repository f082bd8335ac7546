// What a failed write to the history was, in the few kinds an operator can act on, from SQLite's
// result code (better-sqlite3's SqliteError.code: "SQLITE_FULL", "SQLITE_BUSY_SNAPSHOT", ...).
import { randomBytes } from 'node:crypto';
import { closeSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createNewFile } from '../files/private-file.js';

export type WriteFailureKind = 'full' | 'busy' | 'readonly' | 'io' | 'other';

export interface WriteFailure {
  kind: WriteFailureKind;
  /** SQLite's own words, e.g. "database or disk is full". */
  message: string;
}

/**
 * Whether the file system holding `path` refuses writes (EROFS). Creating a file there says so
 * where access() does not: ext4 turned read-only after errors keeps its mount flags "rw". A new
 * probe file, never the database itself: closing any descriptor of the database would drop the
 * POSIX locks SQLite holds on it in this process.
 */
function onReadOnlyFs(path: string): boolean {
  const probe = join(dirname(path), `.memlens-probe-${randomBytes(8).toString('hex')}`);
  try {
    closeSync(createNewFile(probe));
    unlinkSync(probe);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EROFS';
  }
}

/**
 * The kind of `err`. SQLite reports a write refused by a file system gone read-only under it as
 * an I/O error (SQLITE_IOERR_WRITE): with `path`, such an error on a read-only file system is
 * called read-only, which says what to do.
 */
export function classifyWriteFailure(err: unknown, path?: string): WriteFailure {
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  const message = err instanceof Error ? err.message : String(err);
  const kind: WriteFailureKind =
    code === 'SQLITE_FULL'
      ? 'full'
      : code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')
        ? 'busy'
        : code.startsWith('SQLITE_READONLY')
          ? 'readonly'
          : code.startsWith('SQLITE_IOERR')
            ? 'io'
            : 'other';
  if ((kind === 'io' || kind === 'other') && path !== undefined && onReadOnlyFs(path))
    return { kind: 'readonly', message };
  return { kind, message };
}

/** What the kind means and what to do about it, for a log line about `path`. */
export function describeWriteFailure(kind: WriteFailureKind, path: string): string {
  switch (kind) {
    case 'full':
      return `the disk is full: free space on the file system that holds ${path}`;
    case 'busy':
      return `another program holds the database's write lock: stop it (is a second memlens serve using ${path}?)`;
    case 'readonly':
      return `the file or its file system is read-only: make ${path} and its folder writable (a file system remounted read-only after errors needs checking: dmesg)`;
    case 'io':
      return `an I/O error: check the disk that holds ${path} (dmesg)`;
    case 'other':
      return `check ${path} (is it on a healthy local disk?)`;
  }
}

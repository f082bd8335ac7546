// A folder memlens keeps things in (the demo helper's cache, the history's state folder) is only
// safe to use when no other user could have put something in it or swapped it: it must be ours,
// writable by nobody else, and every folder above it must be one that only we or root can change
// (or a sticky one such as /tmp, where others cannot rename what is ours). The rule is the one
// OpenSSH applies to ~/.ssh. Run as root, "ours" means root's.
import { lstatSync, mkdirSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';

const GROUP_OR_OTHER_WRITE = 0o022;
const STICKY = 0o1000;

function me(): number {
  return process.geteuid?.() ?? process.getuid?.() ?? -1;
}

/**
 * Why `path` may not be trusted as a private folder of this user, or null if it may. With
 * `rootMayOwn`, a folder of root's (that only root can write to) is trusted too: a folder the user
 * named, such as /var/lib/memlens for a service.
 */
export function privateDirProblem(path: string, rootMayOwn = false): string | null {
  const uid = me();
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(path);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (err as Error).message;
  }
  if (st.isSymbolicLink()) return 'it is a symbolic link';
  if (!st.isDirectory()) return 'it is not a folder';
  if (st.uid !== uid && !(rootMayOwn && st.uid === 0))
    return `it belongs to uid ${st.uid}, not to uid ${uid}`;
  if (st.mode & GROUP_OR_OTHER_WRITE) return 'other users can write to it';
  // The folders above: resolved once (a link there is the owner's choice, e.g. /tmp -> /var/tmp),
  // then each must be ours or root's, and not writable by others unless sticky.
  let above: string;
  try {
    above = realpathSync(dirname(resolve(path)));
  } catch (err) {
    return (err as Error).message;
  }
  for (let dir = above; ; dir = dirname(dir)) {
    const up = lstatSync(dir);
    if (up.uid !== uid && up.uid !== 0) return `the folder above it, ${dir}, belongs to uid ${up.uid}`;
    if (up.mode & GROUP_OR_OTHER_WRITE && !(up.mode & STICKY)) {
      return `other users can write to the folder above it, ${dir}`;
    }
    if (dir === '/') return null;
  }
}

/** A folder memlens may not use: the message names it, says why and what to do. */
export class UntrustedDirError extends Error {
  override name = 'UntrustedDirError';
}

/**
 * Makes `path` (and any missing folders above it) with mode 0700 and checks that it can be
 * trusted; throws UntrustedDirError when it cannot. `what` names the folder for the user.
 */
export function ensurePrivateDir(path: string, what: string): void {
  if (!isAbsolute(path)) throw new UntrustedDirError(`${what} "${path}" is not an absolute path`);
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new UntrustedDirError(`cannot create ${what} "${path}": ${(err as Error).message}`);
  }
  const problem = privateDirProblem(path);
  if (problem !== null) {
    throw new UntrustedDirError(
      `refusing to use ${what} "${path}": ${problem}; remove it, or make it yours with mode 0700`,
    );
  }
}

/** Why the file at `path` may not be trusted as one of ours that only we could have written. */
export function privateFileProblem(path: string): string | null {
  const uid = me();
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return 'it is a symbolic link';
  if (!st.isFile()) return 'it is not a regular file';
  if (st.uid !== uid) return `it belongs to uid ${st.uid}, not to uid ${uid}`;
  if (st.mode & GROUP_OR_OTHER_WRITE) return 'other users can write to it';
  return null;
}

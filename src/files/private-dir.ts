// A folder memlens keeps things in (the demo helper's cache, the history's state folder) is only
// safe to use when no other user could have put something in it or swapped it: it must be ours,
// writable by nobody else, and every folder above it must be one that only we or root can change
// (or a sticky one such as /tmp, where others cannot rename what is ours). The rule is the one
// OpenSSH applies to ~/.ssh. Run as root, "ours" means root's.
import { lstatSync, mkdirSync, readlinkSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

const GROUP_OR_OTHER_WRITE = 0o022;
const STICKY = 0o1000;

function me(): number {
  return process.geteuid?.() ?? process.getuid?.() ?? -1;
}

/** Who may own a folder or file, and what others may not do to it. */
export interface TrustRule {
  uid: number;
  /** A folder or file of root's (that only root can write to) is trusted too. */
  rootMayOwn?: boolean;
  /** Closed to everyone else (no group/other bits at all), not only unwritable by them. */
  closed?: boolean;
}

/**
 * Why what `st` describes (lstat or fstat) may not be trusted as a folder or regular file under
 * `rule`, or null if it may: the one check behind every folder and file memlens trusts.
 */
export function statsProblem(st: Stats, kind: 'dir' | 'file', rule: TrustRule): string | null {
  if (kind === 'dir' ? !st.isDirectory() : !st.isFile()) {
    if (st.isSymbolicLink()) return 'it is a symbolic link';
    return `it is not a ${kind === 'dir' ? 'folder' : 'regular file'}`;
  }
  if (st.uid !== rule.uid && !(rule.rootMayOwn && st.uid === 0))
    return `it belongs to uid ${st.uid}, not ${rule.uid}`;
  if (rule.closed && st.mode & 0o077)
    return `it is open to other users (mode ${(st.mode & 0o777).toString(8)})`;
  if (st.mode & GROUP_OR_OTHER_WRITE) return 'other users can write to it';
  return null;
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
  const problem = statsProblem(st, 'dir', { uid, rootMayOwn });
  if (problem !== null) return problem;
  const above = walkFolders(dirname(resolve(path)), false);
  return 'problem' in above ? above.problem : null;
}

/** Where a path leads, or why it may not be followed. */
export type Walked = { real: string } | { problem: string; missing: boolean };

const MAX_LINKS = 40; // the kernel's limit on links followed in one path

/**
 * The real path of folder `path`, walked one name at a time from /, if no other user could have
 * chosen where it leads or could change that later: every folder on the way is ours or root's
 * and not writable by others unless sticky (/tmp), and every link on the way is ours or root's.
 * A link is followed only after that check, so one another user planted (or swapped in: he can
 * only do that in a folder he may write) is refused, never followed. With `lastMayBeForeign`, the
 * last folder may be anyone's (root writing into ~bob): only what it holds is his, and he cannot
 * swap the folder itself unless it sits in a sticky folder, where it must then be ours too.
 */
export function walkFolders(path: string, lastMayBeForeign: boolean): Walked {
  const uid = me();
  const trusted = (st: Stats) => st.uid === uid || st.uid === 0;
  const todo = resolve(path).split('/');
  let real = '/';
  let links = 0;
  while (todo.length > 0) {
    const name = todo.shift() as string;
    if (name === '' || name === '.') continue;
    if (name === '..') {
      real = dirname(real);
      continue;
    }
    const next = join(real, name);
    const st = lstatSync(next, { throwIfNoEntry: false });
    if (st === undefined) return { problem: `${next} does not exist`, missing: true };
    if (st.isSymbolicLink()) {
      if (!trusted(st)) return { problem: `${next} is a symbolic link of uid ${st.uid}`, missing: false };
      if (++links > MAX_LINKS)
        return { problem: `${path} goes through too many symbolic links`, missing: false };
      const target = readlinkSync(next);
      if (target.startsWith('/')) real = '/';
      todo.unshift(...target.split('/'));
      continue;
    }
    if (!st.isDirectory()) return { problem: `${next} is not a folder`, missing: false };
    real = next;
    const last = !todo.some((n) => n !== '' && n !== '.');
    if (last && lastMayBeForeign && !(lstatSync(dirname(next)).mode & STICKY)) break;
    if (!trusted(st)) return { problem: `the folder ${next} belongs to uid ${st.uid}`, missing: false };
    if (st.mode & GROUP_OR_OTHER_WRITE && !(st.mode & STICKY)) {
      return { problem: `other users can write to the folder ${next}`, missing: false };
    }
  }
  const root = lstatSync('/');
  if (root.uid !== 0 || root.mode & GROUP_OR_OTHER_WRITE)
    return { problem: "/ is not root's alone", missing: false };
  return { real };
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
  const refuse = (problem: string) =>
    new UntrustedDirError(
      `refusing to use ${what} "${path}": ${problem}; remove it, or make it yours with mode 0700`,
    );
  // The folders above are walked before anything is made: mkdir would follow a link another user
  // planted on the way (a missing one is made below, then checked with the rest).
  const above = walkFolders(dirname(path), false);
  if ('problem' in above && !above.missing) throw refuse(above.problem);
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new UntrustedDirError(`cannot create ${what} "${path}": ${(err as Error).message}`);
  }
  const problem = privateDirProblem(path);
  if (problem !== null) throw refuse(problem);
}

/** Why the file at `path` may not be trusted as one of ours that only we could have written. */
export function privateFileProblem(path: string): string | null {
  return statsProblem(lstatSync(path), 'file', { uid: me() });
}

// Builds the demos' C programs with the machine's compiler ($CC, else cc) on first use. The helper
// goes into a cache folder keyed by a hash of its source, so later runs start at once. Node cannot
// fork(2), mmap with flags or madvise by itself: a real experiment needs a real native process.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePrivateDir, privateFileProblem, UntrustedDirError } from '../files/private-dir.js';
import { HELPER_SOURCE } from './sources.js';

/** The demo cannot run on this machine as it is (no compiler, not root, no cgroup): says why. */
export class LabUnavailableError extends Error {
  override name = 'LabUnavailableError';
}

/** Something the experiment needed went wrong (a compile error, the helper failing). */
export class LabError extends Error {
  override name = 'LabError';
}

/** $XDG_CACHE_HOME/memlens, else ~/.cache/memlens; a folder in the temp dir when there is no home. */
export function cacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  if (xdg?.startsWith('/')) return join(xdg, 'memlens');
  const home = homedir();
  if (home && home !== '/' && existsSync(home)) return join(home, '.cache', 'memlens');
  return join(tmpdir(), `memlens-cache-${process.getuid?.() ?? 'user'}`);
}

function compiler(): string {
  return process.env.CC || 'cc';
}

/**
 * Compiles C `source` (given on stdin) into `output`: `cc FLAGS -x c - LIBS`. It is written under
 * a private name and then renamed, so that two memlens runs building at once never see half a
 * file. Throws LabUnavailableError when there is no compiler, LabError when it fails.
 */
export function compile(
  demo: string,
  source: string,
  flags: string[],
  output: string,
  libs: string[] = [],
): void {
  const cc = compiler();
  const partial = `${output}.${process.pid}.tmp`;
  try {
    execFileSync(cc, [...flags, '-o', partial, '-x', 'c', '-', ...libs], {
      input: source,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    renameSync(partial, output);
  } catch (err) {
    rmSync(partial, { force: true });
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT' || e.code === 'EACCES') {
      throw new LabUnavailableError(
        `memlens demo ${demo} needs a C compiler (${cc}) to build its helper; install gcc (e.g. apt install gcc) or set CC`,
      );
    }
    const stderr = e.stderr?.toString() ?? '';
    const first = stderr.split('\n').find((l) => /error/i.test(l)) ?? (stderr.trim() || e.message);
    throw new LabError(`cannot build the helper of memlens demo ${demo} with ${cc}: ${first.trim()}`);
  }
}

/**
 * Makes (0700) and checks a folder the demo keeps its helper or files in. With no home the cache is
 * in the shared temp dir, where another user could have made it first and left a program there to
 * be run as root: a folder that is not ours alone is refused, never used.
 */
export function ensureLabDir(dir: string): void {
  try {
    ensurePrivateDir(dir, "the demo helper's cache folder");
  } catch (err) {
    if (!(err instanceof UntrustedDirError)) throw err;
    throw new LabUnavailableError(`${err.message} (or set XDG_CACHE_HOME to a folder of your own)`);
  }
}

/** The name of the folder the helper's current version is built in, under cacheDir(). */
export function helperDirName(): string {
  const hash = createHash('sha256')
    .update(HELPER_SOURCE)
    .update(`\0${compiler()}\0${process.arch}`)
    .digest('hex')
    .slice(0, 16);
  return `lab-${hash}`;
}

/**
 * The helper program's path, built on first use into cacheDir(), once per version of its source,
 * compiler and architecture. -ldl for dlopen: glibc before 2.34 needs it, later ones have a stub.
 * Only a program in a folder of ours alone, that we built, is ever run.
 */
export function helperBinary(demo: string): string {
  const root = cacheDir();
  ensureLabDir(root);
  // One folder per version, so that the program keeps its plain name (ps shows "memlens-lab").
  const dir = join(root, helperDirName());
  ensureLabDir(dir);
  const binary = join(dir, 'memlens-lab');
  if (existsSync(binary)) {
    const problem = privateFileProblem(binary);
    if (problem !== null) {
      throw new LabUnavailableError(`refusing to run the demo helper "${binary}": ${problem}; remove it`);
    }
    return binary;
  }
  compile(demo, HELPER_SOURCE, ['-O2', '-Wall', '-Wextra'], binary, ['-ldl']);
  return binary;
}

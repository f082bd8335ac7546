// Real child processes with known memory behaviour (test/children/*.c), built once and started by tests.
//
//   const child = await startChild<LayoutInfo>('layout', [dir]);
//   ... read /proc/${child.info.pid}/smaps ...
//   await child.stop();
//
// Each child prints one JSON line when its layout is ready and lives until its stdin closes or it gets
// SIGTERM. Because the pipe to its stdin closes when the test process dies, however it dies, a child
// never outlives the test that started it; children it forked die with it (PR_SET_PDEATHSIG).

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHILDREN_DIR = fileURLToPath(new URL('../children/', import.meta.url));

/** Addresses are hex strings ("0x7f..."): they pass 2^53. */
export type Hex = `0x${string}`;

/** The ready line of layout.c. The forked child (childPid) shares every region below. */
export interface LayoutInfo {
  pid: number;
  childPid: number;
  pageSize: number;
  reserveStart: Hex;
  reserveEnd: Hex;
  reserveBytes: number;
  touchedBytes: number;
  filePath: string;
  fileStart: Hex;
  fileEnd: Hex;
  fileBytes: number;
  smallMappings: number;
  smallMappingBytes: number;
  smallStart: Hex;
  smallEnd: Hex;
}

/** The ready line of manymaps.c: `mappings` one-page mappings, contiguous in [start, end). */
export interface ManyMapsInfo {
  pid: number;
  mappings: number;
  mappingBytes: number;
  start: Hex;
  end: Hex;
}

/** The ready line of churn.c. Its last line, after stop(), is {"forked": N}. */
export interface ChurnInfo {
  pid: number;
  maxLive: number;
}

/** The ready line of hostile.c (its strings come from HOSTILE_COMM, HOSTILE_MAP and its argv). */
export interface HostileInfo {
  pid: number;
}

/** The ready line of oddities.c: a MADV_FREE region, a deleted file mapping, a memfd mapping. */
export interface OdditiesInfo {
  pid: number;
  pageSize: number;
  lazyFreeStart: Hex;
  lazyFreeEnd: Hex;
  lazyFreeBytes: number;
  deletedPath: string;
  deletedStart: Hex;
  deletedEnd: Hex;
  deletedBytes: number;
  memfdPath: string;
  memfdStart: Hex;
  memfdEnd: Hex;
  memfdBytes: number;
}

export interface StartOptions {
  /** How long to wait for the ready line; default 10 s. */
  readyTimeoutMs?: number;
  cwd?: string;
  /** Added to the environment the child inherits. */
  env?: NodeJS.ProcessEnv;
  /** What the child sees as argv[0] (and /proc/PID/cmdline starts with); default its binary's path. */
  argv0?: string;
}

export interface RunningChild<T> {
  proc: ChildProcess;
  /** The parsed ready line. */
  info: T;
  /** Lines the child printed after its ready line (filled as they come). */
  lines: string[];
  /** Ends the child (stdin closed, then SIGTERM, then SIGKILL) and resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * Compiles test/children/<name>.c with `cc -O2` (or $CC) into a cache folder under os.tmpdir(), once per
 * version of the sources (the file and common.h), and returns the binary's path.
 */
export function buildChild(name: string): string {
  if (!/^[a-z0-9_-]+$/i.test(name))
    throw new Error(`Unknown child "${name}": expected a file name without .c`);
  const source = join(CHILDREN_DIR, `${name}.c`);
  if (!existsSync(source)) throw new Error(`Unknown child "${name}": ${source} does not exist`);
  const hash = createHash('sha256')
    .update(readFileSync(source))
    .update(readFileSync(join(CHILDREN_DIR, 'common.h')))
    .digest('hex');
  const cacheDir = join(tmpdir(), 'memlens-children');
  const binary = join(cacheDir, `${name}-${hash.slice(0, 12)}`);
  if (existsSync(binary)) return binary;
  mkdirSync(cacheDir, { recursive: true });
  // Test files run in parallel processes: build under a private name, then rename, which is atomic.
  const partial = `${binary}.${process.pid}.tmp`;
  try {
    execFileSync(process.env.CC || 'cc', ['-O2', '-Wall', '-Wextra', '-o', partial, source], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    rmSync(partial, { force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`Cannot compile test child "${name}" with cc: ${stderr || String(error)}`);
  }
  renameSync(partial, binary);
  return binary;
}

/** Live children, so that a test process that exits without stop() still takes them along. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const proc of running) proc.kill('SIGKILL');
  });
}

/**
 * Starts test/children/<name>.c (built by buildChild) and resolves when it has printed its ready JSON
 * line. Rejects, with the child's stderr in the message, if it exits or stays silent before that.
 */
export function startChild<T = Record<string, unknown>>(
  name: string,
  args: string[] = [],
  opts: StartOptions = {},
): Promise<RunningChild<T>> {
  const binary = buildChild(name);
  const timeoutMs = opts.readyTimeoutMs ?? 10_000;
  const proc = spawn(binary, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    argv0: opts.argv0,
  });
  running.add(proc);
  installExitHook();

  // A child that already exited makes stop()'s end() fail with EPIPE; that is no error here.
  proc.stdin?.on('error', () => {});
  let stderr = '';
  proc.stderr?.setEncoding('utf8');
  proc.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const closed = new Promise<void>((resolve) => {
    proc.on('close', () => {
      running.delete(proc);
      resolve();
    });
  });

  const stop = async (): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      await closed;
      return;
    }
    proc.stdin?.end();
    proc.kill('SIGTERM');
    const killer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await closed;
    clearTimeout(killer);
  };

  return new Promise<RunningChild<T>>((resolve, reject) => {
    const lines: string[] = [];
    let buffered = '';
    let ready = false;
    const fail = (why: string) => {
      if (ready) return;
      ready = true;
      clearTimeout(timer);
      proc.kill('SIGKILL');
      const tail = stderr.trim() ? `; its stderr: ${stderr.trim()}` : '; its stderr was empty';
      reject(new Error(`Test child "${name}" ${why}${tail}`));
    };
    const timer = setTimeout(() => fail(`printed no ready line within ${timeoutMs} ms`), timeoutMs);

    proc.stdout?.setEncoding('utf8');
    proc.stdout?.on('data', (chunk: string) => {
      buffered += chunk;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
        if (ready) {
          lines.push(line);
          continue;
        }
        let info: T;
        try {
          info = JSON.parse(line) as T;
        } catch {
          fail(`printed a ready line that is not JSON: "${line}"`);
          return;
        }
        ready = true;
        clearTimeout(timer);
        resolve({ proc, info, lines, stop });
      }
    });
    proc.on('error', (error) => fail(`could not start (${error.message})`));
    // 'close' rather than 'exit': it comes after stderr has drained, so the message carries the child's
    // own explanation.
    proc.on('close', (code, signal) => fail(`exited (${signal ?? `code ${code}`}) before its ready line`));
  });
}

/** Parses a hex address as printed by the children ("0x7f...") or as in /proc/PID/maps ("7f..."). */
export function hexToBigInt(hex: string): bigint {
  return BigInt(hex.startsWith('0x') ? hex : `0x${hex}`);
}

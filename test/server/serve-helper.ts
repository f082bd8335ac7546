// Runs the built `memlens serve` as a real process on a random loopback port, for the tests that
// go over a real socket. Every server started here is killed when the test process exits, so a
// failing test never leaves one behind; tests still stop theirs in `finally`.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../helpers/cli.js';

export interface RunningServe {
  proc: ChildProcess;
  /** From the first stdout line, "listening on URL". */
  url: string;
  stdout: string[];
  stderr(): string;
  /** Sends the signal and resolves with the exit code (or signal) once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

/** A temporary folder, removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `memlens-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Starts `memlens serve ARGS` and resolves once it printed "listening on ...". `wrap` runs it
 * through another command first (setpriv, to run it as another user).
 */
export async function startServe(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 20_000,
  wrap: string[] = [],
): Promise<RunningServe> {
  const [cmd, ...argv] = [...wrap, process.execPath, CLI, 'serve', ...args] as [string, ...string[]];
  const proc = spawn(cmd, argv, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MEMLENS_TOKEN: '', ...env },
  });
  running.add(proc);
  const exited = once(proc, 'exit').then(([code, signal]) => {
    running.delete(proc);
    return { code: code as number | null, signal: signal as NodeJS.Signals | null };
  });
  const stdout: string[] = [];
  let err = '';
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  let buffered = '';
  const first = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`memlens serve printed nothing in ${timeoutMs} ms; stderr: ${err}`)),
      timeoutMs,
    );
    proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
      buffered += d;
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        stdout.push(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf('\n');
      }
      if (stdout.length > 0) {
        clearTimeout(timer);
        resolve(stdout[0] as string);
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`memlens serve exited (${signal ?? code}) before listening; stderr: ${err}`));
    });
  });
  let line: string;
  try {
    line = await first;
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }
  const m = /^listening on (http:\/\/\S+)$/.exec(line);
  if (!m) {
    proc.kill('SIGKILL');
    throw new Error(`unexpected first line "${line}"`);
  }
  return {
    proc,
    url: m[1] as string,
    stdout,
    stderr: () => err,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const killer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      const r = await exited;
      clearTimeout(killer);
      return r;
    },
  };
}

/** A port nothing listens on now (for the Prometheus under test). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

// biome-ignore lint/suspicious/noExplicitAny: tests read the API's JSON field by field and assert on it
export async function getJson<T = any>(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: T }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: T;
  try {
    body = JSON.parse(text) as T;
  } catch {
    throw new Error(`${url}: ${res.status}, not JSON: ${text.slice(0, 200)}`);
  }
  return { status: res.status, body };
}

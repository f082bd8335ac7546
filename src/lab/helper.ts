// Drives one helper process (sources.ts): sends a command line, waits for its one-line JSON
// answer, and passes progress lines on. One command at a time, as the helper runs them.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { LabError } from './build.js';

export type Reply = Record<string, unknown>;
export type Progress = (done: number, total: number) => void;

/** The helper ended while a command was running (or before it could be sent). */
export class HelperExitedError extends LabError {
  override name = 'HelperExitedError';
  constructor(
    readonly pid: number,
    readonly code: number | null,
    readonly signal: NodeJS.Signals | null,
    stderr: string,
  ) {
    super(
      `the demo's helper (pid ${pid}) ended ${signal ? `by ${signal}` : `with exit code ${code}`}` +
        (stderr.trim() ? `: ${stderr.trim().split('\n').pop()}` : ''),
    );
  }
}

interface Pending {
  resolve: (reply: Reply) => void;
  reject: (err: Error) => void;
  progress: Progress | undefined;
  command: string;
}

async function waitUntilGone(pid: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (existsSync(`/proc/${pid}`) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
}

export class Helper {
  readonly pid: number;
  readonly pageSize: number;
  /** "glibc" or "other": the free demo's allocator lesson is glibc's. */
  readonly libc: string;
  /** Resolves when the process has exited, with how. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private pending: Pending | null = null;
  private stderr = '';
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  /** Processes it forked: killed with it, since they only die with it by PR_SET_PDEATHSIG. */
  private readonly descendants = new Set<number>();

  private constructor(
    private readonly proc: ChildProcess,
    hello: Reply,
  ) {
    this.pid = Number(hello.pid);
    this.pageSize = Number(hello.pageSize);
    this.libc = String(hello.libc);
    this.exited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null) => {
        this.exitInfo = { code, signal };
        const p = this.pending;
        this.pending = null;
        p?.reject(new HelperExitedError(this.pid, code, signal, this.stderr));
        resolve({ code, signal });
      };
      if (proc.exitCode !== null || proc.signalCode !== null) done(proc.exitCode, proc.signalCode);
      else proc.once('exit', done);
    });
  }

  /** Starts the helper binary and waits for its first line (its PID and page size). */
  static start(binary: string): Promise<Helper> {
    const proc = spawn(binary, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    // A helper that is gone makes writes fail with EPIPE: its exit is reported instead.
    proc.stdin?.on('error', () => {});
    let helper: Helper | null = null;
    let stderr = '';
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (chunk: string) => {
      stderr += chunk;
      if (helper) helper.stderr += chunk;
    });
    const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
    return new Promise((resolve, reject) => {
      const early = (code: number | null, signal: NodeJS.Signals | null) =>
        reject(new HelperExitedError(proc.pid ?? 0, code, signal, stderr));
      proc.once('error', (err) => reject(new LabError(`cannot start the demo's helper: ${err.message}`)));
      proc.once('exit', early);
      lines.on('line', (line) => {
        if (helper) return helper.onLine(line);
        proc.off('exit', early);
        try {
          helper = new Helper(proc, JSON.parse(line) as Reply);
          helper.stderr = stderr;
          resolve(helper);
        } catch {
          proc.kill('SIGKILL');
          reject(new LabError(`the demo's helper said "${line}" instead of its PID`));
        }
      });
    });
  }

  get alive(): boolean {
    return this.exitInfo === null;
  }

  /** Runs one command; resolves with its reply, rejects with LabError on {"ok":false}. */
  send(command: string, progress?: Progress): Promise<Reply> {
    if (this.pending) return Promise.reject(new LabError(`helper busy with "${this.pending.command}"`));
    if (this.exitInfo) {
      const { code, signal } = this.exitInfo;
      return Promise.reject(new HelperExitedError(this.pid, code, signal, this.stderr));
    }
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject, progress, command };
      this.proc.stdin?.write(`${command}\n`);
    });
  }

  /** Marks a process the helper forked, so that stop() takes it along. */
  adopt(pid: number): void {
    this.descendants.add(pid);
  }

  forget(pid: number): void {
    this.descendants.delete(pid);
  }

  /** Kills the helper and what it forked, and waits until they are gone. */
  async stop(): Promise<void> {
    for (const pid of this.descendants) killQuietly(pid);
    if (this.alive) {
      this.proc.stdin?.end();
      this.proc.kill('SIGKILL');
      await this.exited;
    }
    // The forked child is not ours to wait for: it is gone once /proc says so.
    for (const pid of this.descendants) await waitUntilGone(pid, 2000);
    this.descendants.clear();
  }

  /** The synchronous last resort, when memlens exits without running its cleanups. */
  killNow(): void {
    for (const pid of this.descendants) killQuietly(pid);
    if (this.alive) this.proc.kill('SIGKILL');
  }

  private onLine(line: string): void {
    let reply: Reply;
    try {
      reply = JSON.parse(line) as Reply;
    } catch {
      return;
    }
    const p = this.pending;
    if (!p) return;
    if (typeof reply.progress === 'number') {
      p.progress?.(reply.progress, Number(reply.total));
      return;
    }
    this.pending = null;
    if (reply.ok === true) p.resolve(reply);
    else p.reject(new LabError(`the demo's helper failed at "${p.command}": ${String(reply.error)}`));
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

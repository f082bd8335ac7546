// Starts a Node child from test/runtime/children/ (through tsx, like the tests) and collects its
// JSON lines. The child exits when its stdin closes, so it never outlives the test process.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CHILDREN = fileURLToPath(new URL('./children/', import.meta.url));

export interface NodeChild {
  proc: ChildProcess;
  lines: Record<string, unknown>[];
  /** Resolves with the first line that satisfies `match`, rejects after timeoutMs or on exit. */
  waitFor(
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs: number,
  ): Promise<Record<string, unknown>>;
  /** Closes stdin and resolves with the exit code once the child is gone. */
  stop(): Promise<number | null>;
  stderr(): string;
}

export interface StartNodeOptions {
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** Run through `sh -c '... exec node ...'`: e.g. to enter a cgroup before node starts. */
  shellPrefix?: string;
}

export function startNode(script: string, args: string[] = [], opts: StartNodeOptions = {}): NodeChild {
  const argv = [...(opts.nodeArgs ?? []), '--import', 'tsx', `${CHILDREN}${script}`, ...args];
  const env = { ...process.env, ...opts.env };
  const proc = opts.shellPrefix
    ? spawn('sh', ['-c', `${opts.shellPrefix}; exec "$0" "$@"`, process.execPath, ...argv], {
        cwd: ROOT,
        env,
      })
    : spawn(process.execPath, argv, { cwd: ROOT, env });
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let buffered = '';
  let err = '';
  proc.stderr?.on('data', (d) => {
    err += d;
  });
  proc.stdin?.on('error', () => {});
  proc.stdout?.setEncoding('utf8');
  proc.stdout?.on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        lines.push(JSON.parse(line));
      } catch {
        err += `(not JSON) ${line}\n`;
      }
    }
    for (const w of waiters) w();
  });
  const exited = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
  let gone = false;
  exited.then(() => {
    gone = true;
    for (const w of waiters) w();
  });
  process.on('exit', () => proc.kill('SIGKILL'));
  return {
    proc,
    lines,
    stderr: () => err,
    waitFor(match, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find(match);
          if (hit) return done(() => resolve(hit));
          if (gone) done(() => reject(new Error(`${script} exited first; stderr: ${err}`)));
        };
        const timer = setTimeout(
          () =>
            done(() => reject(new Error(`${script}: no such line within ${timeoutMs} ms; stderr: ${err}`))),
          timeoutMs,
        );
        const done = (f: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          f();
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      proc.stdin?.end();
      const killer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
  };
}

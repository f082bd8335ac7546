// Runs the built CLI (dist/, made by `npm run build`, which `npm test` does first) as a real
// process, optionally as an unprivileged user, and returns what it printed and its exit code.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Whether `setpriv` can drop to nobody here (we need root and util-linux's setpriv). */
export function canDropPrivileges(): string | null {
  if (process.getuid?.() !== 0) return 'not root, so the root/unprivileged comparison cannot be made';
  if (spawnSync('setpriv', ['--version']).status !== 0) return 'setpriv (util-linux) is not installed';
  return null;
}

function command(args: string[], asNobody: boolean): [string, string[]] {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
  const node = [process.execPath, CLI, ...args];
  return asNobody
    ? ['setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', ...node]]
    : [node[0] as string, node.slice(1)];
}

/** Runs memlens and waits for it (asynchronously, so children of the test keep running). */
export function runCli(args: string[], opts: { asNobody?: boolean } = {}): Promise<CliResult> {
  const [cmd, argv] = command(args, opts.asNobody === true);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs memlens with --json and parses its output, failing with stderr when it did not succeed. */
export async function runJson<T = unknown>(args: string[], opts: { asNobody?: boolean } = {}): Promise<T> {
  const r = await runCli([...args, '--json'], opts);
  if (r.code !== 0) throw new Error(`memlens ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

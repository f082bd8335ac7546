// A realistic population for the scan to read: groups of sleeping processes, a few Node processes
// with tens of MB touched, and layout children (64 MiB touched, a mapped file, 1000 mappings, a
// forked child sharing it all). Every member ends when its stdin closes, so none outlives the bench
// however the bench ends; stop() also kills them outright and waits.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { type RunningChild, startChild } from '../test/helpers/children.js';

export interface PopulationOptions {
  /** Sleeping processes, started in groups of 50 by a shell that kills its group when stdin closes. */
  sleepers: number;
  /** Node processes holding `nodeMiB` MiB each. */
  nodes: number;
  nodeMiB: number;
  /** layout children (each forks once, so two processes apiece). */
  layouts: number;
}

export interface Population {
  /** Processes this population added (shells, sleepers, nodes, layout parents and children). */
  added: number;
  stop(): Promise<void>;
}

const GROUP = 50;

function onExit(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve();
    else proc.once('exit', () => resolve());
  });
}

/** Resolves when proc prints a line "ready"; rejects on exit or after timeoutMs. */
function ready(proc: ChildProcess, what: string, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`${what} was not ready within ${timeoutMs} ms`)),
      timeoutMs,
    );
    proc.stdout?.setEncoding('utf8');
    proc.stdout?.on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('ready\n')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${signal ?? code}) before it was ready`));
    });
  });
}

// `kill 0` signals the shell's own process group: it is detached (its own session), so that is the
// shell and its sleepers and nothing of the bench's.
const sleeperScript = (n: number) =>
  `i=0; while [ $i -lt ${n} ]; do sleep 900 & i=$((i+1)); done; echo ready; read _; kill 0`;

const nodeScript = (mib: number) =>
  `const keep = []; for (let i = 0; i < ${mib}; i++) keep.push(Buffer.alloc(1 << 20, i & 255));` +
  `globalThis.keep = keep; process.stdout.write('ready\\n');` +
  `process.stdin.on('end', () => process.exit(0)); process.stdin.resume();`;

/** Processes on the machine right now (numeric entries of /proc). */
export function processCount(): number {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;
}

export async function startPopulation(opts: PopulationOptions): Promise<Population> {
  const groups: ChildProcess[] = [];
  const nodes: ChildProcess[] = [];
  const layouts: RunningChild<unknown>[] = [];
  let added = 0;

  const killAll = () => {
    for (const g of groups) {
      try {
        if (g.pid !== undefined) process.kill(-g.pid, 'SIGKILL');
      } catch {
        // The group already ended.
      }
    }
    for (const n of nodes) n.kill('SIGKILL');
  };
  // A last resort if the bench exits without stop(): children.ts does the same for its children.
  process.once('exit', killAll);

  const stop = async () => {
    for (const p of [...groups, ...nodes]) p.stdin?.end();
    killAll();
    await Promise.all([...groups.map(onExit), ...nodes.map(onExit), ...layouts.map((l) => l.stop())]);
    process.removeListener('exit', killAll);
  };

  try {
    const waits: Promise<void>[] = [];
    for (let left = opts.sleepers; left > 0; left -= GROUP) {
      const n = Math.min(GROUP, left);
      const sh = spawn('sh', ['-c', sleeperScript(n)], { detached: true, stdio: ['pipe', 'pipe', 'ignore'] });
      sh.stdin.on('error', () => {});
      groups.push(sh);
      waits.push(ready(sh, `a group of ${n} sleepers`));
      added += n + 1;
    }
    for (let i = 0; i < opts.nodes; i++) {
      const node = spawn(process.execPath, ['-e', nodeScript(opts.nodeMiB)], {
        stdio: ['pipe', 'pipe', 'ignore'],
      });
      node.stdin.on('error', () => {});
      nodes.push(node);
      waits.push(ready(node, 'a node process'));
      added += 1;
    }
    await Promise.all(waits);
    for (let i = 0; i < opts.layouts; i++) {
      layouts.push(await startChild('layout'));
      added += 2;
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { added, stop };
}

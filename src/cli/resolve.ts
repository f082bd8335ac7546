// Turning what the user typed (a PID or a name) into processes, with errors that say what to do.
import { listPids } from '../collect/scan.js';
import { readCmdline } from '../procfs/cmdline.js';
import { isNoProcess, ProcReadError } from '../procfs/errors.js';
import type { ProcFs } from '../procfs/fs.js';
import { readStatus } from '../procfs/status.js';
import { RuntimeError, UsageError } from './errors.js';
import { parsePid } from './options.js';

export interface Match {
  pid: number;
  name: string;
  command: string;
}

/** Checks a PID argument; throws a UsageError for anything that cannot be a PID. */
export function pidArgument(value: string): number {
  const pid = parsePid(value);
  if (pid === null || Number.isNaN(pid)) {
    throw new UsageError(`"${value}" is not a PID: PIDs are whole numbers from 1 to 4194304`);
  }
  return pid;
}

function basename(arg: string): string {
  return arg.slice(arg.lastIndexOf('/') + 1);
}

/**
 * Processes whose name (comm) or program (argv[0]'s basename) equals the text; when none do,
 * those where either contains it. memlens itself is never a match.
 */
export function findByName(fs: ProcFs, text: string): Match[] {
  const exact: Match[] = [];
  const partial: Match[] = [];
  for (const pid of listPids(fs)) {
    if (pid === process.pid) continue;
    try {
      const name = readStatus(fs, pid).name;
      const args = readCmdline(fs, pid);
      const program = args[0] ? basename(args[0]) : '';
      const match = { pid, name, command: args.join(' ') || `[${name}]` };
      if (name === text || program === text) exact.push(match);
      else if (name.includes(text) || program.includes(text)) partial.push(match);
    } catch (err) {
      if (isNoProcess(err) || err instanceof ProcReadError) continue;
      throw err;
    }
  }
  return exact.length > 0 ? exact : partial;
}

/** Resolves "1234" or "nginx" to PIDs. A name must match exactly one process unless `all`. */
export function resolveTarget(fs: ProcFs, target: string, all: boolean): number[] {
  if (/^-?\d+$/.test(target)) {
    const pid = pidArgument(target);
    try {
      fs.readText(`proc/${pid}/stat`, pid);
    } catch (err) {
      if (isNoProcess(err))
        throw new RuntimeError(`no process ${pid}: it does not exist (or already exited)`);
      throw err;
    }
    return [pid];
  }
  const matches = findByName(fs, target);
  if (matches.length === 0) {
    throw new RuntimeError(
      `no process is named "${target}": check the name with "memlens ps --name ${target}"`,
    );
  }
  if (matches.length > 1 && !all) {
    const shown = matches
      .slice(0, 8)
      .map((m) => `${m.pid} (${m.command.slice(0, 60)})`)
      .join(', ');
    const more = matches.length > 8 ? `, and ${matches.length - 8} more` : '';
    throw new UsageError(
      `${matches.length} processes match "${target}": ${shown}${more}. Name one by PID, or add --all`,
    );
  }
  return matches.map((m) => m.pid);
}

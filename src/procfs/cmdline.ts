// /proc/PID/cmdline: the arguments, each ending in a NUL byte. man 5 proc_pid_cmdline
//   node\0--max-old-space-size=4096\0server.js\0
// Empty for kernel threads and zombies. A process may rewrite its own argv (setproctitle), in
// which case it is one string with spaces and no NULs; we return what is there.
// Command lines can hold secrets: whatever leaves the machine goes through redaction first.
import type { ProcFs } from './fs.js';

/** Splits cmdline text into arguments ([] for kernel threads). */
export function parseCmdline(text: string): string[] {
  if (text === '') return [];
  const args = text.split('\0');
  if (args[args.length - 1] === '') args.pop();
  return args;
}

/** Reads /proc/PID/cmdline. */
export function readCmdline(fs: ProcFs, pid: number): string[] {
  return parseCmdline(fs.readText(`proc/${pid}/cmdline`, pid));
}

/** Reads /proc/PID/comm: the 15-character task name, without the trailing newline. */
export function readComm(fs: ProcFs, pid: number): string {
  return parseComm(fs.readText(`proc/${pid}/comm`, pid));
}

export function parseComm(text: string): string {
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

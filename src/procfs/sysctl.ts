// /proc/sys/vm: the kernel's memory policy knobs that decide when allocations fail and who dies.
// https://docs.kernel.org/admin-guide/sysctl/vm.html
//   overcommit_memory   0   (0 heuristic, 1 always, 2 never: commit limited to CommitLimit)
//   overcommit_ratio    50
//   panic_on_oom        0

import { ProcParseError, ProcReadError } from './errors.js';
import type { ProcFs } from './fs.js';

export interface VmSysctl {
  overcommitMemory: number | null;
  overcommitRatio: number | null;
  panicOnOom: number | null;
  oomKillAllocatingTask: number | null;
}

export function parseSysctlInt(text: string, path: string): number {
  const t = text.trim();
  if (!/^-?\d{1,12}$/.test(t)) throw new ProcParseError(`expected an integer, found "${t}"`, path, 1);
  return Number(t);
}

function readOne(fs: ProcFs, name: string): number | null {
  const rel = `proc/sys/vm/${name}`;
  try {
    return parseSysctlInt(fs.readText(rel), fs.path(rel));
  } catch (err) {
    // A captured tree or a locked-down container may not have it: unknown, not 0.
    if (err instanceof ProcReadError) return null;
    throw err;
  }
}

/** Reads the OOM-related knobs of /proc/sys/vm; each is null where it cannot be read. */
export function readVmSysctl(fs: ProcFs): VmSysctl {
  return {
    overcommitMemory: readOne(fs, 'overcommit_memory'),
    overcommitRatio: readOne(fs, 'overcommit_ratio'),
    panicOnOom: readOne(fs, 'panic_on_oom'),
    oomKillAllocatingTask: readOne(fs, 'oom_kill_allocating_task'),
  };
}

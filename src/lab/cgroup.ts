// A memory cgroup of the lab's own (root only), v1 or v2, whichever holds the memory controller:
// created for one demo, named after the memlens process, removed when the demo ends. Writing to
// cgroup files is the one write to the system memlens does, and only for its own cgroups.
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { posix } from 'node:path';
import { memoryCgroupByPath, memoryHierarchy } from '../collect/cgroups.js';
import type { MemoryCgroup } from '../procfs/cgroup_memory.js';
import { type CgroupMemory, readCgroupMemory } from '../procfs/cgroup_usage.js';
import { ProcReadError } from '../procfs/errors.js';
import type { ProcFs } from '../procfs/fs.js';
import { LabError, LabUnavailableError } from './build.js';
import type { Cleanups } from './cleanup.js';
import { DEMO_PREFIX, removeStaleCgroups } from './stale.js';

export interface LabCgroup {
  /** The cgroup path, as /proc/PID/cgroup and `memlens oom --cgroup` name it. */
  path: string;
  /** Its folder, absolute. */
  folder: string;
  version: 1 | 2;
  cgroup: MemoryCgroup;
  add(pid: number): void;
  /** Sets the memory limit (bytes); with `noSwap`, the limit covers swap too, so that it binds. */
  limit(bytes: number, noSwap: boolean): void;
  /** Writes the limit alone; false when the kernel refused (EBUSY: it could not reclaim enough). */
  tryLimit(bytes: number): boolean;
  read(): CgroupMemory;
}

/** Why the lab cannot create a memory cgroup here, or null when it can. */
export function cgroupUnavailable(fs: ProcFs, demo: string): string | null {
  if (process.getuid?.() !== 0)
    return `memlens demo ${demo} needs root to create a memory cgroup; run it with sudo`;
  let hierarchy: ReturnType<typeof memoryHierarchy>;
  try {
    hierarchy = memoryHierarchy(fs);
  } catch {
    hierarchy = null;
  }
  if (!hierarchy)
    return `memlens demo ${demo} needs the memory cgroup controller, and this machine has none mounted`;
  return null;
}

function writeFile(folder: string, file: string, value: string): void {
  writeFileSync(posix.join(folder, file), value);
}

async function removeFolder(folder: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      rmdirSync(folder);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      // EBUSY while the last task's exit is still being accounted.
      if (code !== 'EBUSY') throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  throw new LabError(`could not remove the demo's cgroup "${folder}": it still holds tasks`);
}

/** Creates the demo's cgroup at the top of the memory hierarchy and registers its removal. */
export function createLabCgroup(fs: ProcFs, cleanups: Cleanups, demo: string): LabCgroup {
  const why = cgroupUnavailable(fs, demo);
  if (why) throw new LabUnavailableError(why);
  const hierarchy = memoryHierarchy(fs);
  if (!hierarchy) throw new LabUnavailableError(`memlens demo ${demo} found no memory cgroup controller`);
  const mount = fs.path(hierarchy.mountDir);
  removeStaleCgroups(mount);
  const name = `${DEMO_PREFIX}${process.pid}-${demo}`;
  const folder = posix.join(mount, name);
  try {
    mkdirSync(folder);
  } catch (err) {
    throw new LabError(`cannot create the demo's cgroup "${folder}": ${(err as Error).message}`);
  }
  cleanups.add(
    `cgroup ${folder}`,
    () => removeFolder(folder),
    () => {
      try {
        rmdirSync(folder);
      } catch {
        // tasks may still be exiting
      }
    },
  );
  const limitFile = hierarchy.version === 1 ? 'memory.limit_in_bytes' : 'memory.max';
  if (!existsSync(posix.join(folder, limitFile))) {
    throw new LabUnavailableError(
      `memlens demo ${demo}: the memory controller is not enabled below "${mount}" (add +memory to its cgroup.subtree_control)`,
    );
  }
  let cgroup: MemoryCgroup;
  try {
    cgroup = memoryCgroupByPath(fs, hierarchy, `/${posix.join(hierarchy.mountDir, name)}`);
  } catch (err) {
    if (err instanceof ProcReadError) throw new LabError(`cannot read the demo's cgroup: ${err.message}`);
    throw err;
  }
  const tryLimit = (bytes: number): boolean => {
    try {
      writeFile(folder, limitFile, String(bytes));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EBUSY') return false;
      throw err;
    }
  };
  return {
    path: cgroup.path,
    folder,
    version: hierarchy.version,
    cgroup,
    add: (pid) => writeFile(folder, 'cgroup.procs', String(pid)),
    tryLimit,
    limit(bytes, noSwap) {
      if (!tryLimit(bytes)) throw new LabError(`the kernel refused the limit ${bytes} on "${folder}"`);
      if (!noSwap) return;
      // Without swap in the limit, a full cgroup would swap instead of reaching its OOM.
      const swapFile = hierarchy.version === 1 ? 'memory.memsw.limit_in_bytes' : 'memory.swap.max';
      if (existsSync(posix.join(folder, swapFile)))
        writeFile(folder, swapFile, hierarchy.version === 1 ? String(bytes) : '0');
      if (hierarchy.version === 1) {
        try {
          writeFile(folder, 'memory.swappiness', '0');
        } catch {
          // Refused where the cgroup shares its parent's setting; the memsw limit binds anyway.
        }
      }
    },
    read: () => readCgroupMemory(fs, cgroup),
  };
}

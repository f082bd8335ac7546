// Real memory cgroups for tests (root only). Each test cgroup lives under one parent named for
// this test process, and is removed afterwards even when the test fails: its processes are
// killed first, because a cgroup with tasks cannot be removed.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const V1_ROOT = '/sys/fs/cgroup/memory';

export interface TestCgroup {
  /** The cgroup path as /proc/PID/cgroup shows it, e.g. "/memlens-test-123/leak". */
  path: string;
  /** Its folder under /sys/fs/cgroup/memory. */
  dir: string;
  /** Moves a process into this cgroup. */
  add(pid: number): void;
  read(file: string): string;
  /** Kills what is left inside and removes the cgroup (and its children). */
  remove(): Promise<void>;
}

/** Why real memory cgroups cannot be used here, or null when they can (root + v1 memory). */
export function cgroupUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root to create memory cgroups';
  if (!existsSync(join(V1_ROOT, 'memory.limit_in_bytes')))
    return 'no cgroup v1 memory controller at /sys/fs/cgroup/memory';
  return null;
}

function pidsIn(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function removeTree(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    if (name.isDirectory()) await removeTree(join(dir, name.name));
  }
  for (let attempt = 0; attempt < 50; attempt++) {
    for (const pid of pidsIn(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`could not remove test cgroup ${dir}`);
}

/**
 * Creates a memory cgroup `name` below /memlens-test-<pid>, with a limit when given (bytes).
 * `parent` nests it in another test cgroup.
 */
export function createCgroup(
  name: string,
  opts: { limitBytes?: number; parent?: TestCgroup } = {},
): TestCgroup {
  const basePath = opts.parent ? opts.parent.path : `/memlens-test-${process.pid}`;
  const path = `${basePath}/${name}`;
  const dir = join(V1_ROOT, path);
  mkdirSync(dir, { recursive: true });
  if (opts.limitBytes !== undefined)
    writeFileSync(join(dir, 'memory.limit_in_bytes'), String(opts.limitBytes));
  return {
    path,
    dir,
    add: (pid) => writeFileSync(join(dir, 'cgroup.procs'), String(pid)),
    read: (file) => readFileSync(join(dir, file), 'utf8'),
    async remove() {
      await removeTree(dir);
      // The per-test-process parent goes once it is empty.
      if (!opts.parent) {
        try {
          rmdirSync(join(V1_ROOT, basePath));
        } catch {
          // still holds another test's cgroup
        }
      }
    },
  };
}

// What a demo killed by SIGKILL could not remove (its cgroup, its temp folders) is named after its
// memlens process: memlens-demo-<pid>-... . A later demo removes those whose memlens is gone. Only
// what is ours is touched: a folder another user made under that name is left alone.
import { existsSync, lstatSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { posix } from 'node:path';

export const DEMO_PREFIX = 'memlens-demo-';

const OWNER = new RegExp(`^${DEMO_PREFIX}(\\d+)-`);

/** The pid in a name made by a demo that has ended, or null (not a demo's name, or still running). */
function deadRun(name: string): number | null {
  const m = OWNER.exec(name);
  if (!m) return null;
  const pid = Number(m[1]);
  return pid === process.pid || existsSync(`/proc/${pid}`) ? null : pid;
}

/** Removes the (empty) cgroups under `mount` left by demos that ended without removing them. */
export function removeStaleCgroups(mount: string): void {
  for (const name of entries(mount)) {
    if (deadRun(name) === null) continue;
    try {
      rmdirSync(posix.join(mount, name));
    } catch {
      // still holds a task, or is not ours to judge
    }
  }
}

/** Removes the temp folders under `base` left by demos of this user that ended without removing them. */
export function removeStaleFolders(base: string): void {
  const uid = process.geteuid?.() ?? process.getuid?.();
  for (const name of entries(base)) {
    if (deadRun(name) === null) continue;
    const path = posix.join(base, name);
    try {
      const st = lstatSync(path);
      // lstat: a link planted under a demo's name is not followed, and not ours anyway.
      if (!st.isDirectory() || st.uid !== uid) continue;
      rmSync(path, { recursive: true, force: true });
    } catch {
      // gone meanwhile, or not removable: another run's to judge
    }
  }
}

function entries(folder: string): string[] {
  try {
    return readdirSync(folder);
  } catch {
    return [];
  }
}

// /proc/PID/cgroup: the process's cgroup in each hierarchy. man 7 cgroups
//   4:memory:/process_api/0e38...        (cgroup v1: id, controllers, path)
//   0::/user.slice/session-2.scope       (cgroup v2: id 0, no controllers)
// A hybrid host (like ours) lists both: v1 hierarchies and the v2 one.

import { ProcParseError } from './errors.js';
import type { ProcFs } from './fs.js';

export interface CgroupEntry {
  hierarchyId: number;
  /** Controllers bound to the hierarchy ([] for v2), e.g. ["memory"] or ["cpu", "cpuacct"]. */
  controllers: string[];
  /** Path below the hierarchy's root, starting with "/". */
  path: string;
}

export function parseCgroup(text: string, path: string): CgroupEntry[] {
  const out: CgroupEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first === -1 || second === -1) {
      throw new ProcParseError(`expected "id:controllers:path", found "${line}"`, path, i + 1);
    }
    const id = line.slice(0, first);
    if (!/^\d{1,9}$/.test(id))
      throw new ProcParseError(`expected a hierarchy id, found "${id}"`, path, i + 1);
    const controllers = line.slice(first + 1, second);
    out.push({
      hierarchyId: Number(id),
      controllers: controllers === '' ? [] : controllers.split(','),
      // The path may itself contain ':'; it is everything after the second colon.
      path: line.slice(second + 1),
    });
  }
  return out;
}

/** Reads /proc/PID/cgroup. */
export function readCgroup(fs: ProcFs, pid: number): CgroupEntry[] {
  const rel = `proc/${pid}/cgroup`;
  return parseCgroup(fs.readText(rel, pid), fs.path(rel));
}

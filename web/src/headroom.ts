// A cgroup's headroom as the server measures it: at the level that binds (README, "Headroom").
import type { Cgroup } from './api.js';

/** Share of the binding level's limit in use, null when unknown. */
export function bindingShare(c: Cgroup): number | null {
  if (c.headroomBytes === null || !c.headroomLimitBytes) return null;
  return 1 - c.headroomBytes / c.headroomLimitBytes;
}

/** "under /parent, shared with 1 other cgroup" when the room is not the cgroup's own limit alone. */
export function headroomWhere(c: Cgroup): string | null {
  if (c.headroomSetBy === null) return null;
  const n = c.headroomSharedWith ?? 0;
  const shared = n > 0 ? `shared with ${n} other cgroup${n === 1 ? '' : 's'}` : null;
  if (c.headroomSetBy === c.path) return shared;
  return `under ${c.headroomSetBy}${shared ? `, ${shared}` : ''}`;
}

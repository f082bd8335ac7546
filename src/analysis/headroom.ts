// How a binding cgroup limit is named to the user: who else's memory counts against it.

/**
 * "shared with 2 other cgroups under /parent" for a limit set at `setBy` that `sharedWith` other
 * cgroups are charged against; null when the cgroup has the limit to itself or it is unknown.
 */
export function sharedPhrase(h: { setBy: string; sharedWith: number | null }): string | null {
  if (!h.sharedWith) return null;
  return `shared with ${h.sharedWith} other cgroup${h.sharedWith === 1 ? '' : 's'} under ${h.setBy}`;
}

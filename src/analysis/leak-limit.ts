// Time until a limit at the rate a leak verdict found: the last step from "growing" to "it will
// be OOM-killed at about 14:20". The caller knows the limit (cgroup, MemAvailable, heap limit).

import { formatBytes } from './format.js';
import type { Verdict } from './leak.js';
import { formatDuration } from './leak-format.js';

/** withTimeToLimit's clause at the end of a summary, so that a second call replaces it. */
const LIMIT_CLAUSE = /; (?:at this rate .* is reached in|no headroom is left under) .*$/;

/**
 * The verdict with the time until a limit: headroomBytes / slope for a growing floor with a
 * positive slope (0 when no headroom is left); null for every other kind (a step or a steady
 * floor does not head for the limit) and when the headroom is unknown or unlimited. limitBytes
 * and limitSource (e.g. "cgroup memory.max", "MemAvailable", "heap_size_limit") are recorded
 * whatever the kind. The summary gains a clause with the time; `limitNote` (e.g. "shared with 1
 * other cgroup under /parent") goes beside the limit in it.
 */
export function withTimeToLimit(
  v: Verdict,
  headroomBytes: number | null,
  limitBytes: number | null,
  limitSource: string | null,
  limitNote: string | null = null,
): Verdict {
  const slope = v.slopeBytesPerSec;
  let timeToLimitSec: number | null = null;
  if (
    v.kind === 'growing' &&
    slope !== null &&
    slope > 0 &&
    headroomBytes !== null &&
    Number.isFinite(headroomBytes)
  ) {
    timeToLimitSec = headroomBytes <= 0 ? 0 : headroomBytes / slope;
  }
  let summary = v.summary.replace(LIMIT_CLAUSE, '');
  if (timeToLimitSec !== null) {
    const about = [limitBytes !== null ? formatBytes(limitBytes) : null, limitNote].filter((x) => x !== null);
    const limit = `${limitSource ?? 'the limit'}${about.length > 0 ? ` (${about.join(', ')})` : ''}`;
    summary +=
      timeToLimitSec === 0
        ? `; no headroom is left under ${limit}`
        : `; at this rate ${limit} is reached in ${formatDuration(timeToLimitSec)}`;
  }
  return { ...v, timeToLimitSec, limitBytes, limitSource, summary };
}

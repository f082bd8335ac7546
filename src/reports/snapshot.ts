// The `snapshot` file: one process at one moment, as `inspect --json` and `maps --json` show it,
// with the identity (pid, start time) and the time that `memlens diff` needs to compare two of
// them. The JSON shape is a public contract; SNAPSHOT_FORMAT changes only if it cannot grow.
import { SNAPSHOT_FORMAT } from '../analysis/diff.js';
import { categorizeRegions } from '../analysis/regions.js';
import type { ProcessSample } from '../collect/process.js';
import { buildInspectReport, type InspectReport } from './inspect.js';
import { type MapsRegion, toMapsRegion } from './maps.js';

export interface Snapshot {
  memlensSnapshot: typeof SNAPSHOT_FORMAT;
  /** ISO 8601, UTC. */
  capturedAt: string;
  pid: number;
  name: string;
  /** Clock ticks after boot: with pid, tells a restarted process (or a reused pid) apart. */
  startTimeTicks: number;
  command: string | null;
  inspect: InspectReport;
  /** Every region, in address order, exactly as `maps --json` prints them. */
  regions: MapsRegion[];
}

/**
 * Builds a snapshot from a sample read with ReadOptions { smaps: true, oom: true }. The clock is
 * the caller's: `capturedAt` is when the sample was read.
 */
export function buildSnapshot(
  s: ProcessSample,
  user: string | null,
  pageSize: number,
  capturedAt: Date,
): Snapshot {
  if (!s.smaps) throw new Error(`buildSnapshot needs the regions of process ${s.pid} (read with smaps)`);
  const inspect = buildInspectReport(s, user, pageSize);
  const keys = s.smaps.keys;
  // categorizeRegions tags the regions in place and again gives the categories inspect used.
  const regions = categorizeRegions(s.smaps.regions, { exePath: s.exePath }).map((r) =>
    toMapsRegion(r, keys),
  );
  return {
    memlensSnapshot: SNAPSHOT_FORMAT,
    capturedAt: capturedAt.toISOString(),
    pid: s.pid,
    name: s.name,
    startTimeTicks: s.startTimeTicks,
    command: inspect.command,
    inspect,
    regions,
  };
}

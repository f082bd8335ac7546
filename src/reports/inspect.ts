// The `inspect` report: one process explained. Headline figures, the breakdown by category,
// the largest regions, process facts and findings. The JSON shape is a public contract.
import { explain, type Finding } from '../analysis/findings.js';
import {
  type CategorizedRegion,
  type CategorySummary,
  categorizeRegions,
  summarizeCategories,
  topRegions,
} from '../analysis/regions.js';
import type { ProcessSample, UnknownReason } from '../collect/process.js';
import { type MapsRegion, toMapsRegion } from './maps.js';

export interface InspectReport {
  pid: number;
  name: string;
  command: string | null;
  user: string | null;
  vszBytes: number | null;
  rssBytes: number | null;
  pssBytes: number | null;
  ussBytes: number | null;
  swapBytes: number | null;
  rssAnonBytes: number | null;
  rssFileBytes: number | null;
  rssShmemBytes: number | null;
  lazyFreeBytes: number | null;
  threads: number | null;
  faults: { minor: number; major: number };
  oomScore: number | null;
  oomScoreAdj: number | null;
  /** null when smaps could not be read; see `unknownReason`. */
  categories: CategorySummary[] | null;
  topRegions: { bySize: MapsRegion[]; byRss: MapsRegion[] } | null;
  findings: Finding[];
  /** Why the smaps-based figures are null, when they are. */
  unknownReason: UnknownReason | null;
}

export const TOP_REGIONS = 10;

/** Builds the report from a sample read with ReadOptions { smaps: true, oom: true }. */
export function buildInspectReport(s: ProcessSample, user: string | null, pageSize: number): InspectReport {
  let categories: CategorySummary[] | null = null;
  let top: InspectReport['topRegions'] = null;
  let regions: CategorizedRegion[] = [];
  if (s.smaps) {
    regions = categorizeRegions(s.smaps.regions, { exePath: s.exePath });
    categories = summarizeCategories(regions);
    const keys = s.smaps.keys;
    top = {
      bySize: topRegions(regions, 'size', TOP_REGIONS).map((r) => toMapsRegion(r, keys)),
      byRss: topRegions(regions, 'rss', TOP_REGIONS).map((r) => toMapsRegion(r, keys)),
    };
  }
  const findings = s.smaps
    ? explain({
        regions,
        vszBytes: s.vszBytes,
        rssBytes: s.rssBytes,
        pssBytes: s.pssBytes,
        ussBytes: s.ussBytes,
        swapBytes: s.swapBytes,
        lazyFreeBytes: s.lazyFreeBytes,
        threads: s.threads,
        pageSize,
      })
    : [];
  return {
    pid: s.pid,
    name: s.name,
    command: s.cmdline && s.cmdline.length > 0 ? s.cmdline.join(' ') : null,
    user,
    vszBytes: s.vszBytes,
    rssBytes: s.rssBytes,
    pssBytes: s.pssBytes,
    ussBytes: s.ussBytes,
    swapBytes: s.swapBytes,
    rssAnonBytes: s.rssAnonBytes,
    rssFileBytes: s.rssFileBytes,
    rssShmemBytes: s.rssShmemBytes,
    lazyFreeBytes: s.lazyFreeBytes,
    threads: s.threads,
    faults: { minor: s.minorFaults, major: s.majorFaults },
    oomScore: s.oomScore,
    oomScoreAdj: s.oomScoreAdj,
    categories,
    topRegions: top,
    findings,
    unknownReason: s.rollupUnknown,
  };
}

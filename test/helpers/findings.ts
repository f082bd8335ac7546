// Shared by the findings tests: an input where every figure is unknown until a test sets it,
// and a lookup of one finding by id.
import { explain, type Finding, type FindingsInput } from '../../src/analysis/findings.js';
import { categorizeRegions } from '../../src/analysis/regions.js';
import type { Region } from '../../src/procfs/smaps.js';

const UNKNOWN: FindingsInput = {
  regions: [],
  vszBytes: null,
  rssBytes: null,
  pssBytes: null,
  ussBytes: null,
  swapBytes: null,
  lazyFreeBytes: null,
  threads: null,
  pageSize: 4096,
};

/** Findings input for `regions` of a program at `exePath`, with `rest` overriding the figures. */
export function findingsInput(
  regions: Region[],
  rest: Partial<FindingsInput> = {},
  exePath = '/usr/bin/app',
): FindingsInput {
  return { ...UNKNOWN, regions: categorizeRegions(regions, { exePath }), ...rest };
}

export function finding(id: string, x: FindingsInput): Finding | undefined {
  return explain(x).find((f) => f.id === id);
}

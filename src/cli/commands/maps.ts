// memlens maps: every region of one process, like pmap -X, with paths whole and PSS.
import { CATEGORIES, categorizeRegions } from '../../analysis/regions.js';
import { readProcess } from '../../collect/process.js';
import { isNoProcess } from '../../procfs/errors.js';
import {
  MAPS_SORT_KEYS,
  type MapsRegion,
  type MapsReport,
  sortRegions,
  toMapsRegion,
} from '../../reports/maps.js';
import { createContext, type GlobalOptions } from '../context.js';
import { RuntimeError, UsageError } from '../errors.js';
import { parseChoice, parseCount } from '../options.js';
import { type Column, renderTable } from '../render/table.js';
import { printText } from '../render/terminal.js';
import { compactBytes } from '../render/units.js';
import { pidArgument } from '../resolve.js';

interface MapsCliOptions {
  sort: string;
  category?: string;
  top?: string;
  json?: boolean;
}

export async function runMaps(pidText: string, opts: MapsCliOptions, globals: GlobalOptions): Promise<void> {
  const pid = pidArgument(pidText);
  const sort = parseChoice(opts.sort, '--sort', MAPS_SORT_KEYS);
  const top = parseCount(opts.top, '--top');
  const names = CATEGORIES.map((c) => c.category);
  const category = opts.category === undefined ? null : parseChoice(opts.category, '--category', names);
  const ctx = createContext(globals);
  let sample: ReturnType<typeof readProcess>;
  try {
    // Regions only: maps prints no totals from the rollup, so it is not derived.
    sample = readProcess(ctx.fs, pid, { smaps: true, skipRollup: true });
  } catch (err) {
    if (isNoProcess(err)) throw new RuntimeError(`no process ${pid}: it does not exist (or already exited)`);
    throw err;
  }
  if (sample.kernelThread) {
    throw new UsageError(
      `process ${pid} (${sample.name}) is a kernel thread: it has no memory mappings to list`,
    );
  }
  if (!sample.smaps) {
    const hint = sample.rollupUnknown === 'permission denied' ? ': run as root or as the process owner' : '';
    throw new RuntimeError(`cannot read the mappings of process ${pid} (${sample.rollupUnknown})${hint}`);
  }
  const keys = sample.smaps.keys;
  let regions = categorizeRegions(sample.smaps.regions, { exePath: sample.exePath });
  if (category !== null) regions = regions.filter((r) => r.category === category);
  regions = sortRegions(regions, sort);
  if (top !== null) regions = regions.slice(0, top);
  const report: MapsReport = { pid, name: sample.name, regions: regions.map((r) => toMapsRegion(r, keys)) };
  if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else printText(report, renderMaps);
}

const COLUMNS: Column<MapsRegion>[] = [
  { header: 'START', align: 'left', value: (r) => r.start.slice(2) },
  { header: 'END', align: 'left', value: (r) => r.end.slice(2) },
  { header: 'PERMS', align: 'left', value: (r) => r.perms },
  { header: 'OFFSET', value: (r) => r.offset.slice(2) },
  { header: 'DEVICE', value: (r) => r.device },
  { header: 'INODE', value: (r) => String(r.inode) },
  { header: 'CATEGORY', align: 'left', value: (r) => r.category },
  { header: 'SIZE', value: (r) => compactBytes(r.sizeBytes) },
  { header: 'RSS', value: (r) => compactBytes(r.rssBytes) },
  { header: 'PSS', value: (r) => compactBytes(r.pssBytes) },
  { header: 'PRIV_CLEAN', value: (r) => compactBytes(r.privateCleanBytes) },
  { header: 'PRIV_DIRTY', value: (r) => compactBytes(r.privateDirtyBytes) },
  { header: 'SHR_CLEAN', value: (r) => compactBytes(r.sharedCleanBytes) },
  { header: 'SHR_DIRTY', value: (r) => compactBytes(r.sharedDirtyBytes) },
  { header: 'SWAP', value: (r) => compactBytes(r.swapBytes) },
  { header: 'ANONHUGE', value: (r) => compactBytes(r.anonHugePagesBytes) },
  { header: 'LAZYFREE', value: (r) => compactBytes(r.lazyFreeBytes) },
  { header: 'PATH', align: 'left', value: (r) => r.path },
];

function renderMaps(report: MapsReport): string {
  const total = report.regions.reduce(
    (t, r) => ({ size: t.size + r.sizeBytes, rss: t.rss + r.rssBytes, pss: t.pss + r.pssBytes }),
    { size: 0, rss: 0, pss: 0 },
  );
  return (
    `${renderTable(COLUMNS, report.regions)}\n\n` +
    `${report.regions.length} regions of ${report.name} (pid ${report.pid}): ` +
    `${compactBytes(total.size)} mapped, ${compactBytes(total.rss)} resident, ${compactBytes(total.pss)} proportional\n`
  );
}

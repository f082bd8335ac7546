// memlens inspect: one process explained in plain language.

import { formatBytes } from '../../analysis/format.js';
import { readProcess } from '../../collect/process.js';
import { loadUserNames } from '../../collect/users.js';
import { isNoProcess } from '../../procfs/errors.js';
import { buildInspectReport, type InspectReport } from '../../reports/inspect.js';
import type { MapsRegion } from '../../reports/maps.js';
import { createContext, type GlobalOptions } from '../context.js';
import { RuntimeError } from '../errors.js';
import { findingLines } from '../render/findings.js';
import { type Column, renderTable } from '../render/table.js';
import { compactBytes, orDash } from '../render/units.js';
import { resolveTarget } from '../resolve.js';

interface InspectCliOptions {
  all?: boolean;
  json?: boolean;
}

export async function runInspect(
  target: string,
  opts: InspectCliOptions,
  globals: GlobalOptions,
): Promise<void> {
  const ctx = createContext(globals);
  const pids = resolveTarget(ctx.fs, target, opts.all === true);
  const users = loadUserNames(ctx.fs);
  const reports: InspectReport[] = [];
  for (const pid of pids) {
    try {
      const sample = readProcess(ctx.fs, pid, { smaps: true, oom: true });
      reports.push(buildInspectReport(sample, sample.uid === null ? null : users(sample.uid), ctx.pageSize));
    } catch (err) {
      if (!isNoProcess(err)) throw err;
      // With --all, one worker exiting mid-read is not a failure of the whole command.
      if (pids.length === 1) throw new RuntimeError(`process ${pid} exited`);
    }
  }
  if (opts.json) {
    // One process: the documented object. --all: an array of them.
    const out = opts.all ? reports : reports[0];
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return;
  }
  process.stdout.write(reports.map(renderInspect).join('\n'));
}

function sizeOrUnknown(bytes: number | null): string {
  return bytes === null ? 'unknown' : formatBytes(bytes);
}

/** The one-line answer to "how much does it really use". */
export function headline(r: InspectReport): string {
  return (
    `${sizeOrUnknown(r.vszBytes)} virtual, ${sizeOrUnknown(r.rssBytes)} resident (RSS), ` +
    `${sizeOrUnknown(r.ussBytes)} its own (USS), ${sizeOrUnknown(r.pssBytes)} proportional (PSS)` +
    (r.swapBytes ? `, ${formatBytes(r.swapBytes)} swapped out` : '')
  );
}

const REGION_COLUMNS: Column<MapsRegion>[] = [
  { header: 'START', align: 'left', value: (r) => r.start.slice(2) },
  { header: 'PERMS', align: 'left', value: (r) => r.perms },
  { header: 'CATEGORY', align: 'left', value: (r) => r.category },
  { header: 'SIZE', value: (r) => compactBytes(r.sizeBytes) },
  { header: 'RSS', value: (r) => compactBytes(r.rssBytes) },
  { header: 'PSS', value: (r) => compactBytes(r.pssBytes) },
  { header: 'PATH', align: 'left', value: (r) => r.path },
];

function renderInspect(r: InspectReport): string {
  const out: string[] = [];
  out.push(`${r.name} (pid ${r.pid}${r.user ? `, user ${r.user}` : ''})`);
  if (r.command) out.push(`  ${r.command}`);
  out.push('');
  out.push(headline(r));
  if (r.categories === null) {
    out.push('');
    out.push(
      r.unknownReason === 'kernel thread'
        ? 'A kernel thread: it has no user-space memory, so there is nothing to break down.'
        : `PSS, USS, swap and the breakdown are unknown: smaps is unreadable (${r.unknownReason ?? 'unknown'}).` +
            (r.unknownReason === 'permission denied' ? ' Run as root or as the process owner.' : ''),
    );
  } else {
    out.push('');
    out.push('Where the memory is');
    out.push(
      renderTable(
        [
          { header: 'CATEGORY', align: 'left', value: (c) => c.label },
          { header: 'REGIONS', value: (c) => String(c.regions) },
          { header: 'SIZE', value: (c) => compactBytes(c.sizeBytes) },
          { header: 'RSS', value: (c) => compactBytes(c.rssBytes) },
          { header: 'PSS', value: (c) => compactBytes(c.pssBytes) },
          { header: 'PRIVATE', value: (c) => compactBytes(c.privateBytes) },
          { header: 'SHARED', value: (c) => compactBytes(c.sharedBytes) },
          { header: 'SWAP', value: (c) => compactBytes(c.swapBytes) },
        ],
        r.categories.filter((c) => c.regions > 0),
      ),
    );
    if (r.topRegions) {
      out.push('');
      out.push('Largest regions by size');
      out.push(renderTable(REGION_COLUMNS, r.topRegions.bySize));
      out.push('');
      out.push('Largest regions by RSS');
      out.push(renderTable(REGION_COLUMNS, r.topRegions.byRss));
    }
  }
  out.push('');
  out.push('Process');
  out.push(`  threads: ${orDash(r.threads)}`);
  out.push(`  page faults since start: ${r.faults.minor} minor, ${r.faults.major} major`);
  out.push(`  oom_score: ${orDash(r.oomScore)} (oom_score_adj ${orDash(r.oomScoreAdj)})`);
  out.push(...findingLines(r.findings));
  return `${out.join('\n')}\n`;
}

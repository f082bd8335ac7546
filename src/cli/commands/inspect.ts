// memlens inspect: one process explained in plain language.

import { formatBytes, formatDuration } from '../../analysis/format.js';
import { type ProcessSample, readProcess } from '../../collect/process.js';
import { fetchGoExpvar, findChannel, requestChannel } from '../../collect/runtime-channel.js';
import { loadUserNames } from '../../collect/users.js';
import { isNoProcess } from '../../procfs/errors.js';
import {
  buildInspectReport,
  goRuntimeView,
  type InspectReport,
  nodeRuntimeView,
  type RuntimeView,
} from '../../reports/inspect.js';
import type { MapsRegion } from '../../reports/maps.js';
import { gapLines } from '../../runtime/text.js';
import { createContext, type GlobalOptions } from '../context.js';
import { RuntimeError, UsageError } from '../errors.js';
import { findingLines } from '../render/findings.js';
import { type Column, renderTable } from '../render/table.js';
import { printText } from '../render/terminal.js';
import { compactBytes, orDash } from '../render/units.js';
import { resolveTarget } from '../resolve.js';

interface InspectCliOptions {
  all?: boolean;
  json?: boolean;
  /** A Go service's expvar URL (http://127.0.0.1:PORT/debug/vars), read beside /proc. */
  runtimeUrl?: string;
}

/** How long a Node process publishing memlens/runtime's channel gets to answer. */
const CHANNEL_TIMEOUT_MS = 1000;

/**
 * The process's own runtime view: the Go expvar URL when given, else a Node process's channel
 * when it publishes one (only on the live machine: a fixture's PIDs are not this machine's).
 */
async function runtimeView(
  sample: ProcessSample,
  opts: InspectCliOptions,
  live: boolean,
): Promise<RuntimeView | null> {
  if (opts.runtimeUrl) {
    try {
      return goRuntimeView(await fetchGoExpvar(opts.runtimeUrl), sample, opts.runtimeUrl);
    } catch (err) {
      throw new RuntimeError(`cannot read the Go runtime's figures: ${(err as Error).message}`);
    }
  }
  if (!live || sample.uid === null) return null;
  const found = findChannel(sample.pid, sample.uid, sample.startTimeTicks);
  if (!found.found) return null;
  return nodeRuntimeView(await requestChannel(found, sample.uid, CHANNEL_TIMEOUT_MS), found.path);
}

export async function runInspect(
  target: string,
  opts: InspectCliOptions,
  globals: GlobalOptions,
): Promise<void> {
  const ctx = createContext(globals);
  const pids = resolveTarget(ctx.fs, target, opts.all === true);
  if (opts.runtimeUrl && pids.length > 1) {
    throw new UsageError(`--runtime-url belongs to one process, and "${target}" matches ${pids.length}`);
  }
  const users = loadUserNames(ctx.fs);
  const reports: InspectReport[] = [];
  for (const pid of pids) {
    try {
      const sample = readProcess(ctx.fs, pid, { smaps: true, oom: true });
      const runtime = await runtimeView(sample, opts, ctx.live);
      reports.push(
        buildInspectReport(sample, sample.uid === null ? null : users(sample.uid), ctx.pageSize, runtime),
      );
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
  printText(reports, (rs) => rs.map(renderInspect).join('\n'));
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
  if (r.runtime) out.push('', ...renderRuntime(r.runtime));
  out.push(...findingLines(r.findings));
  return `${out.join('\n')}\n`;
}

/** The runtime's own view beside the kernel's: heap against RSS, and the gap explained. */
function renderRuntime(v: RuntimeView): string[] {
  const out: string[] = [];
  if (v.kind === 'node') {
    const when = v.fresh ? 'just now' : `${formatDuration(v.ageSec)} ago (it did not answer)`;
    out.push(`Runtime (Node ${v.nodeVersion}, published through memlens/runtime ${when})`);
    out.push(
      `  heap ${formatBytes(v.heapUsedBytes)} used of ${formatBytes(v.heapTotalBytes)}, limit ${formatBytes(v.heapSizeLimitBytes)}; external ${formatBytes(v.externalBytes)} (Buffers ${formatBytes(v.arrayBuffersBytes)})`,
    );
    out.push(
      `  GCs: ${v.gcMinorCount} minor, ${v.gcMajorCount} major; detached contexts: ${v.detachedContexts}`,
    );
    out.push(`  limit ${formatBytes(v.limit.bytes)} (${v.limit.source}): ${v.limit.reason}`);
    out.push(...gapLines(v.gap).map((l) => `  ${l}`));
    return out;
  }
  out.push(`Runtime (Go, from ${v.source})`);
  out.push(
    `  HeapAlloc ${formatBytes(v.heapAllocBytes)}, HeapInuse ${formatBytes(v.heapInuseBytes)}, HeapIdle ${formatBytes(v.heapIdleBytes)}, HeapReleased ${formatBytes(v.heapReleasedBytes)}, HeapSys ${formatBytes(v.heapSysBytes)}, StackInuse ${formatBytes(v.stackInuseBytes)}; ${v.numGc} GCs`,
  );
  out.push(
    `  VmRSS ${sizeOrUnknown(v.rssBytes)}${v.lazyFreeBytes ? `, of which LazyFree ${formatBytes(v.lazyFreeBytes)}` : ''}:`,
  );
  const width = Math.max(...v.parts.map((p) => p.name.length));
  for (const p of v.parts)
    out.push(`    ${p.name.padEnd(width)} ${formatBytes(p.bytes).padStart(9)}  ${p.explanation}`);
  for (const n of v.notes) out.push(`  ${n}`);
  if (v.cmdlineMatches === false) {
    out.push(
      "  Warning: the expvar cmdline differs from this process's: the URL may belong to another process.",
    );
  }
  return out;
}

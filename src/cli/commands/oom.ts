// memlens oom: who the kernel will kill, when, and why.
import { formatBytes } from '../../analysis/format.js';
import { sharedPhrase } from '../../analysis/headroom.js';
import { collectOom } from '../../collect/oom.js';
import type { Pressure } from '../../procfs/pressure.js';
import {
  buildOomReport,
  type OomCgroupReport,
  type OomRankEntry,
  type OomReport,
} from '../../reports/oom.js';
import { createContext, type GlobalOptions } from '../context.js';
import { parseCount } from '../options.js';
import { findingLines } from '../render/findings.js';
import { type Column, renderTable } from '../render/table.js';
import { printText } from '../render/terminal.js';
import { compactBytes, orDash } from '../render/units.js';

interface OomCliOptions {
  cgroup?: string;
  top?: string;
  json?: boolean;
}

const OVERCOMMIT = ['heuristic', 'always', 'never (strict)'];

export async function runOom(opts: OomCliOptions, globals: GlobalOptions): Promise<void> {
  const top = parseCount(opts.top, '--top') ?? 15;
  const ctx = createContext(globals);
  const report = buildOomReport(collectOom(ctx.fs, { cgroupPath: opts.cgroup }), ctx.pageSize);
  // With --cgroup, the collection holds that cgroup's processes (and its descendants') alone.
  if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else printText(report, (r) => renderOom(r, top));
}

function psiLine(psi: Pressure | null): string {
  if (!psi) return 'unknown (no PSI: kernel older than 4.20 or booted with psi=0)';
  const part = (name: string, l: Pressure['some']) =>
    l ? `${name} ${l.avg10.toFixed(2)}/${l.avg60.toFixed(2)}/${l.avg300.toFixed(2)}%` : `${name} -`;
  return `${part('some', psi.some)}  ${part('full', psi.full)}  (avg10/avg60/avg300)`;
}

const CGROUP_COLUMNS: Column<OomCgroupReport>[] = [
  { header: 'CGROUP', align: 'left', value: (g) => g.path },
  { header: 'V', value: (g) => String(g.version) },
  { header: 'LIMIT', value: (g) => (g.limitBytes === null ? 'none' : compactBytes(g.limitBytes)) },
  { header: 'SET BY', align: 'left', value: (g) => orDash(g.limitSetBy) },
  { header: 'USAGE', value: (g) => compactBytes(g.usageBytes) },
  { header: 'WORKSET', value: (g) => compactBytes(g.workingSetBytes) },
  { header: 'HEADROOM', value: (g) => compactBytes(g.headroomBytes) },
  { header: 'ANON', value: (g) => compactBytes(g.anonBytes) },
  { header: 'FILE', value: (g) => compactBytes(g.fileBytes) },
  { header: 'INACT_F', value: (g) => compactBytes(g.inactiveFileBytes) },
  { header: 'SHMEM', value: (g) => compactBytes(g.shmemBytes) },
  { header: 'KERNEL', value: (g) => compactBytes(g.kernelBytes) },
  { header: 'OOM_KILLS', value: (g) => orDash(g.events.oomKill) },
  { header: 'PROCS', value: (g) => String(g.pids.length) },
];

const RANK_COLUMNS: Column<OomRankEntry & { rank: number }>[] = [
  { header: '#', value: (r) => String(r.rank) },
  { header: 'PID', value: (r) => String(r.pid) },
  { header: 'NAME', align: 'left', value: (r) => r.name },
  { header: 'OOM_SCORE', value: (r) => orDash(r.oomScore) },
  { header: 'COMPUTED', value: (r) => String(r.computedOomScore) },
  { header: 'ADJ', value: (r) => orDash(r.oomScoreAdj) },
  { header: 'RSS', value: (r) => (r.badness ? compactBytes(r.badness.rssPages * 4096) : '-') },
  { header: 'SWAP', value: (r) => (r.badness ? compactBytes(r.badness.swapPages * 4096) : '-') },
  { header: 'PGTABLES', value: (r) => (r.badness ? compactBytes(r.badness.pageTablePages * 4096) : '-') },
  { header: 'CGROUP', align: 'left', value: (r) => orDash(r.cgroup) },
];

type KillOrderRow = NonNullable<OomCgroupReport['killOrder']>[number] & { rank: number };

const KILL_ORDER_COLUMNS: Column<KillOrderRow>[] = [
  { header: '#', value: (k) => String(k.rank) },
  { header: 'PID', value: (k) => String(k.pid) },
  { header: 'NAME', align: 'left', value: (k) => k.name },
  { header: 'SCORE', value: (k) => String(k.scoreInCgroup) },
];

/** Where a cgroup's HEADROOM is measured, when that is not its own limit or others share it. */
function headroomNote(g: OomCgroupReport): string | null {
  if (g.headroomSetBy === null || g.headroomLimitBytes === null) return null;
  const shared = sharedPhrase({ setBy: g.headroomSetBy, sharedWith: g.headroomSharedWith });
  if (g.headroomSetBy === g.path && !shared) return null;
  return (
    `${g.path}: headroom ${compactBytes(g.headroomBytes)} is what the ${compactBytes(g.headroomLimitBytes)} limit of ${g.headroomSetBy} leaves` +
    `${shared ? `, ${shared}` : ''}`
  );
}

function renderOom(r: OomReport, top: number): string {
  const m = r.machine;
  const out: string[] = [];
  out.push('Machine');
  out.push(
    `  RAM ${formatBytes(m.memTotalBytes)}, available ${m.memAvailableBytes === null ? 'unknown' : formatBytes(m.memAvailableBytes)}, ` +
      `swap ${!m.swapTotalBytes ? 'none' : `${formatBytes(m.swapFreeBytes ?? 0)} free of ${formatBytes(m.swapTotalBytes)}`}`,
  );
  const mode =
    m.overcommitMode === null ? 'unknown' : `${m.overcommitMode} (${OVERCOMMIT[m.overcommitMode] ?? '?'})`;
  out.push(
    `  overcommit ${mode}; committed ${m.committedAsBytes === null ? '-' : formatBytes(m.committedAsBytes)}` +
      ` (CommitLimit ${m.commitLimitBytes === null ? '-' : formatBytes(m.commitLimitBytes)}${m.overcommitMode === 2 ? ', enforced' : ', not enforced in this mode'})`,
  );
  out.push(`  memory pressure: ${psiLine(m.psi)}`);
  out.push(`  OOM kills since boot: ${orDash(m.oomKills)} (/proc/vmstat oom_kill, cgroup kills included)`);

  out.push('');
  out.push(
    'Memory cgroups (LIMIT is the lowest of the cgroup and its ancestors; HEADROOM is measured where it runs out first)',
  );
  out.push(r.cgroups.length > 0 ? renderTable(CGROUP_COLUMNS, r.cgroups) : '  none found');
  for (const g of r.cgroups) {
    const note = headroomNote(g);
    if (note) out.push(`  ${note}`);
  }
  const scope = new Set(r.cgroups.map((g) => g.eventsScope));
  if (scope.size > 0) {
    out.push(
      `  OOM_KILLS counts ${[...scope].map((s) => (s === 'local' ? 'kills in that cgroup itself (v1: not its children)' : 'kills in it and its descendants (v2)')).join('; ')}.`,
    );
  }

  out.push('');
  out.push(
    `Kill order of the global OOM killer (against RAM + swap = ${formatBytes(m.totalPages * m.pageSize)})`,
  );
  const rows = r.ranking
    .filter((x) => !x.exempt)
    .slice(0, top)
    .map((x, i) => ({ ...x, rank: i + 1 }));
  out.push(renderTable(RANK_COLUMNS, rows));
  const exempt = r.ranking.filter((x) => x.exempt);
  const byReason = new Map<string, number>();
  for (const x of exempt) byReason.set(x.exemptReason ?? '?', (byReason.get(x.exemptReason ?? '?') ?? 0) + 1);
  if (exempt.length > 0) {
    out.push(`  Never picked: ${[...byReason].map(([why, n]) => `${n} ${why}`).join(', ')}.`);
  }
  for (const g of r.cgroups) {
    if (!g.killOrder || g.killOrder.length === 0) continue;
    out.push('');
    out.push(`Kill order inside ${g.path} (against its ${compactBytes(g.limitBytes)} limit)`);
    out.push(
      renderTable(
        KILL_ORDER_COLUMNS,
        g.killOrder.slice(0, top).map((k, i) => ({ ...k, rank: i + 1 })),
      ),
    );
  }

  out.push('');
  out.push('Recent OOM kills (kernel log)');
  if (r.killsUnknownReason) out.push(`  unknown: ${r.killsUnknownReason}`);
  else if (r.kills.length === 0) out.push('  none in the kernel log');
  else
    out.push(
      renderTable(
        [
          {
            header: 'TIME',
            align: 'left',
            value: (k) => k.time ?? `${k.monotonicSec.toFixed(0)}s after boot`,
          },
          { header: 'PID', value: (k) => String(k.pid) },
          { header: 'NAME', align: 'left', value: (k) => k.name },
          { header: 'CONSTRAINT', align: 'left', value: (k) => orDash(k.constraint) },
          { header: 'OOM_MEMCG', align: 'left', value: (k) => orDash(k.oomMemcg) },
          { header: 'ANON', value: (k) => compactBytes(k.anonRssBytes) },
          { header: 'FILE', value: (k) => compactBytes(k.fileRssBytes) },
          { header: 'SHMEM', value: (k) => compactBytes(k.shmemRssBytes) },
        ],
        r.kills.slice(-top),
      ),
    );

  out.push(...findingLines(r.findings));
  return `${out.join('\n')}\n`;
}

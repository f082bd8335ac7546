// memlens ps: one row per process, like ps/smem, with PSS as the default order.
import { cgroupLimits, scanProcesses } from '../../collect/scan.js';
import { loadUserNames } from '../../collect/users.js';
import { readMeminfo } from '../../procfs/meminfo.js';
import {
  buildPsReport,
  type PsGroup,
  type PsProcess,
  type PsReport,
  SORT_KEYS,
  toPsProcess,
} from '../../reports/ps.js';
import { createContext, type GlobalOptions } from '../context.js';
import { parseChoice, parseCount, parsePattern } from '../options.js';
import { type Column, renderTable } from '../render/table.js';
import { printText } from '../render/terminal.js';
import { compactBytes, orDash, percent } from '../render/units.js';

interface PsCliOptions {
  sort: string;
  top?: string;
  user?: string;
  name?: string;
  group?: boolean;
  json?: boolean;
}

export async function runPs(opts: PsCliOptions, globals: GlobalOptions): Promise<void> {
  const psOptions = {
    sort: parseChoice(opts.sort, '--sort', SORT_KEYS),
    top: parseCount(opts.top, '--top'),
    user: opts.user ?? null,
    name: parsePattern(opts.name, '--name'),
    group: opts.group === true,
  };
  const ctx = createContext(globals);
  const meminfo = readMeminfo(ctx.fs);
  const users = loadUserNames(ctx.fs);
  const limits = cgroupLimits(ctx.fs);
  const { processes } = scanProcesses(ctx.fs, { rollup: true, oom: true });
  const rows = processes.map((p) => toPsProcess(p, users, limits, meminfo.memTotalBytes));
  const report = buildPsReport(rows, meminfo.memTotalBytes, psOptions);
  if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else printText(report, renderPs);
}

const PROCESS_COLUMNS: Column<PsProcess>[] = [
  { header: 'PID', value: (p) => String(p.pid) },
  { header: 'USER', align: 'left', value: (p) => orDash(p.user) },
  { header: 'NAME', align: 'left', value: (p) => p.name },
  { header: 'VIRT', value: (p) => compactBytes(p.vszBytes) },
  { header: 'RSS', value: (p) => compactBytes(p.rssBytes) },
  { header: 'PSS', value: (p) => compactBytes(p.pssBytes) },
  { header: 'USS', value: (p) => compactBytes(p.ussBytes) },
  { header: 'SHR', value: (p) => compactBytes(p.sharedBytes) },
  { header: 'SWAP', value: (p) => compactBytes(p.swapBytes) },
  { header: '%MEM', value: (p) => `${percent(p.memPercent)}${p.memPercentOf === 'cgroupLimit' ? '*' : ''}` },
  { header: 'OOM', value: (p) => orDash(p.oomScore) },
];

const GROUP_COLUMNS: Column<PsGroup>[] = [
  { header: 'PROGRAM', align: 'left', value: (g) => g.name },
  { header: 'PROCS', value: (g) => String(g.count) },
  { header: 'VIRT', value: (g) => compactBytes(g.vszBytes) },
  { header: 'RSS', value: (g) => compactBytes(g.rssBytes) },
  { header: 'PSS', value: (g) => compactBytes(g.pssBytes) },
  { header: 'USS', value: (g) => compactBytes(g.ussBytes) },
  { header: 'SWAP', value: (g) => compactBytes(g.swapBytes) },
];

function renderPs(report: PsReport): string {
  const lines: string[] = [];
  lines.push(
    report.groups
      ? renderTable(GROUP_COLUMNS, report.groups)
      : renderTable(PROCESS_COLUMNS, report.processes),
  );
  const t = report.totals;
  lines.push('');
  lines.push(
    `PSS total ${compactBytes(t.pssBytes)}: shared pages divided among their sharers, so this is the memory really in use` +
      ` (${t.processesCounted} processes).`,
  );
  lines.push(
    `RSS total ${compactBytes(t.rssBytes)}: counts every shared page once per process, so it overstates.`,
  );
  if (report.processes.some((p) => p.memPercentOf === 'cgroupLimit')) {
    lines.push(
      `%MEM is of MemTotal (${compactBytes(report.memTotalBytes)}); * marks % of the process's cgroup limit.`,
    );
  } else {
    lines.push(`%MEM is of MemTotal (${compactBytes(report.memTotalBytes)}).`);
  }
  if (report.unreadable.count > 0) {
    const denied = report.unreadable.byReason['permission denied'] ?? 0;
    const advice = denied > 0 ? ' Run as root to read the others.' : '';
    lines.push(
      `${report.unreadable.count} processes show "-" for PSS, USS and swap: ${report.unreadable.reason}.${advice}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

// The results of one bench run: what was measured, the ratios and targets, and where the time went;
// printed as plain text, written as JSON and as Markdown (bench/results/latest.md).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProfileSummary } from './profile.js';
import { type Measured, ratio, type Stats } from './timing.js';

export interface Comparison {
  what: string;
  a: string;
  b: string;
  /** median(a) / median(b); null when either did not run. */
  ratio: number | null;
  /** The target as a bound on the ratio (met when ratio <= maxRatio); null for a reference line. */
  maxRatio: number | null;
  target: string | null;
  met: boolean | null;
}

export interface Phase {
  name: string;
  stats: Stats | null;
  note?: string;
}

export interface Section {
  title: string;
  /** Contenders measured together, interleaved round-robin. */
  groups: { title: string; measured: Measured[] }[];
  comparisons: Comparison[];
  /** Parts of memlens's own work, timed one after another inside the bench process. */
  phases: Phase[];
  notes: string[];
  /** Absolute figures, each against its target if it has one (memlens serve's cost). */
  figures?: Figure[];
  /** Raw samples behind the figures, for the JSON only. */
  raw?: Record<string, unknown>;
}

/** One measured figure: its value in `unit`, as shown (`text`), and whether it met its target. */
export interface Figure {
  what: string;
  value: number | null;
  unit: string;
  text: string;
  /** null: measured and printed, no target. */
  target: string | null;
  met: boolean | null;
}

function figureVerdict(f: Figure): string {
  if (f.target === null) return 'measured';
  if (f.met === null) return `not measured (target: ${f.target})`;
  return `${f.met ? 'MET' : 'MISSED'} (target: ${f.target})`;
}

function figureRows(figures: Figure[]): string[][] {
  return [['figure', 'value', 'verdict'], ...figures.map((f) => [f.what, f.text, figureVerdict(f)])];
}

export interface Machine {
  nproc: number;
  cpu: string;
  kernel: string;
  node: string;
  memTotalMiB: number;
  processesBefore: number;
  processesDuringRun: number;
  loadAvgStart: number[];
  loadAvgEnd: number[];
}

export interface Source {
  commit: string;
  /** Files under src/ that differed from the commit when the bench ran (others' work in progress). */
  changedSrcFiles: string[];
}

export interface BenchResults {
  date: string;
  durationSec: number;
  source: Source;
  machine: Machine;
  sections: Section[];
  profiles: ProfileSummary[];
  /** The cost of `memlens watch` over time (bench/watch.bench.ts); absent when it did not run. */
  watch?: WatchCostSection;
}

/** Per-second CPU % of one core, over the seconds of a run. */
export interface WatchCpu {
  n: number;
  medianPercent: number;
  p90Percent: number;
  maxPercent: number;
}

/** One long-running process measured from outside, through /proc, every second. */
export interface WatchContender {
  id: string;
  label: string;
  pid: number;
  /** How it ended ("exit code 0"). */
  exit: string;
  note: string | null;
  /** Seconds from its spawn to the last reading. */
  observedSec: number;
  /** From utime+stime of /proc/PID/stat (clock ticks). */
  cpu: WatchCpu | null;
  /** From the threads' schedstat run times (ns). */
  cpuPrecise: WatchCpu | null;
  /** CPU seconds over the run (stat; schedstat, live threads only). */
  totalCpuSec: number | null;
  totalRunSec: number | null;
  /** totalCpuSec over observedSec, in % of one core. */
  averagePercent: number | null;
  /** CPU seconds (stat) by the end of its first second: Node's start, loading, the first tick. */
  firstSecondCpuSec: number | null;
  /** CPU seconds it reported itself when ready, before its first tick (the peer); else null. */
  readyCpuSec: number | null;
  /** Average CPU % after its first second (stat; schedstat). */
  steadyPercent: number | null;
  steadyPrecisePercent: number | null;
  rssMedianBytes: number | null;
  rssMaxBytes: number | null;
  /** VmHWM at the last reading: the peak RSS, between readings too. */
  hwmBytes: number | null;
  /** The raw readings kept, one a second: cumulative CPU seconds and RSS. */
  perSecond: { t: number; cpuSec: number; runSec: number | null; rssBytes: number | null }[];
}

export interface WatchTarget {
  what: string;
  value: number | null;
  /** Met when value < limit. */
  limit: number;
  unit: '%' | 'bytes';
  met: boolean | null;
}

export interface WatchRun {
  index: number;
  /** VmRSS of the watched process before and after the run. */
  targetRssBytes: { before: number | null; after: number | null };
  /** memlens watch first, then the peer. */
  contenders: WatchContender[];
  /** memlens / peer. */
  ratios: { what: string; ratio: number | null }[];
  targets: WatchTarget[];
}

export interface WatchCostSection {
  title: string;
  durationSec: number;
  targetPid: number;
  /** What memlens's ticks read, which the peer reads too. */
  files: { everyTick: string[]; rollup: string[]; statReads: number };
  runs: WatchRun[];
  /** One tick's parts, timed inside the bench process (ms). */
  phases: Phase[];
  notes: string[];
}

export function compare(
  what: string,
  all: Measured[],
  a: string,
  b: string,
  maxRatio: number | null = null,
  target: string | null = null,
): Comparison {
  const r = ratio(
    all.find((m) => m.id === a),
    all.find((m) => m.id === b),
  );
  return {
    what,
    a,
    b,
    ratio: r,
    maxRatio,
    target,
    met: maxRatio === null || r === null ? null : r <= maxRatio,
  };
}

export function ms(x: number | null | undefined): string {
  if (x === null || x === undefined) return '-';
  if (x < 1) return x.toFixed(3);
  if (x < 10) return x.toFixed(2);
  if (x < 100) return x.toFixed(1);
  return x.toFixed(0);
}

function times(r: number | null): string {
  return r === null ? '-' : `${r < 10 ? r.toFixed(2) : r.toFixed(1)}x`;
}

function verdict(c: Comparison): string {
  if (c.target === null) return 'reference';
  if (c.met === null) return `not measured (target: ${c.target})`;
  return `${c.met ? 'MET' : 'MISSED'} (target: ${c.target})`;
}

/** Rows as aligned columns; the first column left-aligned, the rest right-aligned but the last. */
function columns(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) =>
          i === 0 || i === r.length - 1 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function measuredRows(measured: Measured[]): string[][] {
  return [
    ['contender', 'median ms', 'p90 ms', 'n', 'note'],
    ...measured.map((m) => [
      m.label,
      ms(m.stats?.medianMs),
      ms(m.stats?.p90Ms),
      String(m.stats?.n ?? 0),
      m.note ?? '',
    ]),
  ];
}

export function renderText(res: BenchResults): string {
  const m = res.machine;
  const out: string[] = [
    `memlens bench, ${res.date} (${Math.round(res.durationSec)} s)`,
    `machine: ${m.nproc} cpus (${m.cpu}), kernel ${m.kernel}, node ${m.node}, ${m.memTotalMiB} MiB RAM, ` +
      `${m.processesDuringRun} processes during the run (${m.processesBefore} before the bench), ` +
      `load ${m.loadAvgStart.map((l) => l.toFixed(2)).join(' ')} -> ${m.loadAvgEnd.map((l) => l.toFixed(2)).join(' ')}`,
    `source: ${sourceLine(res.source)}`,
  ];
  for (const s of res.sections) {
    out.push('', `== ${s.title} ==`);
    if (s.figures?.length) out.push('', '-- figures and targets', columns(figureRows(s.figures)));
    for (const g of s.groups) out.push('', `-- ${g.title}`, columns(measuredRows(g.measured)));
    if (s.phases.length > 0) {
      out.push('', '-- phases of memlens (in-process, one after another)');
      out.push(
        columns([
          ['phase', 'median ms', 'p90 ms', 'n', 'note'],
          ...s.phases.map((p) => [
            p.name,
            ms(p.stats?.medianMs),
            ms(p.stats?.p90Ms),
            String(p.stats?.n ?? 0),
            p.note ?? '',
          ]),
        ]),
      );
    }
    if (s.comparisons.length > 0) {
      out.push('', '-- ratios of medians');
      out.push(
        columns([
          ['comparison', 'ratio', 'verdict'],
          ...s.comparisons.map((c) => [`${c.what}`, times(c.ratio), verdict(c)]),
        ]),
      );
    }
    for (const n of s.notes) out.push(`note: ${n}`);
  }
  if (res.watch) out.push('', watchText(res.watch));
  for (const p of res.profiles) {
    out.push('', `== where the time goes: ${p.command} (cpu profile, ${ms(p.totalMs)} ms sampled) ==`);
    out.push(
      columns([
        ['area', 'self ms', 'share', ''],
        ...p.areas.map((a) => [a.name, ms(a.selfMs), `${a.percent.toFixed(1)}%`, '']),
      ]),
    );
    out.push(
      '',
      columns([
        ['function (top self time)', 'self ms', 'share', 'where'],
        ...p.functions.map((f) => [f.name, ms(f.selfMs), `${f.percent.toFixed(1)}%`, f.where]),
      ]),
    );
  }
  return `${out.join('\n')}\n`;
}

function sourceLine(src: Source): string {
  const changed = src.changedSrcFiles;
  return changed.length === 0
    ? `commit ${src.commit}`
    : `commit ${src.commit} with uncommitted changes to ${changed.join(', ')}`;
}

function mdTable(rows: string[][]): string {
  const [head, ...body] = rows;
  if (!head) return '';
  const esc = (c: string) => c.replaceAll('|', '\\|');
  return [
    `| ${head.map(esc).join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...body.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

export function renderMarkdown(res: BenchResults): string {
  const m = res.machine;
  const out: string[] = [
    `# memlens bench: ${res.date}`,
    '',
    'Produced by `npm run bench` (bench/run.ts); the raw numbers are in the JSON file of the same run.',
    'Contenders of a group ran interleaved round-robin on the same processes; medians and p90 in ms.',
    '',
    mdTable([
      ['machine', ''],
      ['cpus', `${m.nproc} (${m.cpu})`],
      ['kernel', m.kernel],
      ['node', m.node],
      ['RAM', `${m.memTotalMiB} MiB`],
      [
        'processes during the run',
        `${m.processesDuringRun} (${m.processesBefore} before the bench started its own)`,
      ],
      [
        'load average',
        `${m.loadAvgStart.map((l) => l.toFixed(2)).join(' ')} -> ${m.loadAvgEnd.map((l) => l.toFixed(2)).join(' ')}`,
      ],
      ['run took', `${Math.round(res.durationSec)} s`],
      ['source', sourceLine(res.source)],
    ]),
  ];
  for (const s of res.sections) {
    out.push('', `## ${s.title}`);
    if (s.figures?.length) out.push('', '### Figures and targets', '', mdTable(figureRows(s.figures)));
    if (s.comparisons.length > 0) {
      out.push('', '### Targets and ratios', '');
      out.push(
        mdTable([
          ['comparison', 'ratio of medians', 'verdict'],
          ...s.comparisons.map((c) => [c.what, times(c.ratio), verdict(c)]),
        ]),
      );
    }
    for (const g of s.groups) out.push('', `### ${g.title}`, '', mdTable(measuredRows(g.measured)));
    if (s.phases.length > 0) {
      out.push('', '### Phases of memlens (in-process, one after another)', '');
      out.push(
        mdTable([
          ['phase', 'median ms', 'p90 ms', 'n', 'note'],
          ...s.phases.map((p) => [
            p.name,
            ms(p.stats?.medianMs),
            ms(p.stats?.p90Ms),
            String(p.stats?.n ?? 0),
            p.note ?? '',
          ]),
        ]),
      );
    }
    if (s.notes.length > 0) out.push('', ...s.notes.map((n) => `- ${n}`));
  }
  if (res.watch) out.push('', watchMarkdown(res.watch));
  for (const p of res.profiles) {
    out.push(
      '',
      `## Where the time goes: \`${p.command}\``,
      '',
      `CPU profile, ${ms(p.totalMs)} ms sampled.`,
      '',
    );
    out.push(
      mdTable([
        ['area', 'self ms', 'share'],
        ...p.areas.map((a) => [a.name, ms(a.selfMs), `${a.percent.toFixed(1)}%`]),
      ]),
    );
    out.push('');
    out.push(
      mdTable([
        ['function (top self time)', 'self ms', 'share', 'where'],
        ...p.functions.map((f) => [`\`${f.name}\``, ms(f.selfMs), `${f.percent.toFixed(1)}%`, f.where]),
      ]),
    );
  }
  return `${out.join('\n')}\n`;
}

/** Writes <dir>/<date>-ps-maps.json and <dir>/latest.md; returns their paths. */
export function writeResults(dir: string, res: BenchResults): string[] {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${res.date.slice(0, 10)}-ps-maps.json`);
  const md = join(dir, 'latest.md');
  writeFileSync(json, `${JSON.stringify(res, null, 2)}\n`);
  writeFileSync(md, renderMarkdown(res));
  return [json, md];
}

// The cost of `memlens watch` (bench/watch.bench.ts): long-running processes measured every second.

function pct(x: number | null | undefined): string {
  if (x === null || x === undefined) return '-';
  return x < 10 ? x.toFixed(2) : x.toFixed(1);
}

function mib(bytes: number | null | undefined): string {
  return bytes === null || bytes === undefined ? '-' : (bytes / 2 ** 20).toFixed(1);
}

function sec(x: number | null | undefined): string {
  return x === null || x === undefined ? '-' : x.toFixed(3);
}

function watchRows(run: WatchRun): string[][] {
  return [
    [
      'contender',
      'CPU% median',
      'p90',
      'max',
      'CPU% median (ns)',
      'p90 (ns)',
      'max (ns)',
      'CPU s total',
      'CPU s 1st s',
      'CPU s at ready',
      'CPU% after 1st s',
      '(ns)',
      'RSS MiB median',
      'max',
      'VmHWM',
      'ended',
    ],
    ...run.contenders.map((c) => [
      c.id,
      pct(c.cpu?.medianPercent),
      pct(c.cpu?.p90Percent),
      pct(c.cpu?.maxPercent),
      pct(c.cpuPrecise?.medianPercent),
      pct(c.cpuPrecise?.p90Percent),
      pct(c.cpuPrecise?.maxPercent),
      sec(c.totalCpuSec),
      sec(c.firstSecondCpuSec),
      sec(c.readyCpuSec),
      pct(c.steadyPercent),
      pct(c.steadyPrecisePercent),
      mib(c.rssMedianBytes),
      mib(c.rssMaxBytes),
      mib(c.hwmBytes),
      `${c.exit} after ${c.observedSec.toFixed(1)} s${c.note ? `; ${c.note}` : ''}`,
    ]),
  ];
}

function targetText(t: WatchTarget | undefined): string {
  return t?.unit === '%' ? `${pct(t?.value)}%` : `${mib(t?.value)} MiB`;
}

function targetRows(run: WatchRun): string[][] {
  return [
    ['target', 'measured', 'verdict'],
    ...run.targets.map((t) => {
      const limit = t.unit === '%' ? `< ${t.limit}% of one core` : `< ${mib(t.limit)} MiB`;
      const verdict = t.met === null ? `not measured (${limit})` : `${t.met ? 'MET' : 'MISSED'} (${limit})`;
      return [t.what, targetText(t), verdict];
    }),
  ];
}

function phaseRows(phases: Phase[]): string[][] {
  return [
    ['phase', 'median ms', 'p90 ms', 'n', 'note'],
    ...phases.map((p) => [
      p.name,
      ms(p.stats?.medianMs),
      ms(p.stats?.p90Ms),
      String(p.stats?.n ?? 0),
      p.note ?? '',
    ]),
  ];
}

function ratioRows(run: WatchRun): string[][] {
  return [['memlens watch / peer', 'ratio', ''], ...run.ratios.map((r) => [r.what, times(r.ratio), ''])];
}

/** Whether each target was met in every run. */
function watchOverall(w: WatchCostSection): string[] {
  const names = w.runs[0]?.targets.map((t) => t.what) ?? [];
  return names.map((name) => {
    const all = w.runs.map((r) => r.targets.find((t) => t.what === name));
    const met = all.filter((t) => t?.met === true).length;
    const verdict = met === all.length ? 'MET' : 'MISSED';
    return `${name}: ${verdict} in ${met} of ${all.length} runs (${all.map(targetText).join(', ')})`;
  });
}

function runHeading(w: WatchCostSection, run: WatchRun): string {
  return (
    `run ${run.index} of ${w.runs.length} (${w.durationSec} s; watched process RSS ` +
    `${mib(run.targetRssBytes.before)} -> ${mib(run.targetRssBytes.after)} MiB)`
  );
}

export function watchText(w: WatchCostSection): string {
  const out: string[] = [`== ${w.title} ==`, '', '-- targets over all runs', ...watchOverall(w)];
  for (const run of w.runs) {
    out.push('', `-- ${runHeading(w, run)}`, columns(watchRows(run)));
    out.push('', columns(targetRows(run)), '', columns(ratioRows(run)));
  }
  if (w.phases.length > 0) out.push('', '-- one tick, in-process', columns(phaseRows(w.phases)));
  for (const c of w.runs[0]?.contenders ?? []) out.push(`contender ${c.id}: ${c.label}`);
  for (const n of w.notes) out.push(`note: ${n}`);
  return out.join('\n');
}

export function watchMarkdown(w: WatchCostSection): string {
  const out: string[] = [`## ${w.title}`, '', '### Targets over all runs', ''];
  out.push(...watchOverall(w).map((l) => `- ${l}`));
  for (const run of w.runs) {
    out.push('', `### ${runHeading(w, run)}`, '', mdTable(watchRows(run)));
    out.push('', mdTable(targetRows(run)), '', mdTable(ratioRows(run).map((r) => r.slice(0, 2))));
  }
  if (w.phases.length > 0) out.push('', '### One tick, in-process', '', mdTable(phaseRows(w.phases)));
  out.push('');
  for (const c of w.runs[0]?.contenders ?? []) out.push(`- \`${c.id}\`: \`${c.label}\``);
  out.push(...w.notes.map((n) => `- ${n}`));
  return out.join('\n');
}

/**
 * Writes <dir>/<date>-<name>.json, and <dir>/latest.md when `latest` (a full run; a run of only
 * some of the benches leaves latest.md as it is). Returns the paths written.
 */
export function writeResultsAs(dir: string, res: BenchResults, name: string, latest: boolean): string[] {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${res.date.slice(0, 10)}-${name}.json`);
  writeFileSync(json, `${JSON.stringify(res, null, 2)}\n`);
  if (!latest) return [json];
  const md = join(dir, 'latest.md');
  writeFileSync(md, renderMarkdown(res));
  return [json, md];
}

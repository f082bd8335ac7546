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
    out.push('', '-- ratios of medians');
    out.push(
      columns([
        ['comparison', 'ratio', 'verdict'],
        ...s.comparisons.map((c) => [`${c.what}`, times(c.ratio), verdict(c)]),
      ]),
    );
    for (const n of s.notes) out.push(`note: ${n}`);
  }
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
    out.push('', `## ${s.title}`, '', '### Targets and ratios', '');
    out.push(
      mdTable([
        ['comparison', 'ratio of medians', 'verdict'],
        ...s.comparisons.map((c) => [c.what, times(c.ratio), verdict(c)]),
      ]),
    );
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

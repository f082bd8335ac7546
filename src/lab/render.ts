// The human output of `memlens demo`: a header, then each step as it completes (a table of the
// numbers read, what was expected, ✓ or ✗), then one line of verdict. Plain text, no colour, like
// the other commands; widths fit 110 columns.
import { formatBytes } from '../analysis/format.js';
import { renderTable } from '../cli/render/table.js';
import type { OomKill } from '../procfs/oom_kills.js';
import { describeExpectation, formatChange, formatValue } from './expect.js';
import type { Demo } from './lab.js';
import type { DemoReport, DemoStep, Reading } from './types.js';

const WIDTH = 100;

/** Words wrapped to `width`, each line after the first indented like the first. */
export function wrap(text: string, indent: string, width = WIDTH): string {
  const lines: string[] = [];
  let line = '';
  // A size and its unit stay on one line ("64 MiB").
  const words: string[] = [];
  for (const w of text.split(/\s+/).filter(Boolean)) {
    if (/^[KMGTP]?i?B\b/.test(w) && /\d$/.test(words[words.length - 1] ?? ''))
      words[words.length - 1] += ` ${w}`;
    else words.push(w);
  }
  for (const word of words) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(indent + line);
  return lines.join('\n');
}

export function renderHeader(demo: Demo, sizeBytes: number): string {
  return (
    `memlens demo ${demo.name}: ${demo.title}\n` +
    `${wrap(demo.intro, '  ')}\n` +
    `  Size ${formatBytes(sizeBytes)} (change it with --size). EXPECTED is what the kernel should produce:\n` +
    '  a change, or after "=" a value, with the tolerance the demo allows; ✓ when it did.\n'
  );
}

function cell(value: number | null, r: Reading): string {
  return value === null ? '-' : formatValue(value, r.unit);
}

export function renderStep(step: DemoStep, total?: number): string {
  const out: string[] = [];
  out.push(`Step ${step.step}${total ? ` of ${total}` : ''}: ${step.action}`);
  const table = renderTable(
    [
      { header: '', align: 'left', value: (r: Reading) => r.label },
      { header: 'BEFORE', value: (r) => cell(r.before, r) },
      { header: 'AFTER', value: (r) => cell(r.after, r) },
      { header: 'CHANGE', value: (r) => (r.change === null ? '' : formatChange(r.change, r.unit)) },
      {
        header: 'EXPECTED',
        align: 'left',
        value: (r) => (r.expectation ? describeExpectation(r.expectation, r.unit) : ''),
      },
      { header: '', align: 'left', value: (r) => (r.expectation ? (r.expectation.met ? '✓' : '✗') : '') },
      { header: 'FROM', align: 'left', value: (r) => r.source },
    ],
    step.readings,
  );
  out.push(
    table
      .split('\n')
      .map((l) => `    ${l}`.trimEnd())
      .join('\n'),
  );
  out.push(wrap(step.explanation, '    '));
  if (step.oomKill) out.push(renderKill(step.oomKill));
  for (const note of step.notes) out.push(wrap(`Note: ${note}`, '    '));
  return `${out.join('\n')}\n`;
}

/** The kill as the "Recent OOM kills" table of `memlens oom` shows it. */
function renderKill(k: OomKill): string {
  const size = (b: number | null) => (b === null ? '-' : formatBytes(b));
  const table = renderTable(
    [
      {
        header: 'TIME',
        align: 'left',
        value: (x: OomKill) => x.time ?? `${x.monotonicSec.toFixed(0)}s after boot`,
      },
      { header: 'PID', value: (x) => String(x.pid) },
      { header: 'NAME', align: 'left', value: (x) => x.name },
      { header: 'CONSTRAINT', align: 'left', value: (x) => x.constraint ?? '-' },
      { header: 'OOM_MEMCG', align: 'left', value: (x) => x.oomMemcg ?? '-' },
      { header: 'ANON', value: (x) => size(x.anonRssBytes) },
      { header: 'FILE', value: (x) => size(x.fileRssBytes) },
      { header: 'SHMEM', value: (x) => size(x.shmemRssBytes) },
    ],
    [k],
  );
  return `    The kernel log, as memlens oom reports it:\n${table
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n')}`;
}

export function renderSummary(report: DemoReport): string {
  const { met, total } = report.expectations;
  const lines: string[] = [];
  for (const note of report.notes) lines.push(wrap(note, '  '));
  if (report.passed) {
    lines.push(`✓ The kernel did what the lesson says: all ${total} expectations met.`);
  } else {
    const missed = report.steps.flatMap((s) =>
      s.readings.filter((r) => r.expectation && !r.expectation.met).map((r) => `step ${s.step} ${r.label}`),
    );
    lines.push(
      `✗ ${total - met} of ${total} expectations not met (${missed.join(', ')}): see the notes above.`,
    );
  }
  const removed = [
    ...report.created.processes.map((p) => `${p.role} (pid ${p.pid})`),
    ...report.created.files,
    ...report.created.cgroups.map((c) => `cgroup ${c}`),
  ];
  if (removed.length > 0) lines.push(wrap(`Cleaned up: ${removed.join(', ')}.`, '  ').trimStart());
  return `${lines.join('\n')}\n`;
}

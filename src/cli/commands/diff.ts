// memlens diff: what changed between two snapshots of a process, in figures and in a sentence.
// Reads only the two files, never /proc: snapshots can be compared on another machine.
import { closeSync, openSync } from 'node:fs';
import {
  type CategoryChange,
  type Change,
  diffSnapshots,
  formatElapsed,
  type RegionChange,
  type SnapshotDiff,
  SnapshotFormatError,
} from '../../analysis/diff.js';
import {
  formatLimit,
  JsonDepthError,
  MiB,
  parseBoundedJson,
  readBounded,
} from '../../files/bounded-input.js';
import type { GlobalOptions } from '../context.js';
import { RuntimeError, UsageError } from '../errors.js';
import { type Column, renderTable } from '../render/table.js';
import { printText } from '../render/terminal.js';
import { compactBytes } from '../render/units.js';

interface DiffCliOptions {
  all?: boolean;
  json?: boolean;
}

/** Rows of the region table in text output; --json and --all list every one. */
const TABLE_REGIONS = 20;

export async function runDiff(
  fileA: string,
  fileB: string,
  opts: DiffCliOptions,
  _globals: GlobalOptions,
): Promise<void> {
  const a = readSnapshotJson(fileA);
  const b = readSnapshotJson(fileB);
  let diff: SnapshotDiff;
  try {
    diff = diffSnapshots(a, b, opts.all ? { minRssBytes: 1, minSizeBytes: 1 } : {});
  } catch (err) {
    if (err instanceof SnapshotFormatError) {
      throw new UsageError(
        `"${err.which === 'b' ? fileB : fileA}" is not a memlens snapshot: ${err.message}`,
      );
    }
    throw err;
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(diff, null, 2)}\n`);
  else printText(diff, (d) => renderDiff(d, opts.all === true));
}

/**
 * The most a snapshot file may be. A region takes 400 to 500 bytes, so a process at the default
 * vm.max_map_count (65,530 mappings) makes a snapshot of about 30 MiB; a file larger than this
 * is not a snapshot, and reading stops there (/dev/zero, a pipe that never ends).
 */
const SNAPSHOT_MAX_BYTES = 64 * MiB;

/** Unreadable is a runtime failure (exit 1); readable but not a snapshot is a wrong argument (exit 2). */
function readSnapshotJson(file: string): unknown {
  const notSnapshot = (why: string) => new UsageError(`"${file}" is not a memlens snapshot: ${why}`);
  const tooBig = () => notSnapshot(`it is larger than ${formatLimit(SNAPSHOT_MAX_BYTES)}`);
  let text: string;
  try {
    const fd = openSync(file, 'r');
    try {
      const bytes = readBounded(fd, SNAPSHOT_MAX_BYTES);
      if (bytes === null) throw tooBig();
      text = bytes.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a folder'
            : (err as Error).message;
    throw new RuntimeError(`cannot read "${file}": ${why}`);
  }
  try {
    return parseBoundedJson(text);
  } catch (err) {
    if (err instanceof JsonDepthError) throw notSnapshot(err.message);
    // JSON.parse quotes the text it choked on, newlines and all; the error must stay one line.
    const why = (err as Error).message.replace(/\s+/g, ' ').slice(0, 100);
    throw notSnapshot(`it is not JSON (${why})`);
  }
}

const signed = (n: number | null) => (n !== null && n > 0 ? `+${compactBytes(n)}` : compactBytes(n));

const TOTALS: [string, keyof SnapshotDiff['totals']][] = [
  ['VIRT', 'vszBytes'],
  ['RSS', 'rssBytes'],
  ['PSS', 'pssBytes'],
  ['USS', 'ussBytes'],
  ['SWAP', 'swapBytes'],
];

const CATEGORY_COLUMNS: Column<CategoryChange>[] = [
  { header: 'CATEGORY', align: 'left', value: (c) => c.label },
  { header: 'REGIONS', value: (c) => (c.regionsDelta > 0 ? `+${c.regionsDelta}` : String(c.regionsDelta)) },
  { header: 'SIZE', value: (c) => signed(c.sizeDeltaBytes) },
  { header: 'RSS', value: (c) => signed(c.rssDeltaBytes) },
  { header: 'PSS', value: (c) => signed(c.pssDeltaBytes) },
];

const REGION_COLUMNS: Column<RegionChange>[] = [
  { header: 'CHANGE', align: 'left', value: (r) => r.change },
  { header: 'START', align: 'left', value: (r) => r.start.slice(2) },
  { header: 'END', align: 'left', value: (r) => r.end.slice(2) },
  { header: 'CATEGORY', align: 'left', value: (r) => r.category },
  { header: 'SIZE', value: (r) => signed(r.sizeDeltaBytes) },
  { header: 'RSS', value: (r) => signed(r.rssDeltaBytes) },
  { header: 'PSS', value: (r) => signed(r.pssDeltaBytes) },
  { header: 'PATH', align: 'left', value: (r) => r.path },
];

function who(s: SnapshotDiff['a']): string {
  return `${s.name} (pid ${s.pid})`;
}

function renderDiff(d: SnapshotDiff, all: boolean): string {
  const out: string[] = [];
  const same = d.sameProcess ? who(d.a) : `${who(d.a)} -> ${who(d.b)}`;
  out.push(`${same}: ${d.a.capturedAt} -> ${d.b.capturedAt} (${formatElapsed(d.elapsedSec)} apart)`);
  for (const w of d.warnings) out.push(`warning: ${w}`);
  out.push('');
  out.push(
    renderTable<[string, Change]>(
      [
        { header: '', align: 'left', value: ([label]) => label },
        { header: 'BEFORE', value: ([, c]) => compactBytes(c.before) },
        { header: 'AFTER', value: ([, c]) => compactBytes(c.after) },
        { header: 'CHANGE', value: ([, c]) => signed(c.delta) },
      ],
      TOTALS.map(([label, key]) => [label, d.totals[key]]),
    ),
  );
  const categories = d.categories.filter(
    (c) => c.sizeDeltaBytes || c.rssDeltaBytes || c.pssDeltaBytes || c.regionsDelta,
  );
  if (categories.length > 0) {
    out.push('', 'By category', renderTable(CATEGORY_COLUMNS, categories));
  }
  const shown = all ? d.regions : d.regions.slice(0, TABLE_REGIONS);
  if (shown.length > 0) {
    out.push('', 'Regions, largest change in RSS first', renderTable(REGION_COLUMNS, shown));
  }
  const more = d.regions.length - shown.length;
  if (more > 0 || d.hiddenRegions > 0) {
    const notes = [
      more > 0 ? `${more} more regions` : '',
      d.hiddenRegions > 0 ? `${d.hiddenRegions} smaller changes` : '',
    ].filter(Boolean);
    out.push(`(${notes.join(' and ')} not shown: --all lists them)`);
  }
  const s = d.threadStacks;
  const count = s.after - s.before;
  out.push('');
  out.push(
    `Thread stacks: ${s.before} -> ${s.after} (${count > 0 ? '+' : ''}${count}), ` +
      `${signed(s.sizeDeltaBytes)} VIRT, ${signed(s.rssDeltaBytes)} RSS`,
  );
  out.push('', 'Summary', d.summary);
  return `${out.join('\n')}\n`;
}

// `memlens maps` on a process with 50,000 mappings (test/children/manymaps.c), against `pmap -X`
// and `cat /proc/PID/smaps`; and in-process, readSmaps against the raw read of the same file.
import { categorizeRegions } from '../src/analysis/regions.js';
import { renderTable } from '../src/cli/render/table.js';
import { compactBytes } from '../src/cli/render/units.js';
import { createProcFs } from '../src/procfs/fs.js';
import { parseSmaps, readSmaps } from '../src/procfs/smaps.js';
import { type MapsRegion, toMapsRegion } from '../src/reports/maps.js';
import { readRaw } from './floor.js';
import { compare, type Phase, type Section } from './report.js';
import { type Contender, command, roundRobin, summarize, timeMs, yieldToEvents } from './timing.js';

export interface MapsBenchOptions {
  cli: string;
  pid: number;
  mappings: number;
  warmup: number;
  reps: number;
  inProcessReps: number;
  /** A memlens command slower than this is killed and reported as not finished. */
  commandTimeoutMs: number;
  log: (line: string) => void;
}

const bytesCell = (k: keyof MapsRegion) => (r: MapsRegion) => compactBytes(r[k] as number | null);

// The columns of the maps table (src/cli/commands/maps.ts), so the render phase costs about what the command's does.
const MAPS_COLUMNS = [
  ...(['start', 'end', 'perms', 'offset', 'device', 'inode', 'category'] as const).map((k) => ({
    header: k,
    value: (r: MapsRegion) => String(r[k]),
  })),
  ...(
    [
      'sizeBytes',
      'rssBytes',
      'pssBytes',
      'privateCleanBytes',
      'privateDirtyBytes',
      'sharedCleanBytes',
      'sharedDirtyBytes',
      'swapBytes',
      'anonHugePagesBytes',
      'lazyFreeBytes',
    ] as const
  ).map((k) => ({ header: k, value: bytesCell(k) })),
  { header: 'PATH', align: 'left' as const, value: (r: MapsRegion) => r.path },
];

/** Times each step of `memlens maps` one after another on the same smaps text. */
async function phases(pid: number, reps: number, log: (line: string) => void): Promise<Phase[]> {
  const fs = createProcFs('/');
  const path = `/proc/${pid}/smaps`;
  const out: Record<string, number[]> = {};
  const add = (name: string, ms: number) => {
    out[name] ??= [];
    out[name].push(ms);
  };
  let rows: MapsRegion[] = [];
  for (let i = 0; i < reps; i++) {
    await yieldToEvents();
    let text = '';
    add(
      'read smaps as text (fs.readText)',
      timeMs(() => (text = fs.readText(`proc/${pid}/smaps`, pid))),
    );
    let smaps = parseSmaps(text, path);
    add(
      'parseSmaps',
      timeMs(() => (smaps = parseSmaps(text, path))),
    );
    let regions = categorizeRegions(smaps.regions, { exePath: null });
    add(
      'categorizeRegions',
      timeMs(() => (regions = categorizeRegions(smaps.regions, { exePath: null }))),
    );
    add(
      'toMapsRegion (JSON shape)',
      timeMs(() => (rows = regions.map((r) => toMapsRegion(r, smaps.keys)))),
    );
    add(
      'JSON.stringify',
      timeMs(() => JSON.stringify({ pid, name: 'manymaps', regions: rows })),
    );
  }
  const list: Phase[] = Object.entries(out).map(([name, samples]) => ({ name, stats: summarize(samples) }));
  // Rendering is timed at growing sizes, so a renderer that grows faster than the rows shows it
  // (cli-table3 was quadratic) without a run that never ends: the ladder stops past 3 s.
  let previous: { n: number; ms: number } | null = null;
  for (const n of [1000, 4000, 16000, rows.length]) {
    if (n > rows.length) continue;
    await yieldToEvents();
    log(`maps: rendering a ${n}-row table`);
    const first = timeMs(() => renderTable(MAPS_COLUMNS, rows.slice(0, n)));
    const samples =
      first < 1000 ? [first, timeMs(() => renderTable(MAPS_COLUMNS, rows.slice(0, n)))] : [first];
    const stats = summarize(samples);
    list.push({ name: `renderTable, ${n} rows (18 columns)`, stats });
    const ms = stats?.medianMs ?? first;
    if (ms > 3000 && n < rows.length) {
      const growth = previous ? Math.log(ms / previous.ms) / Math.log(n / previous.n) : 1;
      const estimate = ms * (rows.length / n) ** growth;
      list.push({
        name: `renderTable, ${rows.length} rows`,
        stats: null,
        note: `not run: time grows as rows^${growth.toFixed(1)}, about ${Math.round(estimate / 1000)} s expected`,
      });
      break;
    }
    previous = { n, ms };
  }
  return list;
}

export async function benchMaps(opts: MapsBenchOptions): Promise<Section> {
  const { pid, cli } = opts;
  const fs = createProcFs('/');
  const smapsPath = `/proc/${pid}/smaps`;
  const smapsBytes = readRaw(smapsPath);
  const notes = [
    `Target process: test/children/manymaps.c with ${opts.mappings} one-page mappings (pid ${pid}); ` +
      `its smaps is ${(smapsBytes / 1e6).toFixed(1)} MB.`,
  ];

  opts.log(`maps: in-process, ${opts.inProcessReps} rounds`);
  const inProcess: Contender[] = [
    { id: 'raw', label: 'raw read of smaps (bytes, no decoding)', run: () => void readRaw(smapsPath) },
    {
      id: 'text',
      label: 'read smaps as text (fs.readText)',
      run: () => void fs.readText(`proc/${pid}/smaps`, pid),
    },
    { id: 'readSmaps', label: 'readSmaps (read + parse)', run: () => void readSmaps(fs, pid) },
  ];
  const inMeasured = await roundRobin(inProcess, { warmup: 2, reps: opts.inProcessReps });

  const memlens = (id: string, args: string[]) =>
    command(id, [process.execPath, cli, 'maps', String(pid), ...args], opts.commandTimeoutMs);
  const commands: Contender[] = [
    command('cat', ['cat', smapsPath]),
    command('pmap', ['pmap', '-X', String(pid)]),
    memlens('memlens-maps-json', ['--json']),
    memlens('memlens-maps-top', ['--top', '10']),
    memlens('memlens-maps', []),
  ];
  for (const c of commands)
    c.label = c.label.replace(process.execPath, 'node').replace(cli, 'dist/cli/main.js');
  opts.log(`maps: whole commands, ${opts.reps} rounds after ${opts.warmup} warm-up`);
  const cmdMeasured = await roundRobin(commands, {
    warmup: opts.warmup,
    reps: opts.reps,
    onRound: (r, n) => {
      if (r % 5 === 0 || r === n) opts.log(`  round ${r}/${n}`);
    },
  });

  opts.log('maps: phases');
  const phaseList = await phases(pid, Math.max(3, Math.round(opts.inProcessReps / 2)), opts.log);
  notes.push(
    '`memlens maps PID --top 10` reads, parses, categorizes and sorts every region like the table does, ' +
      'but renders ten rows: the difference to the table is the cost of rendering.',
  );

  return {
    title: `memlens maps on a process with ${opts.mappings} mappings`,
    groups: [
      { title: 'In-process (same Node process, interleaved)', measured: inMeasured },
      { title: 'Whole commands (spawned, wall time, stdout to /dev/null)', measured: cmdMeasured },
    ],
    comparisons: [
      compare('memlens maps (table) vs pmap -X', cmdMeasured, 'memlens-maps', 'pmap', 1, '< 1x (faster)'),
      compare('memlens maps (table) vs cat smaps', cmdMeasured, 'memlens-maps', 'cat', 1.5, '<= 1.5x'),
      compare('memlens maps --json vs pmap -X', cmdMeasured, 'memlens-maps-json', 'pmap', 1, '< 1x (faster)'),
      compare('memlens maps --json vs cat smaps', cmdMeasured, 'memlens-maps-json', 'cat', 1.5, '<= 1.5x'),
      compare('memlens maps --top 10 vs cat smaps', cmdMeasured, 'memlens-maps-top', 'cat'),
      compare('readSmaps vs raw read (in-process)', inMeasured, 'readSmaps', 'raw'),
      compare('read as text vs raw read (in-process)', inMeasured, 'text', 'raw'),
    ],
    phases: phaseList,
    notes,
  };
}

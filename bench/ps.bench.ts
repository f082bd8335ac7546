// `memlens ps`, a full scan with PSS: in-process against the floor (the same files, unparsed), and
// as a whole command against `ps -eo pid,rss,pss,uss` and smem.
import { existsSync } from 'node:fs';
import { renderTable } from '../src/cli/render/table.js';
import { compactBytes, orDash, percent } from '../src/cli/render/units.js';
import { cgroupLimits, scanProcesses } from '../src/collect/scan.js';
import { loadUserNames } from '../src/collect/users.js';
import { createProcFs, type ProcFs } from '../src/procfs/fs.js';
import { readMeminfo } from '../src/procfs/meminfo.js';
import { buildPsReport, type PsProcess, type PsReport, toPsProcess } from '../src/reports/ps.js';
import { floorOnce, floorScan, PS_FILES, recordingFs, SCAN_FILES } from './floor.js';
import { processCount } from './population.js';
import { compare, type Phase, type Section } from './report.js';
import { type Contender, command, roundRobin, skipped, summarize, timeMs, yieldToEvents } from './timing.js';

export interface PsBenchOptions {
  cli: string;
  warmup: number;
  reps: number;
  inProcessReps: number;
  log: (line: string) => void;
}

const PS_OPTIONS = { sort: 'pss', top: null, user: null, name: null, group: false } as const;

/** What `memlens ps` computes before it prints (src/cli/commands/ps.ts, without the output). */
function collectPs(fs: ProcFs): PsReport {
  const meminfo = readMeminfo(fs);
  const users = loadUserNames(fs);
  const limits = cgroupLimits(fs);
  const { processes } = scanProcesses(fs, { rollup: true, oom: true });
  const rows = processes.map((p) => toPsProcess(p, users, limits, meminfo.memTotalBytes));
  return buildPsReport(rows, meminfo.memTotalBytes, PS_OPTIONS);
}

// The same eleven columns as the ps table, so the render phase costs what the command's does.
const PS_COLUMNS = [
  { header: 'PID', value: (p: PsProcess) => String(p.pid) },
  { header: 'USER', align: 'left' as const, value: (p: PsProcess) => orDash(p.user) },
  { header: 'NAME', align: 'left' as const, value: (p: PsProcess) => p.name },
  ...(['vszBytes', 'rssBytes', 'pssBytes', 'ussBytes', 'sharedBytes', 'swapBytes'] as const).map((k) => ({
    header: k,
    value: (p: PsProcess) => compactBytes(p[k]),
  })),
  { header: '%MEM', value: (p: PsProcess) => percent(p.memPercent) },
  { header: 'OOM', value: (p: PsProcess) => orDash(p.oomScore) },
];

async function phases(fs: ProcFs, reps: number): Promise<Phase[]> {
  const names = [
    'meminfo, passwd, mountinfo',
    'scan (stat, status, smaps_rollup, oom)',
    'rows (cgroup of each)',
    'report (totals, sort)',
    'JSON.stringify',
    'table (renderTable)',
  ];
  const samples: number[][] = names.map(() => []);
  for (let i = 0; i < reps; i++) {
    await yieldToEvents();
    let meminfo = readMeminfo(fs);
    let users = loadUserNames(fs);
    let limits = cgroupLimits(fs);
    samples[0]?.push(
      timeMs(() => {
        meminfo = readMeminfo(fs);
        users = loadUserNames(fs);
        limits = cgroupLimits(fs);
      }),
    );
    let processes = scanProcesses(fs, { rollup: true, oom: true }).processes;
    samples[1]?.push(timeMs(() => (processes = scanProcesses(fs, { rollup: true, oom: true }).processes)));
    let rows: PsProcess[] = [];
    samples[2]?.push(
      timeMs(() => (rows = processes.map((p) => toPsProcess(p, users, limits, meminfo.memTotalBytes)))),
    );
    let report: PsReport | null = null;
    samples[3]?.push(timeMs(() => (report = buildPsReport(rows, meminfo.memTotalBytes, PS_OPTIONS))));
    samples[4]?.push(timeMs(() => JSON.stringify(report, null, 2)));
    samples[5]?.push(timeMs(() => renderTable(PS_COLUMNS, (report as PsReport | null)?.processes ?? [])));
  }
  return names.map((name, i) => ({ name, stats: summarize(samples[i] ?? []) }));
}

export async function benchPs(opts: PsBenchOptions): Promise<{ section: Section; processesSeen: number[] }> {
  const fs = createProcFs('/');
  const notes: string[] = [];
  const processesSeen: number[] = [processCount()];

  // Which files memlens reads, recorded from one real collection: the floor must read the same.
  const rec = recordingFs(fs);
  collectPs(rec.fs);
  const seen = rec.recording();
  const once = seen.once;
  const perProcess = [...seen.perProcess].map(([f, n]) => `${f} x${n}`).join(', ');
  notes.push(
    `memlens ps read per process (average over ${seen.pids}): ${perProcess}; once: ${once.join(', ')}.`,
  );
  const expected = new Set(['stat', ...PS_FILES]);
  const extra = [...seen.perProcess.keys()].filter((f) => !expected.has(f));
  if (extra.length > 0) notes.push(`memlens read per-process files the floor does not: ${extra.join(', ')}.`);
  notes.push(
    'The floor opens stat, reads it, reads the other files with open/read/close into one reused buffer, ' +
      're-reads stat through the same fd and closes it; no decoding, no parsing.',
  );

  opts.log(`ps: in-process, ${opts.inProcessReps} rounds`);
  const inProcess: Contender[] = [
    {
      id: 'scan',
      label: 'scanProcesses(rollup, oom)',
      run: () => void scanProcesses(fs, { rollup: true, oom: true }),
    },
    { id: 'floor-scan', label: 'floor: the same files as the scan', run: () => void floorScan(SCAN_FILES) },
    {
      id: 'collect',
      label: 'memlens ps, all it reads and computes (no output)',
      run: () => void collectPs(fs),
    },
    {
      id: 'floor-ps',
      label: 'floor: the same files as memlens ps (+ cgroup, once-files)',
      run: () => void (floorOnce(once) + floorScan(PS_FILES)),
    },
  ];
  const inMeasured = await roundRobin(inProcess, { warmup: 3, reps: opts.inProcessReps });
  processesSeen.push(processCount());

  const cli = opts.cli;
  const smem = existsSync('/usr/bin/smem')
    ? command('smem', ['/usr/bin/smem'])
    : skipped('smem', 'smem', 'skipped: smem not installed (apt-get install -y smem)');
  const commands: Contender[] = [
    command('true', ['/bin/true']),
    command('node-e-0', [process.execPath, '-e', '0']),
    command('memlens-version', [process.execPath, cli, '--version']),
    command('memlens-ps', [process.execPath, cli, 'ps']),
    command('memlens-ps-json', [process.execPath, cli, 'ps', '--json']),
    command('ps', ['ps', '-eo', 'pid,rss,pss,uss']),
    smem,
  ];
  // Show the node executable as "node" and the CLI by its path in the project.
  for (const c of commands)
    c.label = c.label.replace(process.execPath, 'node').replace(cli, 'dist/cli/main.js');
  opts.log(`ps: whole commands, ${opts.reps} rounds after ${opts.warmup} warm-up`);
  const cmdMeasured = await roundRobin(commands, {
    warmup: opts.warmup,
    reps: opts.reps,
    onRound: (r, n) => {
      if (r % 5 === 0 || r === n) opts.log(`  round ${r}/${n}`);
    },
  });
  processesSeen.push(processCount());

  opts.log('ps: phases');
  const phaseList = await phases(fs, opts.inProcessReps);

  const comparisons = [
    compare('scanProcesses vs floor (in-process)', inMeasured, 'scan', 'floor-scan', 1.3, '<= 1.3x'),
    compare(
      'memlens ps, all it reads and computes, vs its floor (in-process)',
      inMeasured,
      'collect',
      'floor-ps',
      1.3,
      '<= 1.3x',
    ),
    compare('memlens ps vs ps -eo pid,rss,pss,uss', cmdMeasured, 'memlens-ps', 'ps', 1, '<= 1x (no slower)'),
    compare(
      'memlens ps --json vs ps -eo pid,rss,pss,uss',
      cmdMeasured,
      'memlens-ps-json',
      'ps',
      1,
      '<= 1x (no slower)',
    ),
    compare('memlens ps vs smem', cmdMeasured, 'memlens-ps', 'smem'),
    compare('node -e 0 vs ps -eo pid,rss,pss,uss (Node start alone)', cmdMeasured, 'node-e-0', 'ps'),
    compare('memlens ps vs node -e 0', cmdMeasured, 'memlens-ps', 'node-e-0'),
    compare(
      'memlens --version vs node -e 0 (loading main.js and commander)',
      cmdMeasured,
      'memlens-version',
      'node-e-0',
    ),
  ];
  const med = (id: string) => cmdMeasured.find((m) => m.id === id)?.stats?.medianMs ?? null;
  const nodeStart = med('node-e-0');
  const memlensPs = med('memlens-ps');
  const spawnOnly = med('true');
  const psMedian = med('ps');
  if (nodeStart !== null && memlensPs !== null && psMedian !== null) {
    comparisons.push({
      what: "memlens ps minus Node's start (node -e 0) vs ps -eo pid,rss,pss,uss",
      a: 'memlens-ps - node-e-0',
      b: 'ps',
      ratio: (memlensPs - nodeStart) / psMedian,
      maxRatio: null,
      target: null,
      met: null,
    });
  }
  if (nodeStart !== null && memlensPs !== null && spawnOnly !== null) {
    notes.push(
      `Node's own start (node -e 0) is ${nodeStart.toFixed(1)} ms of memlens ps's ${memlensPs.toFixed(1)} ms; ` +
        `the rest, ${(memlensPs - nodeStart).toFixed(1)} ms, is memlens. Spawning /bin/true costs ${spawnOnly.toFixed(2)} ms ` +
        '(included in every command above).',
    );
  }
  return {
    section: {
      title: `memlens ps (full scan with PSS), ${processesSeen[1]} processes`,
      groups: [
        { title: 'In-process (same Node process, interleaved)', measured: inMeasured },
        { title: 'Whole commands (spawned, wall time, stdout to /dev/null)', measured: cmdMeasured },
      ],
      comparisons,
      phases: phaseList,
      notes,
    },
    processesSeen,
  };
}

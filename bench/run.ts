// `npm run bench`: memlens ps and memlens maps against their peers, side by side on the same
// processes. Starts a population of processes (and a 50,000-mapping child), measures, stops them
// all (also on error or Ctrl-C), prints a report and writes bench/results/.
//
//   npm run bench                 the full run (a few minutes)
//   npm run bench -- --quick      fewer repetitions, to try the harness
//   npm run bench -- --reps 30    repetitions of each spawned command (default 20)
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type ManyMapsInfo, startChild } from '../test/helpers/children.js';
import { benchMaps } from './maps.bench.js';
import { processCount, startPopulation } from './population.js';
import { type ProfileSummary, profileCommand } from './profile.js';
import { benchPs } from './ps.bench.js';
import { type BenchResults, renderText, type Source, writeResults } from './report.js';
import { interruption, yieldToEvents } from './timing.js';

const MAPPINGS = 50_000;

function option(name: string): number | null {
  const i = process.argv.indexOf(name);
  const value = i === -1 ? undefined : process.argv[i + 1];
  if (value === undefined) return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} takes a whole number, got "${value}"`);
  return n;
}

/** The commit measured, and which src/ files differed from it (the build is of the working tree). */
function source(): Source {
  const cwd = fileURLToPath(new URL('..', import.meta.url));
  const git = (...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
  try {
    const changed = git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean);
    return { commit: git('rev-parse', '--short', 'HEAD'), changedSrcFiles: changed.map((l) => l.slice(3)) };
  } catch {
    return { commit: 'unknown (not a git checkout)', changedSrcFiles: [] };
  }
}

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

const cleanups: (() => Promise<void>)[] = [];
async function cleanup(): Promise<void> {
  while (cleanups.length > 0) {
    const stop = cleanups.pop();
    await stop?.().catch((err: Error) => log(`while stopping: ${err.message}`));
  }
}

// The handler runs between two repetitions (they yield to the event loop); a second Ctrl-C ends
// the bench at once, and the processes it started then end as their stdin closes.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interruption.requested = true;
    log(`${signal}: stopping the processes the bench started`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  const started = Date.now();
  const quick = process.argv.includes('--quick');
  const reps = option('--reps') ?? (quick ? 5 : 20);
  const inProcessReps = quick ? 5 : 30;
  const warmup = quick ? 1 : 2;
  const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
  if (!existsSync(cli))
    throw new Error(`${cli} is missing: run "npm run build" (npm run bench does it first)`);

  const src = source();
  const processesBefore = processCount();
  const loadAvgStart = loadavg();
  log('starting the population (sleepers, node processes, layout children)');
  const population = await startPopulation({
    sleepers: quick ? 100 : 200,
    nodes: 4,
    nodeMiB: 32,
    layouts: 3,
  });
  cleanups.push(population.stop);
  log(`${population.added} processes added, ${processCount()} on the machine`);

  const ps = await benchPs({ cli, warmup, reps, inProcessReps, log });

  log(`starting manymaps with ${MAPPINGS} mappings`);
  const many = await startChild<ManyMapsInfo>('manymaps', [String(MAPPINGS)], { readyTimeoutMs: 60_000 });
  cleanups.push(many.stop);
  const maps = await benchMaps({
    cli,
    pid: many.info.pid,
    mappings: many.info.mappings,
    warmup: 1,
    reps: quick ? 3 : Math.max(5, Math.round(reps * 0.75)),
    inProcessReps: quick ? 3 : 15,
    commandTimeoutMs: 30_000,
    log,
  });

  log('profiling memlens ps and memlens maps once each under --cpu-prof');
  const profiles: ProfileSummary[] = [];
  for (const args of [
    ['ps'],
    ['ps', '--json'],
    ['maps', String(many.info.pid), '--json'],
    ['maps', String(many.info.pid)],
  ]) {
    await yieldToEvents();
    const p = profileCommand([cli, ...args]);
    if (p) profiles.push(p);
  }
  for (const p of profiles) p.command = p.command.replace(cli, 'dist/cli/main.js');

  const processesDuringRun = Math.max(...ps.processesSeen);
  await cleanup();

  const results: BenchResults = {
    date: new Date().toISOString(),
    durationSec: (Date.now() - started) / 1000,
    source: src,
    machine: {
      nproc: availableParallelism(),
      cpu: cpus()[0]?.model ?? 'unknown',
      kernel: release(),
      node: process.version,
      memTotalMiB: Math.round(totalmem() / 2 ** 20),
      processesBefore,
      processesDuringRun,
      loadAvgStart,
      loadAvgEnd: loadavg(),
    },
    sections: [ps.section, maps],
    profiles,
  };
  process.stdout.write(renderText(results));
  const written = writeResults(fileURLToPath(new URL('./results/', import.meta.url)), results);
  log(`wrote ${written.join(' and ')}`);
}

try {
  await main();
} catch (err) {
  if (!interruption.requested) log(`failed: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = interruption.requested ? 130 : 1;
} finally {
  await cleanup();
}

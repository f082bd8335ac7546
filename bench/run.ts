// `npm run bench`: memlens ps and memlens maps against their peers, side by side on the same
// processes, memlens serve's cost, and memlens watch's cost over a minute. Starts a population of
// processes (and a 50,000-mapping child, and a 1 GiB one), measures, stops them all (also on error
// or Ctrl-C), prints a report and writes bench/results/. Last, serve's memory under process churn.
//
//   npm run bench                 the full run (several minutes)
//   npm run bench -- --quick      fewer repetitions, shorter runs, to try the harness
//   npm run bench -- --reps 30    repetitions of each spawned command (default 20)
//   npm run bench -- --only watch only some benches, comma-separated: ps, serve, maps, watch; writes
//                                 <date>-<those>.json and leaves latest.md, which holds full runs
//   npm run bench -- --watch-runs 3   runs of the memlens watch bench, to see the noise (default 2)
//   npm run bench -- --only churn --churn-sec 600 --churn-baseline /tmp/old/dist/cli/main.js
//                                 serve under process churn for that long after its warm-up
//                                 (default 480 s), beside another build when given one
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type ManyMapsInfo, startChild } from '../test/helpers/children.js';
import { benchChurn } from './churn.bench.js';
import { benchMaps } from './maps.bench.js';
import { processCount, startPopulation } from './population.js';
import { type ProfileSummary, profileCommand } from './profile.js';
import { benchPs } from './ps.bench.js';
import {
  type BenchResults,
  renderText,
  type Section,
  type Source,
  type WatchCostSection,
  writeResultsAs,
} from './report.js';
import { benchServer } from './server.bench.js';
import { interruption, yieldToEvents } from './timing.js';
import { benchWatch } from './watch.bench.js';

const MAPPINGS = 50_000;
/** The benches, in the order they run; --only picks some. */
const BENCHES = ['ps', 'serve', 'maps', 'watch', 'churn'] as const;
type Bench = (typeof BENCHES)[number];

function textOption(name: string): string | null {
  const i = process.argv.indexOf(name);
  return i === -1 ? null : (process.argv[i + 1] ?? null);
}

function option(name: string): number | null {
  const i = process.argv.indexOf(name);
  const value = i === -1 ? undefined : process.argv[i + 1];
  if (value === undefined) return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} takes a whole number, got "${value}"`);
  return n;
}

/** The benches to run: all of them, or those that --only names. */
function selected(): Set<Bench> {
  const i = process.argv.indexOf('--only');
  if (i === -1) return new Set(BENCHES);
  const value = process.argv[i + 1] ?? '';
  const names = value
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  const known = (n: string): n is Bench => (BENCHES as readonly string[]).includes(n);
  if (names.length === 0 || !names.every(known))
    throw new Error(`--only takes one or more of ${BENCHES.join(', ')}, comma-separated; got "${value}"`);
  return new Set(names as Bench[]);
}

/** The commit measured, and which src/ files differed from it (the build is of the working tree). */
function source(): Source {
  const cwd = fileURLToPath(new URL('..', import.meta.url));
  const git = (...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
  try {
    const changed = git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean);
    // "XY path"; git() trimmed the first line's leading space away, so cut the status as a word.
    const paths = changed.map((l) => l.trimStart().replace(/^\S+\s+/, ''));
    return { commit: git('rev-parse', '--short', 'HEAD'), changedSrcFiles: paths };
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
  const only = selected();
  const quick = process.argv.includes('--quick');
  const reps = option('--reps') ?? (quick ? 5 : 20);
  const watchRuns = option('--watch-runs') ?? (quick ? 1 : 2);
  const inProcessReps = quick ? 5 : 30;
  const warmup = quick ? 1 : 2;
  const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
  if (!existsSync(cli))
    throw new Error(`${cli} is missing: run "npm run build" (npm run bench does it first)`);

  const src = source();
  const processesBefore = processCount();
  const processesSeen = [processesBefore];
  const loadAvgStart = loadavg();
  if (only.has('ps') || only.has('serve') || only.has('maps')) {
    log('starting the population (sleepers, node processes, layout children)');
    const population = await startPopulation({
      sleepers: quick ? 100 : 200,
      nodes: 4,
      nodeMiB: 32,
      layouts: 3,
    });
    cleanups.push(population.stop);
    log(`${population.added} processes added, ${processCount()} on the machine`);
  }

  const ps = only.has('ps') ? await benchPs({ cli, warmup, reps, inProcessReps, log }) : null;
  processesSeen.push(...(ps?.processesSeen ?? []));

  // memlens serve on the same population (before manymaps: about 300 ordinary processes).
  const server = !only.has('serve')
    ? null
    : await benchServer({
        cli,
        warmupSec: quick ? 5 : 15,
        windowSec: quick ? 20 : 60,
        scrapes: quick ? 66 : 200,
        loads: 5,
        profileSec: quick ? 0 : 30,
        cleanups,
        log,
      });

  let maps: Section | null = null;
  let manyPid: number | null = null;
  if (only.has('maps')) {
    log(`starting manymaps with ${MAPPINGS} mappings`);
    const many = await startChild<ManyMapsInfo>('manymaps', [String(MAPPINGS)], { readyTimeoutMs: 60_000 });
    cleanups.push(many.stop);
    manyPid = many.info.pid;
    maps = await benchMaps({
      cli,
      pid: many.info.pid,
      mappings: many.info.mappings,
      warmup: 1,
      reps: quick ? 3 : Math.max(5, Math.round(reps * 0.75)),
      inProcessReps: quick ? 3 : 15,
      commandTimeoutMs: 30_000,
      log,
    });
  }

  const toProfile: string[][] = [];
  if (ps) toProfile.push(['ps'], ['ps', '--json']);
  if (manyPid !== null) toProfile.push(['maps', String(manyPid), '--json'], ['maps', String(manyPid)]);
  if (toProfile.length > 0)
    log(`profiling ${toProfile.map((a) => `memlens ${a.join(' ')}`).join(', ')} under --cpu-prof`);
  const profiles: ProfileSummary[] = [];
  for (const args of toProfile) {
    await yieldToEvents();
    const p = profileCommand([cli, ...args]);
    if (p) profiles.push(p);
  }
  for (const p of profiles) p.command = p.command.replace(cli, 'dist/cli/main.js');
  if (server?.profile) profiles.push(server.profile);

  processesSeen.push(processCount());
  await cleanup();

  // memlens watch on a quiet machine: the population and manymaps are gone by now.
  let watch: WatchCostSection | undefined;
  if (only.has('watch')) {
    const w = await benchWatch({
      cli,
      durationSec: quick ? 15 : 60,
      runs: watchRuns,
      targetMiB: 1024,
      profileSec: quick ? 0 : 30,
      log,
      track: (stop) => cleanups.push(stop),
    });
    watch = w.section;
    profiles.push(...w.profiles);
    processesSeen.push(processCount());
    await cleanup();
  }

  // serve under churn, last: the children it forks by the thousand would disturb the others.
  let churn: Section | null = null;
  if (only.has('churn')) {
    const baselineCli = textOption('--churn-baseline');
    if (baselineCli !== null && !existsSync(baselineCli))
      throw new Error(`--churn-baseline ${baselineCli} does not exist: build that worktree first`);
    churn = await benchChurn({
      cli,
      baselineCli,
      intervalSec: 1,
      warmupSec: quick ? 20 : 120,
      windowSec: option('--churn-sec') ?? (quick ? 40 : 480),
      coolDownSec: quick ? 10 : 60,
      sampleEverySec: 5,
      maxLive: 24,
      maxLifeMs: 4000,
      cleanups,
      log,
    });
    processesSeen.push(processCount());
    await cleanup();
  }

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
      processesDuringRun: Math.max(...processesSeen),
      loadAvgStart,
      loadAvgEnd: loadavg(),
    },
    sections: [ps?.section, maps, server?.section, churn].filter((s): s is Section => s != null),
    profiles,
    watch,
  };
  process.stdout.write(renderText(results));
  const ran = BENCHES.filter((b) => only.has(b));
  const full = ran.length === BENCHES.length;
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  const written = writeResultsAs(dir, results, ran.join('-'), full);
  log(`wrote ${written.join(' and ')}${full ? '' : ' (latest.md holds full runs: left as it was)'}`);
}

try {
  await main();
} catch (err) {
  if (!interruption.requested) log(`failed: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = interruption.requested ? 130 : 1;
} finally {
  await cleanup();
}

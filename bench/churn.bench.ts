// memlens serve's memory under process churn: thousands of short-lived processes come and go
// (test/children/churn.c: each maps and writes 1-8 MiB, lives up to MAX_LIFE_MS and exits) while
// the server samples them, and its RSS must stay flat once warmed up. With --churn-baseline, a
// second build (the commit before a fix, built in its own worktree) runs side by side on the same
// churn, so both see the same processes on the same busy machine.
//
//   warm-up     the first seconds of churn are left out: the history's first pages, V8's heap
//               sizing itself, the first rollup of every process already there
//   window      every few seconds, per server: VmRSS and RssAnon (status), the [heap] mapping's
//               Rss (smaps: the native heap, where typed arrays and SQLite's pages live), and the
//               machine's forks since boot (/proc/stat `processes`); /metrics is scraped at
//               Prometheus's pace. The figure is RSS growth per 1,000 processes forked after the
//               warm-up (least squares), so a slower or faster machine churns as many as it can.
//   cool-down   the churn stops; a few ticks later neither /metrics nor /api/processes may name
//               one of its processes (state of exited processes dropped); RSS is read again later.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild } from '../test/helpers/children.js';
import type { Figure, Section } from './report.js';
import { type Serve, startServe } from './server.bench.js';

export interface ChurnBenchOptions {
  cli: string;
  /** Another build's dist/cli/main.js to run side by side (null: memlens only). */
  baselineCli: string | null;
  /** serve --interval, in seconds. */
  intervalSec: number;
  warmupSec: number;
  /** Seconds measured after the warm-up. */
  windowSec: number;
  coolDownSec: number;
  sampleEverySec: number;
  /** churn.c's arguments: children alive at once, and the longest life of each. */
  maxLive: number;
  maxLifeMs: number;
  cleanups: (() => Promise<void>)[];
  log: (line: string) => void;
}

/** RSS growth per 1,000 processes after the warm-up at most: a flat server. */
const TARGET_GROWTH_PER_1000 = 500e3;
const PROMETHEUS_INTERVAL_SEC = 15;
const MB = 1e6;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Reading {
  /** Seconds since the churn started. */
  t: number;
  /** Processes forked on the machine since boot. */
  forks: number;
  rssBytes: number;
  anonBytes: number;
  heapBytes: number;
}

function forksSinceBoot(): number {
  const m = /^processes (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}

function statusKib(status: string, name: string): number {
  return Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
}

/** Rss of the [heap] mapping (the brk heap, where malloc serves small allocations from). */
function heapBytes(pid: number): number {
  const smaps = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  const at = smaps.indexOf(' [heap]\n');
  if (at === -1) return 0;
  const m = /^Rss:\s+(\d+) kB/m.exec(smaps.slice(at));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

function read(pid: number, t: number, forks: number): Reading {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return {
    t,
    forks,
    rssBytes: statusKib(status, 'VmRSS'),
    anonBytes: statusKib(status, 'RssAnon'),
    heapBytes: heapBytes(pid),
  };
}

/** Least-squares slope of y over x; null with fewer than 3 points or no spread in x. */
function slope(xs: number[], ys: number[]): number | null {
  const n = xs.length;
  if (n < 3) return null;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    sxx += ((xs[i] as number) - mx) ** 2;
  }
  return sxx === 0 ? null : sxy / sxx;
}

const mb = (n: number | null) => (n === null || Number.isNaN(n) ? '-' : `${(n / MB).toFixed(1)} MB`);

/**
 * Churn children (and churn itself) that /metrics and /api/processes still name, once all of them
 * have exited and been reaped: by name, since their pids may belong to other processes by now.
 */
async function leftovers(url: string): Promise<Leftovers> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const api = (await (await fetch(`${url}/api/processes?sort=pid&limit=1000`)).json()) as {
    processes: { pid: number; name: string }[];
  };
  return {
    metrics: new Set([...metrics.matchAll(/\bpid="(\d+)",name="churn-/g)].map((m) => m[1])).size,
    api: api.processes.filter((p) => p.name.startsWith('churn-')).length,
    apiRows: api.processes.length,
  };
}

interface Leftovers {
  /** Pids with label sets. */
  metrics: number;
  /** Rows, of apiRows. */
  api: number;
  apiRows: number;
}

interface Contender {
  id: string;
  label: string;
  cli: string;
  serve: Serve | null;
  readings: Reading[];
  cooled: Reading | null;
  dead: Leftovers | null;
}

export async function benchChurn(o: ChurnBenchOptions): Promise<Section> {
  const dir = mkdtempSync(join(tmpdir(), 'memlens-bench-churn-'));
  const contenders: Contender[] = [
    { id: 'memlens', label: 'memlens serve (this build)', cli: o.cli },
    ...(o.baselineCli ? [{ id: 'baseline', label: `baseline (${o.baselineCli})`, cli: o.baselineCli }] : []),
  ].map((c) => ({ ...c, serve: null, readings: [], cooled: null, dead: null }));
  try {
    for (const c of contenders) {
      const s = await startServe(c.cli, join(dir, `${c.id}.db`), [], ['--interval', `${o.intervalSec}s`]);
      c.serve = s;
      o.cleanups.push(s.stop);
      o.log(`${c.label}: ${s.url} (pid ${s.pid}), --interval ${o.intervalSec}s`);
    }
    const servers = contenders.map((c) => c.serve as Serve);
    const churn = await startChild<{ pid: number }>('churn', [String(o.maxLive), String(o.maxLifeMs)]);
    o.cleanups.push(churn.stop);
    const t0 = performance.now();
    const forks0 = forksSinceBoot();
    const elapsed = () => (performance.now() - t0) / 1000;
    o.log(
      `churning (${o.maxLive} children alive at once, each up to ${o.maxLifeMs} ms) for ${o.warmupSec} s of warm-up and ${o.windowSec} s measured`,
    );
    let nextScrape = 0;
    while (elapsed() < o.warmupSec + o.windowSec) {
      const t = elapsed();
      const forks = forksSinceBoot() - forks0;
      for (const c of contenders) c.readings.push(read((c.serve as Serve).pid, t, forks));
      if (t >= nextScrape) {
        // As Prometheus would: a scrape builds every label set of the top processes.
        await Promise.all(servers.map((s) => fetch(`${s.url}/metrics`).then((r) => r.text())));
        nextScrape = t + PROMETHEUS_INTERVAL_SEC;
      }
      await sleep(o.sampleEverySec * 1000);
    }
    await churn.stop();
    const churned = Number(/"forked":(\d+)/.exec(churn.lines.join('\n'))?.[1] ?? Number.NaN);
    const machineForks = forksSinceBoot() - forks0;
    o.log(`${churned} processes churned (${machineForks} forked on the machine); cooling down`);
    // A few ticks after the last child: every exited process must be gone from what is served.
    await sleep((3 * o.intervalSec + 1) * 1000);
    for (const c of contenders) c.dead = await leftovers((c.serve as Serve).url);
    await sleep(Math.max(0, o.coolDownSec - 3 * o.intervalSec - 1) * 1000);
    for (const c of contenders) c.cooled = read((c.serve as Serve).pid, elapsed(), machineForks);
    for (const s of servers) await s.stop();
    return section(o, contenders, churned, machineForks);
  } finally {
    for (const c of contenders) await c.serve?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function section(
  o: ChurnBenchOptions,
  contenders: Contender[],
  churned: number,
  machineForks: number,
): Section {
  const figures: Figure[] = [
    {
      what: 'processes churned (churn.c children; forked on the machine)',
      value: churned,
      unit: 'processes',
      text: `${churned} (${machineForks})`,
      target: null,
      met: null,
    },
  ];
  const raw: Record<string, unknown> = { options: { ...o, cleanups: undefined, log: undefined } };
  for (const c of contenders) {
    const after = c.readings.filter((r) => r.t >= o.warmupSec);
    const first = after[0] ?? null;
    const last = after[after.length - 1] ?? null;
    const perK = (key: 'rssBytes' | 'heapBytes') => {
      const s = slope(
        after.map((r) => r.forks),
        after.map((r) => r[key]),
      );
      return s === null ? null : s * 1000;
    };
    const rssPerK = perK('rssBytes');
    const heapPerK = perK('heapBytes');
    const peak = Math.max(...c.readings.map((r) => r.rssBytes));
    const processes = last && first ? last.forks - first.forks : 0;
    const mine = c.id === 'memlens';
    const fig = (what: string, value: number | null, text: string, target: string | null = null) =>
      figures.push({
        what: `${c.id}: ${what}`,
        value,
        unit: 'bytes',
        text,
        target,
        met: target === null || value === null ? null : value <= TARGET_GROWTH_PER_1000,
      });
    fig('RSS at start of churn', c.readings[0]?.rssBytes ?? null, mb(c.readings[0]?.rssBytes ?? null));
    fig(
      `RSS after ${o.warmupSec} s of warm-up → end (${processes} processes between)`,
      last?.rssBytes ?? null,
      `${mb(first?.rssBytes ?? null)} → ${mb(last?.rssBytes ?? null)}`,
    );
    fig('peak RSS', peak, mb(peak));
    fig(
      `RSS ${o.coolDownSec} s after the churn stopped`,
      c.cooled?.rssBytes ?? null,
      mb(c.cooled?.rssBytes ?? null),
    );
    fig(
      '[heap] after warm-up → end',
      last?.heapBytes ?? null,
      `${mb(first?.heapBytes ?? null)} → ${mb(last?.heapBytes ?? null)}`,
    );
    fig(
      'RSS growth per 1,000 processes after warm-up',
      rssPerK,
      mb(rssPerK),
      mine ? `<= ${mb(TARGET_GROWTH_PER_1000)}` : null,
    );
    fig('[heap] growth per 1,000 processes after warm-up', heapPerK, mb(heapPerK));
    figures.push({
      what: `${c.id}: exited churn processes in /metrics; in /api/processes (of its rows)`,
      value: c.dead ? c.dead.metrics + c.dead.api : null,
      unit: 'pids',
      text: c.dead ? `${c.dead.metrics}; ${c.dead.api} (of ${c.dead.apiRows})` : '-',
      target: mine ? '0' : null,
      met: mine && c.dead ? c.dead.metrics + c.dead.api === 0 : null,
    });
    raw[c.id] = { label: c.label, readings: c.readings, cooled: c.cooled, dead: c.dead };
  }
  return {
    title: `memlens serve under process churn (--interval ${o.intervalSec}s, ${o.windowSec} s measured)`,
    groups: [],
    comparisons: [],
    phases: [],
    notes: [
      `Churn: test/children/churn.c ${o.maxLive} ${o.maxLifeMs}, each child writing 1-8 MiB; readings every ${o.sampleEverySec} s, /metrics scraped every ${PROMETHEUS_INTERVAL_SEC} s.`,
      'Growth per 1,000 processes: least-squares slope of the readings after the warm-up against the processes forked on the machine (other work on it counts too).',
      ...contenders.map((c) => `${c.id}: ${c.label}`),
    ],
    figures,
    raw,
  };
}

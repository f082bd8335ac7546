// The cost of `memlens watch`: its CPU and its own RSS while it watches one process holding 1 GiB
// at 1 Hz for a minute (NDJSON to /dev/null), next to a peer: a small Node loop that reads the same
// files at the same rate and parses nothing, and a Node process that only sleeps as memlens does
// between ticks. They run at the same time (the others half a second after memlens, so the reads
// do not coincide) and are sampled from outside, through /proc:
//   - utime+stime of /proc/PID/stat, every second: CPU % of one core per second. These count in
//     clock ticks (10 ms), so a per-second figure is a multiple of 1%;
//   - the sum of /proc/PID/task/*/schedstat (run time in ns, every thread): the same, unrounded;
//   - VmRSS (and at the end VmHWM, the peak) of /proc/PID/status.
// A poll every 100 ms keeps the latest reading, so the run's total CPU misses at most 100 ms.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SAMPLER_OPTIONS } from '../src/collect/sampler.js';
import { createProcFs, type ProcFs } from '../src/procfs/fs.js';
import { Watch } from '../src/reports/watch.js';
import { type RunningChild, startChild } from '../test/helpers/children.js';
import { readRaw } from './floor.js';
import { type ProfileSummary, summarizeProfile } from './profile.js';
import type { Phase, WatchContender, WatchCostSection, WatchCpu, WatchRun, WatchTarget } from './report.js';
import { interruption, summarize, timeMs, yieldToEvents } from './timing.js';

export interface WatchBenchOptions {
  cli: string;
  /** Seconds each run watches (memlens watch --duration, and the peer's). */
  durationSec: number;
  /** Runs one after another, to see the noise. */
  runs: number;
  /** RSS of the watched process, in MiB. */
  targetMiB: number;
  /** Profile one more run of memlens watch under --cpu-prof for this long (0: no profile). */
  profileSec: number;
  log: (line: string) => void;
  /** Registers a stop function that the bench also runs on an error or Ctrl-C. */
  track: (stop: () => Promise<void>) => void;
}

// Issue 3: under 1% of one core (median) and under 80 MB of RSS, read as MiB like memlens's sizes.
const TARGETS = { medianCpuPercent: 1, rssBytes: 80 * 2 ** 20 };
const POLL_MS = 100;

let clockTicks: number | null = null;
function ticksPerSec(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

interface Reading {
  /** Seconds since the process was spawned (monotonic). */
  t: number;
  /** utime+stime of /proc/PID/stat, in seconds (clock ticks). */
  cpuSec: number;
  /** Sum of the threads' schedstat run times, in seconds; null when unreadable. */
  runSec: number | null;
  rssBytes: number | null;
  hwmBytes: number | null;
}

function kib(status: string, key: string): number | null {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) * 1024 : null;
}

/** One reading of a process from outside; null once it has exited. */
function readOnce(pid: number, t: number): Reading | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (f[0] === 'Z' || f[0] === 'X') return null;
    const cpuSec = (Number(f[11]) + Number(f[12])) / ticksPerSec();
    let runNs: number | null = 0;
    try {
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        const s = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8');
        runNs += Number(s.slice(0, s.indexOf(' ')));
      }
    } catch {
      runNs = null;
    }
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return {
      t,
      cpuSec,
      runSec: runNs === null ? null : runNs / 1e9,
      rssBytes: kib(status, 'VmRSS'),
      hwmBytes: kib(status, 'VmHWM'),
    };
  } catch {
    return null;
  }
}

/** Watches one process from outside: the latest reading every 100 ms, one kept every second. */
class Monitor {
  readonly perSecond: Reading[] = [];
  last: Reading | null = null;
  private readonly spawnedAt: bigint;
  private nextSecond = 1;

  constructor(readonly pid: number) {
    this.spawnedAt = process.hrtime.bigint();
    this.poll();
  }

  private now(): number {
    return Number(process.hrtime.bigint() - this.spawnedAt) / 1e9;
  }

  poll(): void {
    const r = readOnce(this.pid, this.now());
    if (!r) return;
    this.last = r;
    if (this.perSecond.length === 0) this.perSecond.push(r);
    if (r.t >= this.nextSecond) {
      this.perSecond.push(r);
      this.nextSecond = Math.floor(r.t) + 1;
    }
  }
}

interface Spawned {
  proc: ChildProcess;
  exited: Promise<string>;
  stderr: () => string;
  stdout: () => string;
  stop(): Promise<void>;
}

function spawnTracked(argv: string[], stdout: 'devnull' | 'pipe'): Spawned {
  const [file, ...args] = argv as [string, ...string[]];
  const devNull = stdout === 'devnull' ? openSync('/dev/null', 'w') : null;
  const proc = spawn(file, args, { stdio: ['pipe', devNull ?? 'pipe', 'pipe'] });
  if (devNull !== null) closeSync(devNull);
  proc.stdin?.on('error', () => {});
  let err = '';
  let out = '';
  proc.stderr?.setEncoding('utf8');
  proc.stderr?.on('data', (c: string) => {
    err += c;
  });
  proc.stdout?.setEncoding('utf8');
  proc.stdout?.on('data', (c: string) => {
    out += c;
  });
  const exited = new Promise<string>((resolve) => {
    proc.once('close', (code, signal) => resolve(signal ? `killed by ${signal}` : `exit code ${code}`));
    proc.once('error', (e) => resolve(`could not start: ${e.message}`));
  });
  return {
    proc,
    exited,
    stderr: () => err,
    stdout: () => out,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.stdin?.end();
        proc.kill('SIGKILL');
      }
      await exited;
    },
  };
}

/**
 * The files `memlens watch` reads on one tick, found by running its Watch in this process on a
 * recording ProcFs: a tick with a rollup and one without. The peer reads exactly these.
 */
export interface TickFiles {
  /** Read on every tick (stat, opened first and re-read last through the same fd, not listed). */
  everyTick: string[];
  /** Read as well when the rollup is due (every rollupEverySec). */
  rollup: string[];
  /** How many times a tick reads stat (2: the identity check). */
  statReads: number;
}

function recordTickFiles(pid: number): TickFiles {
  const inner = createProcFs('/');
  let seen: string[] = [];
  const fs: ProcFs = {
    root: inner.root,
    path: (...parts) => inner.path(...parts),
    readText(rel, p) {
      seen.push(inner.path(rel));
      return inner.readText(rel, p);
    },
    list: (rel) => inner.list(rel),
    readLink(rel, p) {
      seen.push(inner.path(rel));
      return inner.readLink(rel, p);
    },
    openPinned(rel, p) {
      const pinned = inner.openPinned(rel, p);
      return {
        read() {
          seen.push(inner.path(rel));
          return pinned.read();
        },
        close: () => pinned.close(),
      };
    },
  };
  const watch = new Watch(fs, [pid]);
  const t0 = Date.now() / 1000;
  seen = [];
  watch.tick(t0);
  const first = seen;
  seen = [];
  watch.tick(t0 + 1);
  const second = seen;
  const stat = `/proc/${pid}/stat`;
  const everyTick = [...new Set(second.filter((p) => p !== stat))];
  const rollup = [...new Set(first.filter((p) => p !== stat && !everyTick.includes(p)))];
  return { everyTick, rollup, statReads: second.filter((p) => p === stat).length };
}

/** Reads fd to its end into a reused buffer (from offset 0 when fromStart); the byte count. */
const rawBuf = Buffer.allocUnsafe(1 << 16);
function drainFd(fd: number, fromStart: boolean): number {
  let used = 0;
  for (;;) {
    const n = readSync(fd, rawBuf, 0, rawBuf.length, fromStart ? used : null);
    if (n === 0) return used;
    used += n;
  }
}

/** The peer's tick, in this process: stat pinned and re-read, the other files raw. */
function rawTick(stat: string, files: readonly string[]): number {
  const fd = openSync(stat, 'r');
  try {
    let bytes = drainFd(fd, true);
    for (const f of files) bytes += readRaw(f);
    return bytes + drainFd(fd, true);
  } finally {
    closeSync(fd);
  }
}

/**
 * One tick of memlens watch timed inside this process, against the peer's reads of the same
 * files: `passes` series of 61 ticks (a minute at 1 Hz, given made-up times so nothing waits), a
 * fresh Watch each, split into ticks with and without the rollup; and the NDJSON line of a sample.
 */
async function tickPhases(pid: number, files: TickFiles, passes: number): Promise<Phase[]> {
  const fs = createProcFs('/');
  const stat = `/proc/${pid}/stat`;
  const plain: number[] = [];
  const withRollup: number[] = [];
  const rawPlain: number[] = [];
  const rawRollup: number[] = [];
  const json: number[] = [];
  for (let pass = 0; pass < passes; pass++) {
    await yieldToEvents();
    const watch = new Watch(fs, [pid]);
    const t0 = Date.now() / 1000;
    for (let k = 0; k <= 60; k++) {
      let events: ReturnType<Watch['tick']> = [];
      const ms = timeMs(() => (events = watch.tick(t0 + k)));
      const sample = events[0];
      const rolled = sample !== undefined && 'rollupAgeSec' in sample && sample.rollupAgeSec === 0;
      (rolled ? withRollup : plain).push(ms);
      json.push(timeMs(() => JSON.stringify(sample)));
      if (k % 10 === 0) rawRollup.push(timeMs(() => rawTick(stat, [...files.everyTick, ...files.rollup])));
      else rawPlain.push(timeMs(() => rawTick(stat, files.everyTick)));
    }
  }
  return [
    { name: 'Watch.tick, no rollup due (stat, status, meminfo, verdict)', stats: summarize(plain) },
    { name: 'peer: the same files raw', stats: summarize(rawPlain) },
    { name: 'Watch.tick with the smaps_rollup', stats: summarize(withRollup) },
    { name: 'peer: the same files raw, with smaps_rollup', stats: summarize(rawRollup) },
    { name: 'JSON.stringify of the sample line', stats: summarize(json) },
  ];
}

// A Node process that only sleeps, in 100 ms steps as memlens watch does between two ticks
// (src/cli/commands/watch.ts sleepUntil), for as long as a run: the cost of the waiting alone.
const IDLE = `
const end = Date.now() + Number(process.argv[1]) * 1000;
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
(async () => {
  while (Date.now() < end) await new Promise((r) => setTimeout(r, Math.min(100, end - Date.now())));
  process.exit(0);
})();
`;

// The peer: plain JavaScript (no loader, nothing imported but fs), run with `node -e`. Each tick
// opens stat and reads it, reads the other files with open/read/close into one reused buffer (the
// rollup's too when due), re-reads stat through the same fd and closes it, like memlens's tick;
// nothing is decoded. Ticks at start + k*interval; ends after the duration (or when stdin closes)
// and prints how many ticks and rollups it did. Before its first tick it prints its CPU time so
// far (process.cpuUsage: all threads), which is Node's own start-up.
const PEER = `
const fs = require('fs');
const spec = JSON.parse(process.argv[1]);
const buf = Buffer.allocUnsafe(1 << 16);
function drain(fd, fromStart) {
  let used = 0;
  for (;;) {
    const n = fs.readSync(fd, buf, 0, buf.length, fromStart ? used : null);
    if (n === 0) return used;
    used += n;
  }
}
function readFile(p) {
  const fd = fs.openSync(p, 'r');
  try { return drain(fd, false); } finally { fs.closeSync(fd); }
}
let ticks = 0, rollups = 0, lastRollup = null;
const started = Date.now();
function tick() {
  const now = Date.now() / 1000;
  const fd = fs.openSync(spec.stat, 'r');
  try {
    drain(fd, true);
    for (const p of spec.everyTick) readFile(p);
    if (lastRollup === null || now - lastRollup >= spec.rollupEverySec) {
      for (const p of spec.rollup) readFile(p);
      lastRollup = now;
      rollups++;
    }
    drain(fd, true);
  } finally { fs.closeSync(fd); }
  ticks++;
  if ((Date.now() - started) / 1000 >= spec.durationSec) {
    process.stdout.write(JSON.stringify({ ticks, rollups }) + '\\n');
    process.exit(0);
  }
  setTimeout(tick, Math.max(0, started + ticks * spec.intervalMs - Date.now()));
}
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
const u = process.cpuUsage();
process.stdout.write(JSON.stringify({ ready: true, cpuSec: (u.user + u.system) / 1e6 }) + '\\n');
tick();
`;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Per-second CPU % of one core between consecutive kept readings. */
function perSecondPercent(readings: Reading[], pick: (r: Reading) => number | null): number[] {
  const out: number[] = [];
  for (let i = 1; i < readings.length; i++) {
    const a = readings[i - 1] as Reading;
    const b = readings[i] as Reading;
    const ca = pick(a);
    const cb = pick(b);
    if (ca === null || cb === null || b.t <= a.t || cb < ca) continue;
    out.push((100 * (cb - ca)) / (b.t - a.t));
  }
  return out;
}

function cpuFigures(percents: number[]): WatchCpu | null {
  const s = summarize(percents);
  return s ? { n: s.n, medianPercent: s.medianMs, p90Percent: s.p90Ms, maxPercent: s.maxMs } : null;
}

function median(values: number[]): number | null {
  return summarize(values)?.medianMs ?? null;
}

function contenderOf(
  id: string,
  label: string,
  m: Monitor,
  exit: string,
  note: string | null,
  readyCpuSec: number | null,
): WatchContender {
  const kept = m.perSecond;
  const last = m.last;
  // RSS from the first second on: the reading at spawn may see the forked copy before its exec.
  const rss = kept
    .slice(1)
    .map((r) => r.rssBytes)
    .filter((v): v is number => v !== null);
  // Start-up excluded: from the reading at the end of the first second on, for both alike (that
  // second holds Node's start, loading the script and the first tick, with its rollup).
  const startupAt = kept[1] ?? null;
  const steady =
    startupAt && last && last.t > startupAt.t
      ? (100 * (last.cpuSec - startupAt.cpuSec)) / (last.t - startupAt.t)
      : null;
  const steadyRun =
    startupAt?.runSec != null && last?.runSec != null && last.t > startupAt.t
      ? (100 * (last.runSec - startupAt.runSec)) / (last.t - startupAt.t)
      : null;
  return {
    id,
    label,
    pid: m.pid,
    exit,
    note,
    observedSec: last?.t ?? 0,
    cpu: cpuFigures(perSecondPercent(kept, (r) => r.cpuSec)),
    cpuPrecise: cpuFigures(perSecondPercent(kept, (r) => r.runSec)),
    totalCpuSec: last?.cpuSec ?? null,
    totalRunSec: last?.runSec ?? null,
    averagePercent: last && last.t > 0 ? (100 * last.cpuSec) / last.t : null,
    firstSecondCpuSec: startupAt ? startupAt.cpuSec : null,
    readyCpuSec,
    steadyPercent: steady,
    steadyPrecisePercent: steadyRun,
    rssMedianBytes: median(rss),
    rssMaxBytes: rss.length > 0 ? Math.max(...rss) : null,
    hwmBytes: last?.hwmBytes ?? null,
    perSecond: kept.map((r) => ({
      t: Math.round(r.t * 1000) / 1000,
      cpuSec: r.cpuSec,
      runSec: r.runSec === null ? null : Math.round(r.runSec * 1e6) / 1e6,
      rssBytes: r.rssBytes,
    })),
  };
}

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return a === null || a === undefined || b === null || b === undefined || b === 0 ? null : a / b;
}

function target(what: string, value: number | null, limit: number, unit: '%' | 'bytes'): WatchTarget {
  return { what, value, limit, unit, met: value === null ? null : value < limit };
}

async function oneRun(
  opts: WatchBenchOptions,
  index: number,
  pid: number,
  files: TickFiles,
): Promise<WatchRun> {
  const d = opts.durationSec;
  const spec = {
    stat: `/proc/${pid}/stat`,
    everyTick: files.everyTick,
    rollup: files.rollup,
    rollupEverySec: DEFAULT_SAMPLER_OPTIONS.rollupEverySec,
    intervalMs: 1000,
    durationSec: d,
  };
  const targetBefore = readOnce(pid, 0)?.rssBytes ?? null;
  opts.log(`watch: run ${index}/${opts.runs}, ${d} s: memlens watch ${pid} and the peer`);
  const memlens = spawnTracked(
    [process.execPath, opts.cli, 'watch', String(pid), '--json', '--duration', `${d}s`],
    'devnull',
  );
  opts.track(memlens.stop);
  let peer: Spawned | null = null;
  let idle: Spawned | null = null;
  const monitors: Monitor[] = [];
  const poller = setInterval(() => {
    for (const m of monitors) m.poll();
  }, POLL_MS);
  try {
    if (memlens.proc.pid === undefined)
      throw new Error(`memlens watch did not start: ${await memlens.exited}`);
    const mm = new Monitor(memlens.proc.pid);
    monitors.push(mm);
    await sleep(500);
    const started = spawnTracked([process.execPath, '-e', PEER, JSON.stringify(spec)], 'pipe');
    peer = started;
    opts.track(started.stop);
    if (started.proc.pid === undefined) throw new Error(`the peer did not start: ${await started.exited}`);
    const pm = new Monitor(started.proc.pid);
    monitors.push(pm);
    const sleeper = spawnTracked([process.execPath, '-e', IDLE, String(d)], 'pipe');
    idle = sleeper;
    opts.track(sleeper.stop);
    if (sleeper.proc.pid === undefined) throw new Error(`the sleeper did not start: ${await sleeper.exited}`);
    const im = new Monitor(sleeper.proc.pid);
    monitors.push(im);

    // Both end on their own after `d` s; past d + 30 s they are killed and reported so.
    const deadline = Date.now() + (d + 30) * 1000;
    const ends = await Promise.all(
      [memlens, started, sleeper].map(async (p) => {
        for (;;) {
          const r = await Promise.race([p.exited, sleep(250).then(() => null)]);
          if (r !== null) return r;
          if (interruption.requested) throw new Error('interrupted');
          if (Date.now() > deadline) {
            await p.stop();
            return `did not end within ${d + 30} s (killed)`;
          }
        }
      }),
    );
    const [memlensExit, peerExit, idleExit] = ends as [string, string, string];
    const targetAfter = readOnce(pid, 0)?.rssBytes ?? null;
    const firstLine = (s: string) => s.trim().split('\n')[0] ?? '';
    const peerEnd = /\{"ticks":(\d+),"rollups":(\d+)\}/.exec(started.stdout());
    const peerReady = /\{"ready":true,"cpuSec":([\d.e-]+)/.exec(started.stdout());
    const memlensErr = firstLine(memlens.stderr());
    const memlensC = contenderOf(
      'memlens-watch',
      `node dist/cli/main.js watch ${pid} --json --duration ${d}s > /dev/null`,
      mm,
      memlensExit,
      memlensErr ? `stderr: ${memlensErr}` : null,
      null,
    );
    const peerC = contenderOf(
      'peer',
      `peer: node -e <read the same files, no parsing> (${d} s)`,
      pm,
      peerExit,
      peerEnd ? `${peerEnd[1]} ticks, ${peerEnd[2]} rollups` : firstLine(started.stderr()) || null,
      peerReady ? Number(peerReady[1]) : null,
    );
    const idleC = contenderOf(
      'idle-100ms',
      `node -e <sleep in 100 ms steps, read nothing> (${d} s)`,
      im,
      idleExit,
      firstLine(sleeper.stderr()) || null,
      null,
    );
    const ratios = [
      {
        what: 'median CPU per second (schedstat)',
        ratio: ratio(memlensC.cpuPrecise?.medianPercent, peerC.cpuPrecise?.medianPercent),
      },
      {
        what: 'p90 CPU per second (schedstat)',
        ratio: ratio(memlensC.cpuPrecise?.p90Percent, peerC.cpuPrecise?.p90Percent),
      },
      {
        what: 'median CPU per second (stat ticks)',
        ratio: ratio(memlensC.cpu?.medianPercent, peerC.cpu?.medianPercent),
      },
      { what: 'total CPU over the run (stat)', ratio: ratio(memlensC.totalCpuSec, peerC.totalCpuSec) },
      {
        what: 'CPU after start-up (stat)',
        ratio: ratio(memlensC.steadyPercent, peerC.steadyPercent),
      },
      {
        what: 'CPU after start-up (schedstat)',
        ratio: ratio(memlensC.steadyPrecisePercent, peerC.steadyPrecisePercent),
      },
      {
        what: 'CPU after start-up less idle-100ms, the sleeping (schedstat)',
        ratio:
          memlensC.steadyPrecisePercent === null || idleC.steadyPrecisePercent === null
            ? null
            : ratio(memlensC.steadyPrecisePercent - idleC.steadyPrecisePercent, peerC.steadyPrecisePercent),
      },
      { what: 'median RSS', ratio: ratio(memlensC.rssMedianBytes, peerC.rssMedianBytes) },
      { what: 'max RSS', ratio: ratio(memlensC.rssMaxBytes, peerC.rssMaxBytes) },
    ];
    const targets = [
      target(
        'memlens median CPU per second (stat utime+stime)',
        memlensC.cpu?.medianPercent ?? null,
        TARGETS.medianCpuPercent,
        '%',
      ),
      target(
        'memlens median CPU per second (schedstat, unrounded)',
        memlensC.cpuPrecise?.medianPercent ?? null,
        TARGETS.medianCpuPercent,
        '%',
      ),
      target('memlens max RSS (VmRSS, every second)', memlensC.rssMaxBytes, TARGETS.rssBytes, 'bytes'),
      target('memlens peak RSS (VmHWM at the end)', memlensC.hwmBytes, TARGETS.rssBytes, 'bytes'),
    ];
    return {
      index,
      targetRssBytes: { before: targetBefore, after: targetAfter },
      contenders: [memlensC, peerC, idleC],
      ratios,
      targets,
    };
  } finally {
    clearInterval(poller);
    await memlens.stop();
    await peer?.stop();
    await idle?.stop();
  }
}

interface CpuProfile {
  startTime: number;
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * memlens watch once more under --cpu-prof, for `seconds`; summarized twice: its start-up (the
 * first second) and the rest (the ticks).
 */
async function profileWatch(
  cli: string,
  pid: number,
  seconds: number,
  track: (stop: () => Promise<void>) => void,
): Promise<{ startup: ProfileSummary; ticks: ProfileSummary } | null> {
  const dir = mkdtempSync(join(tmpdir(), 'memlens-bench-watch-prof-'));
  try {
    const args = ['watch', String(pid), '--json', '--duration', `${seconds}s`];
    const p = spawnTracked(
      [process.execPath, '--cpu-prof', `--cpu-prof-dir=${dir}`, cli, ...args],
      'devnull',
    );
    track(p.stop);
    const exit = await Promise.race([p.exited, sleep((seconds + 30) * 1000).then(() => 'timeout')]);
    await p.stop();
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (exit !== 'exit code 0' || !file) return null;
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    // Split at 1 s after the profile's start: module loading and the first tick, then the ticks.
    let split = 0;
    for (let at = 0; split < profile.samples.length; split++) {
      at += profile.timeDeltas[split] ?? 0;
      if (at > 1e6) break;
    }
    const part = (from: number, to: number): CpuProfile => ({
      ...profile,
      samples: profile.samples.slice(from, to),
      timeDeltas: profile.timeDeltas.slice(from, to),
    });
    const command = `node dist/cli/main.js ${args.join(' ')}`;
    return {
      startup: summarizeProfile(`${command}: its first second`, part(0, split)),
      ticks: summarizeProfile(`${command}: after its first second`, part(split, profile.samples.length)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchWatch(
  opts: WatchBenchOptions,
): Promise<{ section: WatchCostSection; profiles: ProfileSummary[] }> {
  opts.log(`watch: starting grow, holding ${opts.targetMiB} MiB`);
  // `grow step N 0` touches N MiB more than its 1 MiB at once and then only holds it: the watched
  // process costs no CPU of its own (`grow steady` rewrites every page every 50 ms).
  const child: RunningChild<{ pid: number }> = await startChild('grow', [
    'step',
    String(opts.targetMiB - 1),
    '0',
  ]);
  opts.track(child.stop);
  try {
    const pid = child.info.pid;
    const want = opts.targetMiB * 2 ** 20;
    const until = Date.now() + 30_000;
    for (;;) {
      const rss = readOnce(pid, 0)?.rssBytes ?? 0;
      if (rss >= want) break;
      if (Date.now() > until) throw new Error(`grow reached ${rss} bytes of RSS, not ${want}, within 30 s`);
      await sleep(100);
    }
    const files = recordTickFiles(pid);
    opts.log('watch: timing ticks in-process');
    const phases = await tickPhases(pid, files, 3);
    const runs: WatchRun[] = [];
    for (let i = 1; i <= opts.runs; i++) runs.push(await oneRun(opts, i, pid, files));
    const profiles: ProfileSummary[] = [];
    if (opts.profileSec > 0) {
      opts.log(`watch: one more run of ${opts.profileSec} s under --cpu-prof`);
      const p = await profileWatch(opts.cli, pid, opts.profileSec, opts.track);
      if (p) profiles.push(p.startup, p.ticks);
      else opts.log('watch: the profiled run failed; no profile');
    }
    const statReads =
      files.statReads === 2 ? '' : ` (memlens read stat ${files.statReads} times a tick, the peer twice)`;
    const section: WatchCostSection = {
      title: `memlens watch: the cost of watching one process with ${opts.targetMiB} MiB RSS at 1 Hz`,
      durationSec: opts.durationSec,
      targetPid: pid,
      files,
      runs,
      phases,
      notes: [
        `The watched process is test/children/grow.c \`grow step ${opts.targetMiB - 1} 0\` (pid ${pid}): ` +
          `${opts.targetMiB} MiB of anonymous memory in 4 KiB pages (no huge pages), touched once and held.`,
        `memlens watch runs with stdout to /dev/null. The peer is \`node -e\` with a plain script that, ` +
          `every second, opens /proc/${pid}/stat, reads it, reads ${files.everyTick.join(', ')} ` +
          `(and ${files.rollup.join(', ')} every ${DEFAULT_SAMPLER_OPTIONS.rollupEverySec} s), re-reads stat ` +
          `through the same fd and closes it: the files memlens's ticks read, recorded from its own Watch ` +
          `on this process${statReads}; nothing is decoded or parsed.`,
        'All three run at the same time, the peer and idle-100ms started 0.5 s after memlens. ' +
          'CPU % is of one core. ' +
          '"stat" figures come from utime+stime of /proc/PID/stat, counted in clock ticks of ' +
          `${1000 / ticksPerSec()} ms, so one second's figure is a multiple of ${100 / ticksPerSec()}%; ` +
          '"schedstat" figures sum /proc/PID/task/*/schedstat (run time in ns) over the threads.',
        'Start-up excluded ("after 1st s"): the CPU from the reading at the end of the first second on, ' +
          "alike for both: that second holds Node's start, loading the code and the first tick (with a rollup). " +
          '"at ready" is the CPU time the peer reports (process.cpuUsage) just before its first tick: ' +
          "Node's own start-up.",
        'idle-100ms runs alongside: a Node process that only sleeps, in 100 ms steps as memlens watch ' +
          'sleeps between ticks (so that a signal ends it at once), and reads nothing.',
        'The phases are timed in the bench process, on the same watched process: 3 series of 61 ticks ' +
          '(a minute at 1 Hz, on made-up times, nothing waits), each with a fresh Watch.',
        `memlens also rereads smaps_rollup early when RSS moves by more than ${DEFAULT_SAMPLER_OPTIONS.rollupOnChange * 100}%; ` +
          'the watched process holds still, so it does not here.',
      ],
    };
    return { section, profiles };
  } finally {
    await child.stop();
  }
}

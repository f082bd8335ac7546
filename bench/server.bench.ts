// The cost of `memlens serve` with the default settings on a machine of about 300 processes (the
// population of run.ts): the server runs as a real process on a loopback port and is measured from
// outside, as a user would see it.
//
//   warm-up      the server's first ticks (every process's first smaps_rollup) are left out
//   window       every second: its CPU (utime + stime of /proc/PID/stat) and VmRSS; /metrics
//                requested at an even pace (about 3 a second, not a flood); the history file's
//                size at both ends
//   scrape check right after a tick (the "tick" server-sent event), a burst of /metrics requests
//                that ends before the next tick: /proc/PID/io says what they read (a tick reads
//                /proc; a scrape must read only its socket), /proc/PID/task/*/schedstat their CPU
//   dashboard    Debian's chromium through playwright-core: five first loads (a new context each,
//                so nothing cached) until the page's performance.mark('memlens:overview-filled')
//   profile      only when a target is missed: a second server under `node --cpu-prof`, the same
//                scrape pace, its samples after the warm-up summed by function
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { chromium } from 'playwright-core';
import { DEFAULT_RETENTION, describeRetention, type RetentionTier } from '../src/store/retention.js';
import { processCount } from './population.js';
import { type ProfileSummary, summarizeProfile } from './profile.js';
import type { Figure, Section } from './report.js';
import { type Measured, summarize, yieldToEvents } from './timing.js';

export interface ServerBenchOptions {
  cli: string;
  /** Seconds left out after the server starts listening. */
  warmupSec: number;
  /** Seconds measured. */
  windowSec: number;
  /** /metrics requests spread evenly over the window. */
  scrapes: number;
  /** Dashboard first loads. */
  loads: number;
  /** Profile a second server when a target is missed (seconds profiled; 0: never). */
  profileSec: number;
  /** Each part started is registered here too, so a Ctrl-C of the bench stops it. */
  cleanups: (() => Promise<void>)[];
  log: (line: string) => void;
}

export interface ServerBenchResult {
  section: Section;
  profile: ProfileSummary | null;
}

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const MB = 1e6;
const MiB = 2 ** 20;
const TARGET_CPU_PERCENT = 2;
const TARGET_RSS_BYTES = 120 * MB;
const TARGET_METRICS_P99_MS = 100;
const TARGET_LOAD_MS = 1000;
/** Bytes a scrape may read through read(2): its request from the socket, nothing of /proc. */
const SCRAPE_READ_BUDGET = 4096;
const BURST = 40;
/** Prometheus's default scrape_interval. */
const PROMETHEUS_INTERVAL_SEC = 15;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Nearest-rank percentile. */
function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

const median = (values: number[]) => summarize(values)?.medianMs ?? null;

function fmt(x: number | null, digits = 1): string {
  return x === null ? '-' : x.toFixed(digits);
}

function bytes(n: number | null): string {
  if (n === null) return '-';
  const abs = Math.abs(n);
  if (abs >= 1e12) return `${(n / 1e12).toFixed(2)} TB`;
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (abs >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${Math.round(n)} B`;
}

// ---- the server process ----

export interface Serve {
  pid: number;
  url: string;
  historyLine: string;
  /** From spawn to the "listening on" line. */
  startMs: number;
  stop(): Promise<void>;
}

/**
 * Starts `node [nodeArgs] main.js serve --port 0 --db FILE [serveArgs]` and waits for its first
 * two lines.
 */
export function startServe(
  cli: string,
  db: string,
  nodeArgs: string[] = [],
  serveArgs: string[] = [],
): Promise<Serve> {
  const t0 = performance.now();
  const proc = spawn(process.execPath, [...nodeArgs, cli, 'serve', '--port', '0', '--db', db, ...serveArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  // A last resort if the bench exits without stop(): the server does not end with its stdin.
  const kill = () => proc.kill('SIGKILL');
  process.once('exit', kill);
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((resolve) => proc.once('exit', resolve));
        proc.kill('SIGTERM');
        const killer = setTimeout(kill, 10_000);
        await exited;
        clearTimeout(killer);
      }
      process.removeListener('exit', kill);
    })();
    return stopping;
  };
  return new Promise((resolve, reject) => {
    let out = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      void stop().finally(() => reject(new Error(`memlens serve ${why}; stderr: ${stderr.trim()}`)));
    };
    const timer = setTimeout(() => fail('printed no "listening on" line within 60 s'), 60_000);
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (d: string) => {
      out += d;
      const lines = out.split('\n');
      if (lines.length < 3) return;
      clearTimeout(timer);
      const m = /^listening on (http:\/\/\S+)$/.exec(lines[0] ?? '');
      if (!m?.[1] || proc.pid === undefined) {
        fail(`printed "${lines[0]}" first, not "listening on http://..."`);
        return;
      }
      resolve({
        pid: proc.pid,
        url: m[1].replace(/\/$/, ''),
        historyLine: lines[1] ?? '',
        startMs: performance.now() - t0,
        stop,
      });
    });
    proc.once('exit', (code, signal) => {
      if (out.split('\n').length < 3) fail(`exited (${signal ?? code}) before listening`);
    });
  });
}

// ---- what /proc says of it ----

let clockTicks: number | null = null;
function clkTck(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime of every thread, in seconds (/proc/PID/stat fields 14 and 15). */
function cpuSec(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / clkTck();
}

/** Time on a CPU of every thread, in ns (first field of /proc/PID/task/TID/schedstat). */
function cpuNs(pid: number): number {
  let sum = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      sum += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended.
    }
  }
  return sum;
}

/** RSS split by kind (status) and PSS / USS (smaps_rollup), in bytes. */
interface Footprint {
  rssAnon: number;
  rssFile: number;
  pss: number;
  uss: number;
}

function footprint(pid: number): Footprint {
  const kib = (text: string, name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN) * 1024;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  return {
    rssAnon: kib(status, 'RssAnon'),
    rssFile: kib(status, 'RssFile') + kib(status, 'RssShmem'),
    pss: kib(rollup, 'Pss'),
    uss: kib(rollup, 'Private_Clean') + kib(rollup, 'Private_Dirty'),
  };
}

function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

interface Io {
  rchar: number;
  syscr: number;
}

function io(pid: number): Io {
  const text = readFileSync(`/proc/${pid}/io`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { rchar: field('rchar'), syscr: field('syscr') };
}

// ---- the history file ----

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

interface DbSize {
  /** The database file and its WAL, as on disk. */
  fileBytes: number;
  /** Pages holding data (page_count - freelist_count, as of the last commit) times the page size. */
  usedBytes: number;
  /** Ticks in the finest tier. */
  ticks: number;
  procRows: number;
}

function dbSize(path: string, finestStep: number): DbSize {
  const fileBytes = sizeOf(path) + sizeOf(`${path}-wal`);
  // A reader next to the server's writer, as WAL allows; read-only, so it never checkpoints.
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const pages = db.pragma('page_count', { simple: true }) as number;
    const free = db.pragma('freelist_count', { simple: true }) as number;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const count = (sql: string) => db.prepare(sql).pluck().get(finestStep) as number;
    return {
      fileBytes,
      usedBytes: (pages - free) * pageSize,
      ticks: count('SELECT count(*) FROM ticks WHERE tier = ?'),
      procRows: count('SELECT count(*) FROM proc_samples WHERE tier = ?'),
    };
  } finally {
    db.close();
  }
}

/**
 * Bytes the history holds once every tier is full, at `bytesPerTick` per finest-tier tick (a
 * coarser tier's row per process is as wide as a tick's: the same tables): each tier keeps
 * keepSec / stepSec rows per series. SQLite reuses freed pages and never shrinks the file, so
 * this is also about the size the file reaches and stays at.
 */
function steadyState(tiers: readonly RetentionTier[], bytesPerTick: number): number {
  return tiers.reduce((sum, t) => sum + (t.keepSec / t.stepSec) * bytesPerTick, 0);
}

/** Growth per day on day `day` (0-based): every tier not yet full adds 86400 / stepSec rows. */
function growthOnDay(tiers: readonly RetentionTier[], bytesPerTick: number, day: number): number {
  return tiers.reduce((sum, t) => {
    const filled = Math.min(86400, Math.max(0, t.keepSec - day * 86400));
    return sum + (filled / t.stepSec) * bytesPerTick;
  }, 0);
}

// ---- /metrics ----

interface Scrape {
  ms: number;
  ticks: number | null;
  tickSec: number | null;
  bytes: number;
  series: number;
}

function metricValue(body: string, name: string): number | null {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(body);
  return m ? Number(m[1]) : null;
}

async function scrape(url: string): Promise<Scrape> {
  const t0 = performance.now();
  const res = await fetch(`${url}/metrics`);
  const body = await res.text();
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`GET /metrics answered ${res.status}: ${body.slice(0, 200)}`);
  let series = 0;
  for (const line of body.split('\n')) if (line !== '' && !line.startsWith('#')) series++;
  return {
    ms,
    ticks: metricValue(body, 'memlens_sampler_ticks_total'),
    tickSec: metricValue(body, 'memlens_sampler_tick_duration_seconds'),
    bytes: Buffer.byteLength(body),
    series,
  };
}

/** `count` scrapes at an even pace over `sec` seconds; resolves when the last has answered. */
async function paced(url: string, count: number, sec: number): Promise<Scrape[]> {
  const start = performance.now();
  const gapMs = (sec * 1000) / count;
  const pending: Promise<Scrape>[] = [];
  for (let i = 0; i < count; i++) {
    const due = start + i * gapMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    await yieldToEvents();
    pending.push(scrape(url));
  }
  return Promise.all(pending);
}

// ---- the window ----

interface Window {
  cpuPercent: number[];
  cpuMeanPercent: number;
  /** The same mean from schedstat (ns, every thread): no 10 ms ticks. */
  cpuMeanPercentNs: number;
  rss: number[];
  scrapes: Scrape[];
  seconds: number;
  dbStart: DbSize;
  dbEnd: DbSize;
  /** At the end of the window. */
  footprint: Footprint;
}

async function measureWindow(s: Serve, db: string, o: ServerBenchOptions): Promise<Window> {
  const finest = DEFAULT_RETENTION[0]?.stepSec ?? 1;
  const dbStart = dbSize(db, finest);
  const t0 = performance.now();
  const cpu0 = cpuSec(s.pid);
  const ns0 = cpuNs(s.pid);
  const cpuPercent: number[] = [];
  const rss: number[] = [rssBytes(s.pid)];
  const sampling = (async () => {
    let last = { t: t0, cpu: cpu0 };
    for (let i = 1; i <= o.windowSec; i++) {
      const wait = t0 + i * 1000 - performance.now();
      if (wait > 0) await sleep(wait);
      await yieldToEvents();
      const now = { t: performance.now(), cpu: cpuSec(s.pid) };
      cpuPercent.push((100 * (now.cpu - last.cpu)) / ((now.t - last.t) / 1000));
      rss.push(rssBytes(s.pid));
      last = now;
    }
    return last;
  })();
  const [scrapes, last] = await Promise.all([paced(s.url, o.scrapes, o.windowSec), sampling]);
  const ns1 = cpuNs(s.pid);
  const seconds = (last.t - t0) / 1000;
  return {
    cpuPercent,
    cpuMeanPercent: (100 * (last.cpu - cpu0)) / seconds,
    cpuMeanPercentNs: (100 * (ns1 - ns0)) / 1e9 / ((performance.now() - t0) / 1000),
    rss,
    scrapes,
    seconds,
    dbStart,
    dbEnd: dbSize(db, finest),
    footprint: footprint(s.pid),
  };
}

// ---- a burst of scrapes between two ticks ----

interface Burst {
  tickRead: Io;
  burstRead: Io;
  cpuMsPerScrape: number;
  burstMs: number;
  attempts: number;
}

/** Resolves at each "tick" event of /api/events; stop() closes the stream. */
function tickEvents(url: string): { next(): Promise<void>; stop(): void } {
  const abort = new AbortController();
  let waiters: (() => void)[] = [];
  void (async () => {
    const res = await fetch(`${url}/api/events`, { signal: abort.signal });
    const reader = res.body?.getReader();
    const decoder = new TextDecoder();
    let text = '';
    for (;;) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) return;
      text += decoder.decode(chunk.value, { stream: true });
      let end = text.indexOf('\n\n');
      while (end >= 0) {
        if (text.slice(0, end).includes('event: tick')) {
          const ready = waiters;
          waiters = [];
          for (const w of ready) w();
        }
        text = text.slice(end + 2);
        end = text.indexOf('\n\n');
      }
    }
  })().catch(() => {});
  return {
    next: () =>
      Promise.race([
        new Promise<void>((resolve) => waiters.push(resolve)),
        sleep(10_000).then(() => {
          throw new Error('no "tick" event from /api/events within 10 s');
        }),
      ]),
    stop: () => abort.abort(),
  };
}

async function burstBetweenTicks(s: Serve): Promise<Burst> {
  const events = tickEvents(s.url);
  try {
    await events.next();
    await events.next();
    // What one tick reads, with nothing else asked of the server (the event stream only writes).
    const a = io(s.pid);
    await events.next();
    const b = io(s.pid);
    const tickRead = { rchar: b.rchar - a.rchar, syscr: b.syscr - a.syscr };
    for (let attempt = 1; ; attempt++) {
      await events.next();
      const io0 = io(s.pid);
      const cpu0 = cpuNs(s.pid);
      const t0 = performance.now();
      const burst: Scrape[] = [];
      for (let i = 0; i < BURST; i++) burst.push(await scrape(s.url));
      const burstMs = performance.now() - t0;
      const cpu1 = cpuNs(s.pid);
      const io1 = io(s.pid);
      // The same tick count in the first and last answer: no tick ran in between.
      if (burst[0]?.ticks === burst[burst.length - 1]?.ticks || attempt === 5) {
        return {
          tickRead,
          burstRead: { rchar: io1.rchar - io0.rchar, syscr: io1.syscr - io0.syscr },
          cpuMsPerScrape: (cpu1 - cpu0) / 1e6 / BURST,
          burstMs,
          attempts: attempt,
        };
      }
    }
  } finally {
    events.stop();
  }
}

// ---- the dashboard ----

interface Loads {
  /** performance.mark('memlens:overview-filled'), ms from the navigation's start. */
  filledMs: number[];
  /** From page.goto() until the bench saw the mark. */
  seenMs: number[];
  note: string | null;
}

async function dashboardLoads(url: string, count: number, cleanups: (() => Promise<void>)[]): Promise<Loads> {
  const filledMs: number[] = [];
  const seenMs: number[] = [];
  if (!existsSync(CHROMIUM))
    return { filledMs, seenMs, note: `${CHROMIUM} is missing (apt-get install chromium)` };
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const close = () => browser.close().catch(() => {});
  cleanups.push(close);
  try {
    for (let i = 0; i < count; i++) {
      await yieldToEvents();
      // A new context each time: an empty cache, as on a first visit.
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      try {
        const page = await context.newPage();
        const t0 = performance.now();
        await page.goto(`${url}/`);
        await page.waitForFunction(
          () =>
            (
              globalThis as unknown as { performance: { getEntriesByName(n: string): unknown[] } }
            ).performance.getEntriesByName('memlens:overview-filled').length > 0,
          undefined,
          { timeout: 15_000, polling: 10 },
        );
        seenMs.push(performance.now() - t0);
        const filled = await page.evaluate(
          () =>
            (
              globalThis as unknown as {
                performance: { getEntriesByName(n: string): { startTime: number }[] };
              }
            ).performance.getEntriesByName('memlens:overview-filled')[0]?.startTime ?? null,
        );
        if (filled !== null) filledMs.push(filled);
      } finally {
        await context.close();
      }
    }
  } finally {
    await close();
  }
  return { filledMs, seenMs, note: null };
}

// ---- a profile of the server ----

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** A second server under --cpu-prof, the same scrape pace; its samples after the warm-up. */
async function profileServer(o: ServerBenchOptions, dir: string, scrapesPerSec: number) {
  const profDir = join(dir, 'prof');
  const s = await startServe(o.cli, join(dir, 'profile.db'), ['--cpu-prof', `--cpu-prof-dir=${profDir}`]);
  o.cleanups.push(s.stop);
  try {
    await sleep(o.warmupSec * 1000);
    await paced(s.url, Math.round(scrapesPerSec * o.profileSec), o.profileSec);
  } finally {
    await s.stop();
  }
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('the profiled server wrote no .cpuprofile');
  const profile = JSON.parse(readFileSync(join(profDir, file), 'utf8')) as CpuProfile;
  // Leave out the start and the warm-up: the samples of the last profileSec (+ the stop).
  let total = 0;
  for (const d of profile.timeDeltas) total += d;
  const from = total - (o.profileSec + 1) * 1e6;
  const kept: CpuProfile = { nodes: profile.nodes, samples: [], timeDeltas: [] };
  let at = 0;
  profile.samples.forEach((id, i) => {
    const d = profile.timeDeltas[i] ?? 0;
    at += d;
    if (at < from) return;
    kept.samples.push(id);
    kept.timeDeltas.push(d);
  });
  return summarizeProfile(
    `node --cpu-prof dist/cli/main.js serve (${o.profileSec} s after a ${o.warmupSec} s warm-up, /metrics ${scrapesPerSec.toFixed(1)}/s)`,
    kept,
    15,
  );
}

// ---- the section ----

function figure(
  what: string,
  value: number | null,
  unit: string,
  text: string,
  target: string | null = null,
  met: boolean | null = null,
): Figure {
  return { what, value, unit, text, target, met: value === null ? null : met };
}

export async function benchServer(o: ServerBenchOptions): Promise<ServerBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'memlens-bench-serve-'));
  const db = join(dir, 'h.db');
  let server: Serve | null = null;
  try {
    o.log('starting memlens serve --port 0 (default settings)');
    const s = await startServe(o.cli, db);
    server = s;
    o.cleanups.push(s.stop);
    o.log(`${s.url} (pid ${s.pid}); ${s.historyLine}; warming up for ${o.warmupSec} s`);
    await sleep(o.warmupSec * 1000);
    const processes = processCount();
    // Two windows: the default settings with Prometheus's default scrape interval (15 s) for what
    // sampling costs, then /metrics every few hundred ms for its latency, which a quiet window
    // would measure on too few requests.
    const quietScrapes = Math.max(1, Math.round(o.windowSec / PROMETHEUS_INTERVAL_SEC));
    o.log(`measuring for ${o.windowSec} s: CPU and RSS every second, ${quietScrapes} /metrics requests`);
    const q = await measureWindow(s, db, { ...o, scrapes: quietScrapes });
    o.log(`measuring for ${o.windowSec} s more: ${o.scrapes} /metrics requests`);
    const w = await measureWindow(s, db, o);
    o.log('a burst of /metrics requests between two ticks: what they read');
    const burst = await burstBetweenTicks(s);
    o.log(`dashboard: ${o.loads} first loads in chromium`);
    const loads = await dashboardLoads(s.url, o.loads, o.cleanups);
    await s.stop();

    const lat = w.scrapes.map((x) => x.ms);
    const fp = w.footprint;
    const p50 = percentile(lat, 50);
    const p99 = percentile(lat, 99);
    const cpuMed = median(q.cpuPercent);
    const cpuP90 = percentile(q.cpuPercent, 90);
    const allRss = [...q.rss, ...w.rss];
    const rssMed = median(allRss);
    const rssMax = allRss.length === 0 ? null : Math.max(...allRss);
    const ticks = w.scrapes.map((x) => x.tickSec).filter((x): x is number => x !== null);
    const tickMs = ticks.map((x) => x * 1000);
    const lastScrape = w.scrapes[w.scrapes.length - 1];
    const loadMed = median(loads.filledMs);
    const fileRate = (q.dbEnd.fileBytes - q.dbStart.fileBytes) / q.seconds;
    const usedRate = (q.dbEnd.usedBytes - q.dbStart.usedBytes) / q.seconds;
    const ticksWritten = q.dbEnd.ticks - q.dbStart.ticks;
    const perTick = ticksWritten > 0 ? (q.dbEnd.usedBytes - q.dbStart.usedBytes) / ticksWritten : null;
    const rowsPerTick = ticksWritten > 0 ? (q.dbEnd.procRows - q.dbStart.procRows) / ticksWritten : null;
    const tiers = DEFAULT_RETENTION;
    const steady = perTick === null ? null : steadyState(tiers, perTick);
    const readPerScrape = burst.burstRead.rchar / BURST;
    const scrapesPerSec = o.scrapes / o.windowSec;
    const scrapeReadsProc = burst.burstRead.rchar > BURST * SCRAPE_READ_BUDGET;

    const figures: Figure[] = [
      figure(
        `sampling overhead: CPU of memlens (every thread, schedstat), mean over ${fmt(q.seconds, 0)} s, /metrics every ${PROMETHEUS_INTERVAL_SEC} s`,
        q.cpuMeanPercentNs,
        '% of one core',
        `${fmt(q.cpuMeanPercentNs, 2)}% of one core`,
        `< ${TARGET_CPU_PERCENT}%`,
        q.cpuMeanPercentNs < TARGET_CPU_PERCENT,
      ),
      figure(
        'the same from utime + stime (10 ms ticks)',
        q.cpuMeanPercent,
        '% of one core',
        `${fmt(q.cpuMeanPercent, 2)}% of one core`,
      ),
      figure(
        `CPU of memlens with /metrics every ${fmt(1000 / scrapesPerSec, 0)} ms (the latency window)`,
        w.cpuMeanPercentNs,
        '% of one core',
        `${fmt(w.cpuMeanPercentNs, 2)}% of one core`,
      ),
      figure('CPU per second (utime + stime), median', cpuMed, '% of one core', `${fmt(cpuMed)}%`),
      figure('CPU per second, p90', cpuP90, '% of one core', `${fmt(cpuP90)}%`),
      figure(
        'memlens RSS (VmRSS), max',
        rssMax,
        'bytes',
        `${fmt(rssMax === null ? null : rssMax / MB)} MB (${fmt(rssMax === null ? null : rssMax / MiB)} MiB)`,
        `< ${TARGET_RSS_BYTES / MB} MB`,
        rssMax !== null && rssMax < TARGET_RSS_BYTES,
      ),
      figure('memlens RSS, median', rssMed, 'bytes', `${fmt(rssMed === null ? null : rssMed / MB)} MB`),
      figure(
        'memlens at the end of the window: RSS anon + file, PSS, USS',
        fp.uss,
        'bytes (USS)',
        `anon ${fmt(fp.rssAnon / MB)} MB + file ${fmt(fp.rssFile / MB)} MB; PSS ${fmt(fp.pss / MB)} MB, USS ${fmt(fp.uss / MB)} MB`,
      ),
      figure(
        `/metrics latency, p99 of ${lat.length}`,
        p99,
        'ms',
        `${fmt(p99)} ms`,
        `< ${TARGET_METRICS_P99_MS} ms`,
        p99 !== null && p99 < TARGET_METRICS_P99_MS,
      ),
      figure('/metrics latency, p50', p50, 'ms', `${fmt(p50)} ms`),
      figure(
        '/metrics never walks smaps: bytes read per scrape (read(2), /proc/PID/io)',
        readPerScrape,
        'bytes',
        `${Math.round(readPerScrape)} B in ${fmt(burst.burstRead.syscr / BURST)} reads per scrape; a tick reads ${bytes(burst.tickRead.rchar)} in ${burst.tickRead.syscr} reads`,
        `<= ${SCRAPE_READ_BUDGET} B (its request only, no /proc)`,
        !scrapeReadsProc,
      ),
      figure(
        '/metrics CPU per scrape (schedstat)',
        burst.cpuMsPerScrape,
        'ms',
        `${fmt(burst.cpuMsPerScrape, 2)} ms`,
      ),
      figure(
        `dashboard first load, median of ${loads.filledMs.length} (navigation start to overview filled)`,
        loadMed,
        'ms',
        loads.note ?? `${fmt(loadMed, 0)} ms`,
        `< ${TARGET_LOAD_MS} ms`,
        loadMed !== null && loadMed < TARGET_LOAD_MS,
      ),
      figure(
        'sampler tick (memlens_sampler_tick_duration_seconds), median',
        median(tickMs),
        'ms',
        `${fmt(median(tickMs))} ms (p90 ${fmt(percentile(tickMs, 90))} ms)`,
      ),
      figure(
        'history growth, file + WAL on disk',
        fileRate,
        'bytes/s',
        `${bytes(fileRate)}/s: ${bytes(fileRate * 86400)} per day at this rate (${bytes(w.dbStart.fileBytes)} -> ${bytes(w.dbEnd.fileBytes)})`,
      ),
      figure(
        'history growth, pages in use',
        usedRate,
        'bytes/s',
        `${bytes(usedRate)}/s: ${bytes(usedRate * 86400)} per day at this rate; ${perTick === null ? '-' : bytes(perTick)} per tick (${fmt(rowsPerTick, 0)} process rows)`,
      ),
    ];
    if (perTick !== null) {
      figures.push(
        figure(
          'history growth per day once the 1 s tier is full (after the first hour)',
          growthOnDay(tiers.slice(1), perTick, 0),
          'bytes/day',
          `${bytes(growthOnDay(tiers.slice(1), perTick, 0))}/day until day 7, then ${bytes(growthOnDay(tiers, perTick, 7))}/day until day 90, then 0`,
        ),
        figure(
          `history steady state (${describeRetention(tiers)})`,
          steady,
          'bytes',
          `${bytes(steady)}, reached after ${Math.max(...tiers.map((t) => t.keepSec)) / 86400} days`,
        ),
      );
    }

    const tierRows = tiers.map((t) => `${t.keepSec / t.stepSec} rows per series (${describeRetention([t])})`);
    const notes = [
      `The server: \`node dist/cli/main.js serve --port 0 --db <tmp>/h.db\`, every other setting default (retention ${/\((.*)\)$/.exec(s.historyLine)?.[1] ?? '?'}); ${processes} processes on the machine; listening ${fmt(s.startMs, 0)} ms after the spawn (its first tick reads every process's smaps_rollup).`,
      `Windows: ${o.warmupSec} s of warm-up left out, then ${fmt(q.seconds, 0)} s with a /metrics request every ${PROMETHEUS_INTERVAL_SEC} s (Prometheus's default scrape interval): the sampling overhead, from the first field of /proc/PID/task/*/schedstat (ns on a CPU, every thread) at its start and end, and per second from utime + stime of /proc/PID/stat (${clkTck()} Hz ticks, so one second's figure moves in steps of ${fmt(100 / clkTck(), 0)}%); then ${fmt(w.seconds, 0)} s with ${o.scrapes} /metrics requests for their latency. RSS is VmRSS, sampled every second in both windows. MB = 10^6 bytes. RSS counts file-backed pages (${fmt(fp.rssFile / MB)} MB at the end, mostly the code of /usr/bin/node, shared with every Node process on the machine) as well as memlens's own; USS is what memlens alone holds.`,
      `/metrics: ${lat.length} requests, one every ${fmt((o.windowSec * 1000) / o.scrapes, 0)} ms, keep-alive, timed to the end of the body (${bytes(lastScrape?.bytes ?? null)}, ${lastScrape?.series ?? '-'} series). A request that arrives during a tick waits for it: ticks are synchronous.`,
      `Scrape check: right after a tick (the "tick" event of /api/events), ${BURST} requests back to back (${fmt(burst.burstMs, 0)} ms, before the next tick${burst.attempts > 1 ? `, attempt ${burst.attempts}` : ''}); /proc/PID/io rchar counts every read(2), sockets included, so a scrape's own request is in it; an smaps or smaps_rollup walk of ~300 processes would read hundreds of kB.`,
      `Dashboard: ${CHROMIUM} through playwright-core, a new context (empty cache) per load; ms from the navigation's start to performance.mark('memlens:overview-filled'): ${loads.filledMs.map((x) => x.toFixed(0)).join(', ') || '-'}; page.goto() until the bench saw it: ${loads.seenMs.map((x) => x.toFixed(0)).join(', ') || '-'}.`,
      `History: pages in use = (page_count - freelist_count) x page_size from a read-only connection; ${ticksWritten} ticks written in the window. The file + WAL figure overstates the data: the WAL takes a new copy of every page a commit touches, until a checkpoint. The projection: each tier keeps ${tierRows.join(', ')}, a coarser row as wide as a tick's; SQLite reuses freed pages and never shrinks the file, so the file stays about that size.`,
    ];
    const groups = [
      {
        title: `/metrics over HTTP, one request every ${fmt((o.windowSec * 1000) / o.scrapes, 0)} ms`,
        measured: [measured('metrics', 'GET /metrics', lat)],
      },
      {
        title: 'dashboard first load (navigation start to overview filled)',
        measured: [measured('dashboard', 'GET / in chromium', loads.filledMs, loads.note)],
      },
    ];
    const section: Section = {
      title: `memlens serve, default settings, ${processes} processes`,
      groups,
      comparisons: [],
      phases: [],
      notes,
      figures,
      raw: { cpuPercent: w.cpuPercent, rssBytes: w.rss, tickMs, dbStart: w.dbStart, dbEnd: w.dbEnd },
    };

    let profile: ProfileSummary | null = null;
    const missed = figures.filter((f) => f.met === false);
    if (missed.length > 0 && o.profileSec > 0) {
      o.log(
        `missed: ${missed.map((f) => f.what).join('; ')}; profiling a second server for ${o.profileSec} s`,
      );
      profile = await profileServer(o, dir, o.scrapes / o.windowSec);
    }
    return { section, profile };
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function measured(id: string, label: string, samplesMs: number[], note: string | null = null): Measured {
  return { id, label, samplesMs, stats: summarize(samplesMs), note };
}

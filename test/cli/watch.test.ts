// memlens watch against real processes with known memory behaviour (test/children/grow.c), all
// watched at once for about a minute at 1 Hz by real `memlens watch --json` processes: a leaker at
// a known rate, five each of sawtooth, steady and step processes, and a leaker inside a real
// memory cgroup that the OOM killer ends.
//
// Nothing here depends on how fast the machine is. A step child steps when the test tells it to,
// after its watch has taken a given number of samples, and says when it did; it used to step at a
// time of its own, 5-9 s after it started, and on a busy machine seventeen `memlens watch`
// processes starting at once took longer than that to take their first sample, so the watch saw
// only the level after the step and called it steady. And the watch lasts as long as the analysis
// needs for the longest sawtooth, plus one sample, instead of exactly that long.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { DEFAULT_LEAK_OPTIONS } from '../../src/analysis/leak.js';
import { CYCLE_WINDOW_SHARE } from '../../src/analysis/leak-floor.js';
import { cgroupUnavailable, createCgroup, type TestCgroup } from '../helpers/cgroup.js';
import { buildChild } from '../helpers/children.js';
import { CLI } from '../helpers/cli.js';

const MiB = 1024 * 1024;
const O = DEFAULT_LEAK_OPTIONS;
const SAWTOOTH_PERIODS_SEC = [4, 5, 6, 7, 8];
/** The window the analysis lays over a series with cycles of cycleSec (leak-floor.ts). */
const windowFor = (cycleSec: number) =>
  O.minWindowSec * Math.max(1, Math.ceil((CYCLE_WINDOW_SHARE * cycleSec) / O.minWindowSec - 1e-9));
/**
 * The longest sawtooth needs minWindows whole windows of its length between the first sample and
 * the last (60 s for 8 s cycles). A watch of exactly that long can end a millisecond short of it,
 * when its first sample came a little after the moment its duration counts from, and then ends
 * with "not enough data yet: 1m0s observed, need 1m0s"; one more 1 Hz sample always reaches it.
 */
const WATCH_SEC = O.minWindows * windowFor(Math.max(...SAWTOOTH_PERIODS_SEC)) + 1;
const LEAK_KIB_S = 1024; // 1 MiB/s
const CG_LEAK_KIB_S = 2048;
const CG_LIMIT = 112 * MiB;
const STEP_MIB = (i: number) => 30 + 10 * i;

interface Line {
  t: number;
  pid: number | null;
  event?: string;
  reason?: string;
  oomKilled?: boolean | null;
  evidence?: string[];
  summary?: string;
  rssBytes?: number | null;
  verdict?: {
    kind: string;
    slopeBytesPerSec: number | null;
    timeToLimitSec: number | null;
    limitSource: string | null;
    limitBytes: number | null;
  };
}

interface Run {
  name: string;
  lines: Line[];
  /** The watched child's own lines after its ready line (grow step: {"stepped":true,"t"}). */
  childLines: Record<string, unknown>[];
  stepAfterSamples: number | undefined;
  /** When the watched process exited, by the test's own clock (seconds since the epoch). */
  exitedAt: number | null;
  stderr: string;
  code: number | null;
}

/** Calls `onLine` with each JSON line of `stream`. */
function eachLine(stream: NodeJS.ReadableStream, onLine: (line: Record<string, unknown>) => void): void {
  let buf = '';
  stream.on('data', (d) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
      onLine(JSON.parse(buf.slice(0, nl)));
      buf = buf.slice(nl + 1);
    }
  });
}

interface Options {
  cg?: TestCgroup;
  /** grow step: send the child SIGUSR1 (its step) once the watch has printed this many samples. */
  stepAfterSamples?: number;
}

/** Starts `grow ARGS` (optionally inside a cgroup) and a `memlens watch --json` on it. */
async function scenario(name: string, args: string[], opts: Options = {}): Promise<Run> {
  const bin = buildChild('grow');
  const { cg, stepAfterSamples } = opts;
  const child = cg
    ? spawn('sh', ['-c', `echo $$ > ${cg.dir}/cgroup.procs && exec "$@"`, 'sh', bin, ...args], {
        stdio: ['pipe', 'pipe', 'inherit'],
      })
    : spawn(bin, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const childLines: Record<string, unknown>[] = [];
  let ready: ((pid: number) => void) | null = null;
  const started = new Promise<number>((resolve) => {
    ready = resolve;
  });
  eachLine(child.stdout, (line) => {
    if (ready) {
      ready(line.pid as number);
      ready = null;
    } else {
      childLines.push(line);
    }
  });
  const pid = await started;
  const run: Run = { name, lines: [], childLines, stepAfterSamples, exitedAt: null, stderr: '', code: null };
  child.once('exit', () => {
    run.exitedAt = Date.now() / 1000;
  });
  const watch = spawn(
    process.execPath,
    [CLI, 'watch', String(pid), '--json', '--duration', `${WATCH_SEC}s`],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let samples = 0;
  eachLine(watch.stdout, (line) => {
    run.lines.push(line as unknown as Line);
    if (!line.event && ++samples === stepAfterSamples) child.kill('SIGUSR1');
  });
  watch.stderr.on('data', (d) => {
    run.stderr += d;
  });
  const [code] = await once(watch, 'close');
  run.code = code as number;
  child.stdin?.end();
  child.kill('SIGTERM');
  return run;
}

const runs = new Map<string, Run>();
let cgroup: TestCgroup | null = null;

before(
  async () => {
    const jobs: Promise<Run>[] = [scenario('leak', ['leak', String(LEAK_KIB_S)])];
    // Sawtooth cycles of 4-8 s: the verdict needs six windows of about a cycle to tell a
    // sawtooth from a ramp (WATCH_SEC is long enough for the longest). Steps after 5-9 samples.
    for (let i = 0; i < 5; i++) {
      jobs.push(scenario(`sawtooth-${i}`, ['sawtooth', '70', String(SAWTOOTH_PERIODS_SEC[i])]));
      jobs.push(scenario(`steady-${i}`, ['steady', String(20 + 10 * i)]));
      jobs.push(scenario(`step-${i}`, ['step', String(STEP_MIB(i))], { stepAfterSamples: 5 + i }));
    }
    if (cgroupUnavailable() === null) {
      cgroup = createCgroup('watch-leak', { limitBytes: CG_LIMIT });
      jobs.push(scenario('cgroup-leak', ['leak', String(CG_LEAK_KIB_S)], { cg: cgroup }));
    }
    for (const run of await Promise.all(jobs)) runs.set(run.name, run);
  },
  { timeout: (WATCH_SEC + 60) * 1000 },
);

after(async () => {
  await cgroup?.remove();
});

function firstVerdict(run: Run, kind: string): Line | undefined {
  return run.lines.find((l) => l.verdict?.kind === kind);
}

test('the leaker is flagged growing within 60 s, with a slope within 25% of its true rate', () => {
  const run = runs.get('leak') as Run;
  assert.equal(run.code, 0, run.stderr);
  const t0 = run.lines[0]?.t as number;
  const flagged = firstVerdict(run, 'growing');
  assert.ok(flagged, `never flagged: ${run.lines.at(-1)?.verdict?.kind}`);
  const latency = flagged.t - t0;
  assert.ok(latency <= 60, `flagged after ${latency} s`);
  const end = run.lines.at(-1) as Line;
  assert.equal(end.event, 'end');
  assert.equal(end.reason, 'duration');
  assert.equal(end.verdict?.kind, 'growing');
  const truth = LEAK_KIB_S * 1024;
  const slope = end.verdict?.slopeBytesPerSec ?? 0;
  const error = (slope - truth) / truth;
  console.log(
    `# leak: flagged growing after ${latency.toFixed(1)} s; final slope ${(slope / MiB).toFixed(3)} MiB/s (error ${(error * 100).toFixed(1)}%)`,
  );
  assert.ok(Math.abs(error) <= 0.25, `slope ${slope} vs ${truth}`);
  // Without a cgroup limit, the limit is the machine's: MemAvailable.
  assert.equal(end.verdict?.limitSource, 'MemAvailable');
  assert.ok((end.verdict?.timeToLimitSec ?? 0) > 0);
});

/**
 * What a step child did, against what its watch saw: the samples the test waited for came before
 * the step, the samples after the child's report hold the step, and enough of the watch was left
 * after it for the analysis to see it hold (stepMinTailWindows windows). So a verdict other than
 * `step` is the analysis misreading a step it was shown, never a step it could not see.
 */
function assertStepSeen(name: string, run: Run): void {
  const stepped = run.childLines.find((l) => l.stepped === true);
  assert.ok(stepped, `${name}: the child never stepped`);
  const at = stepped.t as number;
  const samples = run.lines.filter((l) => !l.event);
  const pre = samples.slice(0, run.stepAfterSamples ?? 0);
  const post = samples.filter((l) => l.t > at);
  assert.ok(pre.length > 0 && (pre.at(-1) as Line).t < at, `${name}: no sample before the step`);
  const tail = ((post.at(-1) as Line | undefined)?.t ?? at) - at;
  assert.ok(
    tail >= (O.stepMinTailWindows + 1) * O.minWindowSec,
    `${name}: only ${tail} s watched after the step`,
  );
  const rss = (l: Line) => l.rssBytes as number;
  const rise = Math.min(...post.map(rss)) - Math.max(...pre.map(rss));
  // The step is exact pages; the rest of the child's RSS (libc, stack) may move by a page or two.
  const step = STEP_MIB(Number(name.split('-')[1])) * MiB;
  assert.ok(
    Math.abs(rise - step) < MiB,
    `${name}: the watch saw a rise of ${rise} B for a step of ${step} B`,
  );
}

test('sawtooth, steady and step processes are never flagged growing (5 runs each)', () => {
  const counts: Record<string, number> = { sawtooth: 0, steady: 0, step: 0 };
  const finals: string[] = [];
  for (const [name, run] of runs) {
    const kind = name.split('-')[0] as string;
    if (!(kind in counts)) continue;
    assert.equal(run.code, 0, `${name}: ${run.stderr}`);
    assert.ok(run.lines.length >= WATCH_SEC - 5, `${name}: ${run.lines.length} lines`);
    if (run.lines.some((l) => l.verdict?.kind === 'growing')) counts[kind] = (counts[kind] ?? 0) + 1;
    finals.push(`${name}=${run.lines.at(-1)?.verdict?.kind}`);
  }
  console.log(
    `# false positives (runs ever flagged growing): ${JSON.stringify(counts)}; final verdicts: ${finals.join(' ')}`,
  );
  assert.deepEqual(counts, { sawtooth: 0, steady: 0, step: 0 });
  for (const [name, run] of runs) if (name.startsWith('step')) assertStepSeen(name, run);
  for (const [name, run] of runs) {
    const end = run.lines.at(-1);
    if (name.startsWith('sawtooth')) assert.equal(end?.verdict?.kind, 'sawtooth', name);
    if (name.startsWith('steady')) assert.equal(end?.verdict?.kind, 'steady', name);
    if (name.startsWith('step')) assert.equal(end?.verdict?.kind, 'step', name);
  }
});

test('every NDJSON line is a sample with the documented fields, and the last carries the final verdict', () => {
  const run = runs.get('steady-0') as Run;
  const samples = run.lines.filter((l) => !l.event);
  for (const s of samples) {
    for (const key of [
      't',
      'pid',
      'vszBytes',
      'rssBytes',
      'pssBytes',
      'ussBytes',
      'swapBytes',
      'minorFaultsPerSec',
      'majorFaultsPerSec',
    ]) {
      assert.ok(key in s, `missing ${key}`);
    }
  }
  assert.ok(samples[0]?.verdict, 'the first sample carries the first verdict');
  assert.equal(samples[0]?.verdict?.kind, 'not enough data yet');
  const end = run.lines.at(-1) as Line;
  assert.ok(end.event === 'end' && end.verdict);
});

test('inside a memory cgroup: time to the limit predicted within 25%, and the OOM kill reported as one', (t) => {
  const why = cgroupUnavailable();
  if (why) return t.skip(why);
  const run = runs.get('cgroup-leak') as Run;
  assert.equal(run.code, 0, run.stderr);
  const end = run.lines.at(-1) as Line;
  assert.equal(end.event, 'end');
  assert.equal(end.reason, 'oom-killed', end.summary);
  assert.equal(end.oomKilled, true);
  assert.ok(
    (end.evidence ?? []).some((e) => /oom_kill counter|kernel log/.test(e)),
    end.summary,
  );
  assert.match(end.summary ?? '', /killed by the OOM killer after/);
  assert.ok(run.exitedAt !== null);
  // The first prediction made once the leak was recognised.
  const predicted = run.lines.find((l) => l.verdict?.kind === 'growing' && l.verdict.timeToLimitSec !== null);
  assert.ok(predicted?.verdict, 'a growing verdict with a time to the limit');
  assert.equal(predicted.verdict.limitSource, `cgroup ${cgroup?.path}`);
  assert.equal(predicted.verdict.limitBytes, CG_LIMIT);
  const actual = (run.exitedAt as number) - predicted.t;
  const guess = predicted.verdict.timeToLimitSec as number;
  const error = (guess - actual) / actual;
  console.log(
    `# cgroup: predicted ${guess.toFixed(1)} s to the limit, the OOM kill came after ${actual.toFixed(1)} s (error ${(error * 100).toFixed(1)}%)`,
  );
  assert.ok(Math.abs(error) <= 0.25, `predicted ${guess} s, actual ${actual} s`);
});

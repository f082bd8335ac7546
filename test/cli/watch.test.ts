// memlens watch against real processes with known memory behaviour (test/children/grow.c), all
// watched at once for 60 s at 1 Hz by real `memlens watch --json` processes: a leaker at a known
// rate, five each of sawtooth, steady and step processes, and a leaker inside a real memory
// cgroup that the OOM killer ends.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { cgroupUnavailable, createCgroup, type TestCgroup } from '../helpers/cgroup.js';
import { buildChild } from '../helpers/children.js';
import { CLI } from '../helpers/cli.js';

const MiB = 1024 * 1024;
const WATCH_SEC = 60;
const LEAK_KIB_S = 1024; // 1 MiB/s
const CG_LEAK_KIB_S = 2048;
const CG_LIMIT = 112 * MiB;

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
  /** When the watched process exited, by the test's own clock (seconds since the epoch). */
  exitedAt: number | null;
  stderr: string;
  code: number | null;
}

/** Starts `grow ARGS` (optionally inside a cgroup) and a `memlens watch --json` on it. */
async function scenario(name: string, args: string[], cg?: TestCgroup): Promise<Run> {
  const bin = buildChild('grow');
  const child = cg
    ? spawn('sh', ['-c', `echo $$ > ${cg.dir}/cgroup.procs && exec "$@"`, 'sh', bin, ...args], {
        stdio: ['pipe', 'pipe', 'inherit'],
      })
    : spawn(bin, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const [ready] = (await once(child.stdout, 'data')) as [Buffer];
  const pid = JSON.parse(ready.toString()).pid as number;
  const run: Run = { name, lines: [], exitedAt: null, stderr: '', code: null };
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
  let buf = '';
  watch.stdout.on('data', (d) => {
    buf += d;
    let nl = buf.indexOf('\n');
    while (nl !== -1) {
      run.lines.push(JSON.parse(buf.slice(0, nl)) as Line);
      buf = buf.slice(nl + 1);
      nl = buf.indexOf('\n');
    }
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
    // sawtooth from a ramp, and a watch of 60 s has room for that up to ~10 s cycles.
    for (let i = 0; i < 5; i++) {
      jobs.push(scenario(`sawtooth-${i}`, ['sawtooth', '70', String(4 + i)]));
      jobs.push(scenario(`steady-${i}`, ['steady', String(20 + 10 * i)]));
      jobs.push(scenario(`step-${i}`, ['step', String(30 + 10 * i), String(5 + i)]));
    }
    if (cgroupUnavailable() === null) {
      cgroup = createCgroup('watch-leak', { limitBytes: CG_LIMIT });
      jobs.push(scenario('cgroup-leak', ['leak', String(CG_LEAK_KIB_S)], cgroup));
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

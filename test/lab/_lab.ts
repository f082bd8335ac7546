// Shared by the lab's tests: where the demo helper is cached, why a demo cannot run here, and the
// checks every report must pass whatever the demo.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DemoReport, Reading } from '../../src/lab/types.js';
import { cgroupUnavailable } from '../helpers/cgroup.js';
import { CLI } from '../helpers/cli.js';

// The CLI processes the tests start build the helper here, not in the user's ~/.cache.
process.env.XDG_CACHE_HOME = join(tmpdir(), 'memlens-lab-test-cache');

/** Why the demos cannot run here (no C compiler), or null. */
export function noCompiler(): string | null {
  const cc = process.env.CC || 'cc';
  return spawnSync(cc, ['--version']).status === 0
    ? null
    : `the demos need a C compiler (${cc}) to build their helper; install gcc`;
}

/** Why the oom demo (root, a memory cgroup) cannot run here, or null. */
export function noCgroup(): string | null {
  return noCompiler() ?? cgroupUnavailable();
}

/**
 * The checks every report passes: each expectation judged right (the change really is after -
 * before, and met exactly when it lies in the stated range), every one met, and nothing left.
 */
export function checkReport(r: DemoReport, demo: string, size: number): void {
  assert.equal(r.demo, demo);
  assert.equal(r.sizeBytes, size);
  assert.ok(r.steps.length >= 3, `${r.steps.length} steps`);
  for (const step of r.steps) {
    assert.ok(step.action.length > 0 && step.explanation.length > 0);
    for (const x of step.readings) {
      const change = x.before === null || x.after === null ? null : x.after - x.before;
      assert.equal(x.change, change, `${x.label}: change`);
      const e = x.expectation;
      if (!e) continue;
      const actual = e.on === 'change' ? change : x.after;
      const inRange = actual !== null && actual >= (e.min ?? -Infinity) && actual <= (e.max ?? Infinity);
      assert.equal(
        e.met,
        inRange,
        `step ${step.step} ${x.label}: met says ${e.met}, ${actual} in [${e.min}, ${e.max}]`,
      );
      assert.ok(
        e.met,
        `step ${step.step} ${x.label}: ${actual} not in [${e.min}, ${e.max}] (${e.tolerance})`,
      );
    }
  }
  assert.ok(r.passed);
  assert.ok(r.expectations.total > 0 && r.expectations.met === r.expectations.total);
  checkGone(r);
}

/** Every process, folder and cgroup the demo created is gone. */
export function checkGone(r: Pick<DemoReport, 'created'>): void {
  for (const p of r.created.processes)
    assert.ok(!existsSync(`/proc/${p.pid}`), `${p.role} ${p.pid} still runs`);
  for (const f of r.created.files) assert.ok(!existsSync(f), `${f} is still there`);
  for (const c of r.created.cgroups) {
    assert.ok(!existsSync(join('/sys/fs/cgroup/memory', c)), `cgroup ${c} is still there`);
  }
}

/** The one reading of a step with this key (and, when given, this pid). */
export function find(r: DemoReport, step: number, key: string, pid?: number): Reading {
  const s = r.steps[step - 1];
  assert.ok(s, `no step ${step}`);
  const found = s.readings.filter((x) => x.key === key && (pid === undefined || x.pid === pid));
  assert.equal(found.length, 1, `step ${step}: ${found.length} readings ${key}`);
  return found[0] as Reading;
}

/** Folders of the demos run by the memlens process `pid` still in the temp dir. */
export function leftoverFolders(pid: number): string[] {
  return readdirSync(tmpdir()).filter((n) => n.startsWith(`memlens-demo-${pid}-`));
}

export const MiB = 1024 * 1024;

export interface RunningDemo {
  proc: ChildProcess;
  /** Resolves with the match once stderr has printed `pattern` `count` times in all. */
  waitForStderr(pattern: RegExp, count?: number): Promise<RegExpMatchArray>;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `memlens demo ...` with pipes on every side, for tests that pause or interrupt it. */
export function startDemo(args: string[]): RunningDemo {
  const proc = spawn(process.execPath, [CLI, 'demo', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: { pattern: RegExp; count: number; resolve: (m: RegExpMatchArray) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      const all = [...err.matchAll(new RegExp(w.pattern.source, `${w.pattern.flags.replace('g', '')}g`))];
      const m = all[w.count - 1];
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  proc.stdout?.on('data', (d) => {
    out += d;
  });
  proc.stderr?.on('data', (d) => {
    err += d;
    check();
  });
  proc.stdin?.on('error', () => {});
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    proc,
    exited,
    stdout: () => out,
    stderr: () => err,
    waitForStderr: (pattern, count = 1) =>
      new Promise((resolve, reject) => {
        waiters.push({ pattern, count, resolve });
        check();
        void exited.then(() => reject(new Error(`memlens exited before printing ${pattern}: ${err}`)));
      }),
  };
}

/** The PIDs a --pause prompt names ("pid 123 (helper), pid 124 (child)"). */
export function pausedPids(prompt: string): number[] {
  return [...prompt.matchAll(/pid (\d+) \(/g)].map((m) => Number(m[1]));
}

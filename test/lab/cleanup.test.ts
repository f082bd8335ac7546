// A demo interrupted mid-way (Ctrl-C, SIGTERM, at a pause or inside a long step) removes all it
// created: its helper and the helper's child, its temp folder, its cgroup; and exits 130/143. What a
// SIGKILL leaves, the next run removes.
import assert from 'node:assert/strict';
import { chownSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { leftoverFolders, noCgroup, noCompiler, pausedPids, startDemo } from './_lab.js';

const PROMPT = /paused after step \d+[^\n]*\n/;

async function gone(pid: number): Promise<boolean> {
  // An orphan is reaped by init a moment after it dies.
  for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 20));
  return !existsSync(`/proc/${pid}`);
}

test('cow: SIGINT after the fork kills the parent helper and its child, and exits 130', async (t) => {
  const why = noCompiler();
  if (why) return t.skip(why);
  const demo = startDemo(['cow', '--size', '16M', '--pause', '--json']);
  await demo.waitForStderr(PROMPT);
  demo.proc.stdin?.write('\n');
  const prompt = await demo.waitForStderr(PROMPT, 2);
  const pids = pausedPids(prompt[0]);
  assert.equal(pids.length, 2, `parent and child in "${prompt[0]}"`);
  for (const pid of pids) assert.ok(existsSync(`/proc/${pid}`));
  demo.proc.kill('SIGINT');
  const { code } = await demo.exited;
  assert.equal(code, 130);
  assert.match(
    demo.stderr(),
    /memlens: demo cow interrupted by SIGINT; removed child pid \d+, parent pid \d+\n/,
  );
  for (const pid of pids) assert.ok(await gone(pid), `pid ${pid} still runs`);
  assert.equal(demo.stdout(), '', 'no JSON from an interrupted demo');
});

test('faults: SIGTERM at a pause removes the temp folder and its file, and exits 143', async (t) => {
  const why = noCompiler();
  if (why) return t.skip(why);
  const demo = startDemo(['faults', '--size', '4M', '--pause']);
  const prompt = await demo.waitForStderr(PROMPT);
  const memlens = demo.proc.pid as number;
  assert.equal(leftoverFolders(memlens).length, 1, 'the demo made its folder');
  demo.proc.kill('SIGTERM');
  const { code } = await demo.exited;
  assert.equal(code, 143);
  assert.deepEqual(leftoverFolders(memlens), []);
  for (const pid of pausedPids(prompt[0])) assert.ok(await gone(pid));
});

test('reserve: SIGINT in the middle of a long step (no pause) still ends the helper', async (t) => {
  const why = noCompiler();
  if (why) return t.skip(why);
  // 1 GiB takes long enough to touch for the signal to land inside the step.
  const demo = startDemo(['reserve', '--size', '1G']);
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (/\/proc\/\d+\/status/.test(demo.stdout())) {
        clearInterval(poll);
        resolve();
      }
    }, 5);
  });
  const helper = Number(/\/proc\/(\d+)\/status/.exec(demo.stdout())?.[1]);
  demo.proc.kill('SIGINT');
  const { code } = await demo.exited;
  assert.equal(code, 130);
  assert.ok(await gone(helper), `helper ${helper} still runs`);
});

test('the helper dies with memlens even when memlens is SIGKILLed (PR_SET_PDEATHSIG)', async (t) => {
  const why = noCompiler();
  if (why) return t.skip(why);
  const demo = startDemo(['cow', '--size', '4M', '--pause']);
  await demo.waitForStderr(PROMPT);
  demo.proc.stdin?.write('\n');
  const prompt = await demo.waitForStderr(PROMPT, 2);
  demo.proc.kill('SIGKILL');
  await demo.exited;
  for (const pid of pausedPids(prompt[0])) assert.ok(await gone(pid), `pid ${pid} outlived memlens`);
});

test('oom: SIGINT with the helper in its cgroup removes the cgroup', async (t) => {
  const why = noCgroup();
  if (why) return t.skip(why);
  const demo = startDemo(['oom', '--size', '32M', '--pause']);
  const prompt = await demo.waitForStderr(PROMPT);
  const folder = `/sys/fs/cgroup/memory/memlens-demo-${demo.proc.pid}-oom`;
  assert.ok(existsSync(folder), `${folder} exists during the demo`);
  demo.proc.kill('SIGINT');
  const { code } = await demo.exited;
  assert.equal(code, 130);
  assert.ok(!existsSync(folder), `${folder} was left behind`);
  for (const pid of pausedPids(prompt[0])) assert.ok(await gone(pid));
});

test("a SIGKILLed demo's temp folder is removed by the next run; another user's look-alike is not", async (t) => {
  const why = noCompiler();
  if (why) return t.skip(why);
  const killed = startDemo(['faults', '--size', '4M', '--pause']);
  await killed.waitForStderr(PROMPT);
  const pid = killed.proc.pid as number;
  killed.proc.kill('SIGKILL');
  await killed.exited;
  const [left] = leftoverFolders(pid);
  assert.ok(left, 'SIGKILL leaves the folder: nothing in memlens ran to remove it');
  assert.ok(await gone(pid));
  // A folder under a dead run's name that is not ours: a later run must not touch it.
  const foreign = join(tmpdir(), `memlens-demo-${pid}-foreign`);
  mkdirSync(foreign);
  chownSync(foreign, 65534, 65534);
  try {
    const next = startDemo(['reserve', '--size', '4M', '--json']);
    const { code } = await next.exited;
    assert.equal(code, 0, next.stderr());
    assert.deepEqual(
      leftoverFolders(pid),
      [`memlens-demo-${pid}-foreign`],
      "the killed run's folder is gone",
    );
  } finally {
    rmSync(foreign, { recursive: true, force: true });
  }
});

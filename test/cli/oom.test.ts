// memlens oom on the live machine: real memory cgroups (v1 here, root only), real OOM kills,
// and the kernel's own oom_score for every process checked against the badness formula.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import type { OomReport } from '../../src/reports/oom.js';
import { cgroupUnavailable, createCgroup, type TestCgroup } from '../helpers/cgroup.js';
import { canDropPrivileges, runCli, runJson } from '../helpers/cli.js';

const MiB = 1024 * 1024;

/** Starts a process parked at its first line of stdout, moved into `cg` before it allocates. */
async function startIn(cg: TestCgroup, args: string[]): Promise<ChildProcess> {
  // sh moves itself into the cgroup, then execs: the real program starts inside it.
  const child = spawn('sh', ['-c', `echo $$ > ${cg.dir}/cgroup.procs && exec "$@"`, 'sh', ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code, signal) => reject(new Error(`${args[0]} exited early: ${code ?? signal}`)));
  });
  return child;
}

/** A node process that holds `mib` MiB of Buffers, prints "ready", and on "go" grows without end. */
function grower(mib: number, nodeArgs: string[] = []): string[] {
  const script =
    `const a=[];for(let i=0;i<${mib};i++)a.push(Buffer.alloc(1<<20,1));console.log('ready');` +
    `process.stdin.on('data',()=>{for(;;)a.push(Buffer.alloc(1<<20,1))});`;
  return [process.execPath, ...nodeArgs, '-e', script];
}

const sleeper = (): string[] => ['sh', '-c', 'echo ready; exec sleep 120'];

test('computed oom_score matches the kernel within 1 for every readable process, whatever the adj', async () => {
  // Sleepers with every kind of adj the formula has to get right. Lowering an adj below 0 needs
  // CAP_SYS_RESOURCE, which even root lacks in some sandboxes (this one): those are left out.
  const wanted = [-999, -500, 0, 300, 1000];
  const kids = wanted.map(() => spawn('sleep', ['60']));
  const adjs: number[] = [];
  const placed: ChildProcess[] = [];
  try {
    await Promise.all(kids.map((k) => once(k, 'spawn')));
    for (const [i, k] of kids.entries()) {
      try {
        writeFileSync(`/proc/${k.pid}/oom_score_adj`, String(wanted[i]));
        adjs.push(wanted[i] as number);
        placed.push(k);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EACCES') throw err;
      }
    }
    assert.ok(adjs.includes(1000) && adjs.includes(300), 'raising an adj always works');
    const report = await runJson<OomReport>(['oom']);
    let checked = 0;
    for (const r of report.ranking) {
      if (r.oomScore === null) continue;
      assert.ok(
        Math.abs(r.computedOomScore - r.oomScore) <= 1,
        `pid ${r.pid} (${r.name}): kernel ${r.oomScore}, computed ${r.computedOomScore}`,
      );
      checked++;
    }
    assert.ok(checked >= adjs.length + 2, `checked ${checked}`);
    for (const [i, k] of placed.entries()) {
      const r = report.ranking.find((x) => x.pid === k.pid);
      assert.ok(r && r.oomScoreAdj === adjs[i] && !r.exempt);
    }
    // adj 1000 goes first, and says so.
    assert.equal(report.ranking[0]?.oomScoreAdj, 1000);
    assert.ok(report.findings.some((f) => f.id === 'oom-score-adj-max'));
    assert.ok(
      report.ranking
        .filter((r) => r.exempt)
        .every((r) => r.exemptReason !== null && r.computedOomScore === 0),
    );
  } finally {
    for (const k of kids) k.kill('SIGKILL');
  }
});

test('a real cgroup v1 OOM kill: limit, usage split, kill order, then the kill in the log and events', async (t) => {
  const why = cgroupUnavailable();
  if (why) return t.skip(why);
  const cg = createCgroup('oom-kill', { limitBytes: 64 * MiB });
  try {
    const idle = await startIn(cg, sleeper());
    const big = await startIn(cg, grower(24));
    const before = await runJson<OomReport>(['oom', '--cgroup', cg.path]);
    assert.equal(before.cgroups.length, 1);
    const g = before.cgroups[0];
    assert.ok(g);
    assert.equal(g.path, cg.path);
    assert.equal(g.version, 1);
    assert.equal(g.limitBytes, 64 * MiB);
    assert.equal(g.limitSetBy, cg.path);
    assert.ok(g.usageBytes !== null && g.usageBytes >= 24 * MiB, `usage ${g.usageBytes}`);
    assert.ok(g.anonBytes !== null && g.anonBytes >= 24 * MiB, `anon ${g.anonBytes}`);
    assert.equal(g.headroomBytes, 64 * MiB - (g.workingSetBytes ?? 0));
    assert.deepEqual(g.pids.sort(), [idle.pid, big.pid].sort());
    assert.deepEqual(
      g.killOrder?.map((k) => k.pid),
      [big.pid, idle.pid],
      'the bigger process dies first',
    );
    assert.deepEqual(before.ranking.map((r) => r.pid).sort(), [idle.pid, big.pid].sort());
    assert.ok(before.findings.some((f) => f.id === 'limit-below-ram'));

    big.stdin?.write('go\n');
    const [, signal] = await once(big, 'exit');
    assert.equal(signal, 'SIGKILL');
    const after = await runJson<OomReport>(['oom']);
    const kill = after.kills.find((k) => k.pid === big.pid);
    assert.ok(kill, 'the kill is in the kernel log');
    assert.equal(kill.constraint, 'CONSTRAINT_MEMCG');
    assert.equal(kill.oomMemcg, cg.path);
    assert.equal(kill.taskMemcg, cg.path);
    assert.ok(kill.anonRssBytes !== null && kill.anonRssBytes >= 24 * MiB && kill.anonRssBytes <= 64 * MiB);
    assert.ok(kill.time !== null && Math.abs(Date.parse(kill.time) - Date.now()) < 5 * 60_000);
    const cgAfter = after.cgroups.find((x) => x.path === cg.path);
    assert.ok(cgAfter, 'the cgroup still holds the idle process');
    assert.ok((cgAfter.events.oomKill ?? 0) >= 1);
    assert.equal(cgAfter.eventsScope, 'local');
    assert.ok((after.machine.oomKills ?? 0) >= 1);
    idle.kill('SIGKILL');
  } finally {
    await cg.remove();
  }
});

test('nested limits: a child cgroup without a limit is bound by its parent', async (t) => {
  const why = cgroupUnavailable();
  if (why) return t.skip(why);
  const parent = createCgroup('nested', { limitBytes: 128 * MiB });
  const child = createCgroup('inner', { parent });
  try {
    await startIn(child, sleeper());
    const r = await runJson<OomReport>(['oom', '--cgroup', child.path]);
    assert.equal(r.cgroups[0]?.limitBytes, 128 * MiB);
    assert.equal(r.cgroups[0]?.limitSetBy, parent.path);
  } finally {
    await parent.remove();
  }
});

test('tmpfs is charged to the cgroup that wrote it, and the finding says a restart will not free it', async (t) => {
  const why = cgroupUnavailable();
  if (why) return t.skip(why);
  const cg = createCgroup('tmpfs');
  const file = `/dev/shm/memlens-oom-test-${process.pid}`;
  try {
    await startIn(cg, [
      'sh',
      '-c',
      `head -c ${40 * MiB} /dev/zero > ${file} && echo ready && exec sleep 120`,
    ]);
    const r = await runJson<OomReport>(['oom', '--cgroup', cg.path]);
    const g = r.cgroups[0];
    assert.ok(g && g.shmemBytes !== null && g.shmemBytes >= 40 * MiB, `shmem ${g?.shmemBytes}`);
    const f = r.findings.find((x) => x.id === 'tmpfs-held');
    assert.ok(f, `findings: ${r.findings.map((x) => x.id).join(', ')}`);
    assert.equal(f.evidence.cgroup, cg.path);
  } finally {
    rmSync(file, { force: true });
    await cg.remove();
  }
});

test('a Node heap limit above the cgroup limit draws a warning with a suggested flag', async (t) => {
  const why = cgroupUnavailable();
  if (why) return t.skip(why);
  const cg = createCgroup('node-heap', { limitBytes: 256 * MiB });
  try {
    const node = await startIn(cg, grower(1, ['--max-old-space-size=4096']));
    const r = await runJson<OomReport>(['oom', '--cgroup', cg.path]);
    const f = r.findings.find((x) => x.id === 'node-heap-above-limit');
    assert.ok(f, `findings: ${r.findings.map((x) => x.id).join(', ')}`);
    assert.equal(f.evidence.pid, node.pid);
    assert.equal(f.evidence.heapLimitBytes, 4096 * MiB);
    assert.match(f.advice ?? '', /--max-old-space-size=192/);
  } finally {
    await cg.remove();
  }
});

test('the table reads as plain language', async () => {
  const r = await runCli(['oom']);
  assert.equal(r.code, 0, r.stderr);
  for (const heading of [
    'Machine',
    'Memory cgroups',
    'Kill order of the global OOM killer',
    'Recent OOM kills',
  ]) {
    assert.match(r.stdout, new RegExp(heading));
  }
  assert.match(r.stdout, /overcommit \d \(/);
});

test('as nobody: the kernel log is unreadable and says why; the ranking still works', async (t) => {
  const why = canDropPrivileges();
  if (why) return t.skip(why);
  const r = await runJson<OomReport>(['oom'], { asNobody: true });
  assert.deepEqual(r.kills, []);
  assert.match(r.killsUnknownReason ?? '', /needs CAP_SYSLOG \(or root\)/);
  assert.ok(r.ranking.some((x) => x.oomScore !== null && Math.abs(x.oomScore - x.computedOomScore) <= 1));
  const table = await runCli(['oom'], { asNobody: true });
  assert.match(table.stdout, /unknown: permission denied/);
});

test('bad input: an unknown cgroup is one line and exit 1', async () => {
  const r = await runCli(['oom', '--cgroup', '/no/such/cgroup/here']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^memlens: .*\/no\/such\/cgroup\/here/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test("oom --cgroup PATH: findings and ranking are about that cgroup's processes, not an adj 1000 outside it", async (t) => {
  const why = cgroupUnavailable();
  if (why) return t.skip(why);
  const cg = createCgroup('oom-scoped', { limitBytes: 64 * MiB });
  // Outside the cgroup: a process the kernel takes first (adj 1000, any user may raise it) and,
  // where this root may lower an adj (CAP_SYS_RESOURCE), one it never takes (-1000).
  const outside = [spawn('sleep', ['60']), spawn('sleep', ['60'])];
  try {
    await Promise.all(outside.map((k) => once(k, 'spawn')));
    const [first, never] = outside as [ChildProcess, ChildProcess];
    writeFileSync(`/proc/${first.pid}/oom_score_adj`, '1000');
    let exemptOutside = true;
    try {
      writeFileSync(`/proc/${never.pid}/oom_score_adj`, '-1000');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EACCES') throw err;
      exemptOutside = false;
      t.diagnostic('cannot lower oom_score_adj here (no CAP_SYS_RESOURCE): the -1000 process is left out');
    }
    const inside = await startIn(cg, sleeper());
    const whole = await runJson<OomReport>(['oom']);
    assert.ok(
      whole.findings.some(
        (f) => f.id === 'oom-score-adj-max' && String(f.evidence.pids).split(' ').includes(String(first.pid)),
      ),
      'without --cgroup the adj 1000 process is a finding',
    );
    const scoped = await runJson<OomReport>(['oom', '--cgroup', cg.path]);
    const outsidePids = new Set([first.pid, ...(exemptOutside ? [never.pid] : [])].map(String));
    for (const f of scoped.findings) {
      const pids = [f.evidence.pid, ...String(f.evidence.pids ?? '').split(' ')].map(String);
      assert.ok(
        !pids.some((p) => outsidePids.has(p)),
        `finding ${f.id} is about a process outside: ${f.summary}`,
      );
    }
    assert.ok(!scoped.findings.some((f) => f.id === 'oom-score-adj-max'), 'no process inside has adj 1000');
    assert.deepEqual(
      scoped.ranking.map((r) => r.pid),
      [inside.pid],
    );
    const text = await runCli(['oom', '--cgroup', cg.path]);
    assert.equal(text.code, 0, text.stderr);
    assert.doesNotMatch(text.stdout, /oom_score_adj 1000|oom_score_adj -1000/);
    inside.kill('SIGKILL');
  } finally {
    for (const k of outside) k.kill('SIGKILL');
    await cg.remove();
  }
});

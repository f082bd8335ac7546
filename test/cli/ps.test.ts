// memlens ps on the real /proc, with a child whose memory we know, as root and as nobody.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import type { PsReport } from '../../src/reports/ps.js';
import { cgroupUnavailable, createCgroup } from '../helpers/cgroup.js';
import { canDropPrivileges, runCli, runJson } from '../helpers/cli.js';

const MiB = 1024 * 1024;
const TOUCHED = 64 * MiB;
// A unique name (argv[0] of a node child is "node"; we rename the process with its title).
const NAME = `memlens-ps-${process.pid}`.slice(0, 15);
let child: ChildProcess;

before(async () => {
  // The child touches 64 MiB of private memory, so its USS and PSS are at least that.
  child = spawn(
    process.execPath,
    [
      '-e',
      `process.title = ${JSON.stringify(NAME)}; const b = Buffer.alloc(${TOUCHED}, 1); ` +
        `process.stdout.write('ready\\n'); process.stdin.on('data', () => {}); process.stdin.on('end', () => process.exit(0)); setInterval(() => b[0]++, 1000);`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
});

after(() => {
  child.stdin?.end();
  child.kill();
});

function findChild(report: PsReport) {
  return report.processes.find((p) => p.pid === child.pid);
}

test('ps --json reports the child with PSS and USS at least what it touched', async () => {
  const report = await runJson<PsReport>(['ps']);
  const p = findChild(report);
  assert.ok(p, 'the child is listed');
  assert.equal(p.name, NAME);
  assert.ok(p.rssBytes !== null && p.rssBytes >= TOUCHED, `rss ${p.rssBytes}`);
  assert.ok(p.ussBytes !== null && p.ussBytes >= TOUCHED, `uss ${p.ussBytes}`);
  assert.ok(p.pssBytes !== null && p.pssBytes >= p.ussBytes && p.pssBytes <= p.rssBytes, 'uss <= pss <= rss');
  assert.equal(p.swapBytes, 0, 'no swap on this machine');
  assert.ok(p.vszBytes !== null && p.vszBytes > p.rssBytes);
  assert.equal(p.user, 'root');
  assert.ok(p.oomScore !== null && p.oomScore >= 0 && p.oomScore <= 2000);
  assert.ok(
    p.memPercent !== null && Math.abs(p.memPercent - (100 * p.rssBytes) / p.memPercentOfBytes) < 1e-9,
  );
});

test('totals: PSS adds the readable processes, RSS counts shared pages more than once', async () => {
  const report = await runJson<PsReport>(['ps']);
  let pss = 0;
  let rss = 0;
  let counted = 0;
  for (const p of report.processes) {
    rss += p.rssBytes ?? 0;
    if (p.pssBytes !== null) {
      pss += p.pssBytes;
      counted++;
    }
  }
  assert.equal(report.totals.pssBytes, pss);
  assert.equal(report.totals.rssBytes, rss);
  assert.equal(report.totals.processesCounted, counted);
  assert.ok(report.totals.rssBytes >= report.totals.pssBytes, 'RSS total >= PSS total');
  // Kernel threads have no user memory: PSS unknown ("-"), never 0, and counted with a reason.
  const kthreads = report.processes.filter((p) => p.kernelThread);
  assert.ok(kthreads.length > 0);
  for (const k of kthreads) {
    assert.equal(k.pssBytes, null);
    assert.equal(k.ussBytes, null);
    assert.equal(k.unknownReason, 'kernel thread');
  }
  assert.equal(report.unreadable.byReason['kernel thread'], kthreads.length);
});

test('--sort, --top, --name, --user and --group shape the list', async () => {
  const byRss = await runJson<PsReport>(['ps', '--sort', 'rss', '--top', '5']);
  assert.equal(byRss.processes.length, 5);
  const rss = byRss.processes.map((p) => p.rssBytes ?? -1);
  assert.deepEqual(
    rss,
    [...rss].sort((a, b) => b - a),
  );

  const named = await runJson<PsReport>(['ps', '--name', NAME]);
  assert.deepEqual(
    named.processes.map((p) => p.pid),
    [child.pid],
  );
  const regex = await runJson<PsReport>(['ps', '--name', `/^${NAME.slice(0, 10)}.*$/`]);
  assert.ok(regex.processes.some((p) => p.pid === child.pid));

  const mine = await runJson<PsReport>(['ps', '--user', 'root']);
  assert.ok(mine.processes.length > 0 && mine.processes.every((p) => p.user === 'root'));

  const grouped = await runJson<PsReport>(['ps', '--group', '--name', NAME]);
  assert.equal(grouped.groups?.length, 1);
  assert.equal(grouped.groups?.[0]?.count, 1);
  // Same run, same numbers: the group adds up its (one) member.
  assert.equal(grouped.groups?.[0]?.pssBytes, grouped.processes[0]?.pssBytes ?? -1);
});

test('the table marks unknown values with "-" and explains the totals', async () => {
  const r = await runCli(['ps']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0] as string, /PID\s+USER\s+NAME\s+VIRT\s+RSS\s+PSS\s+USS\s+SHR\s+SWAP\s+%MEM\s+OOM/);
  assert.ok(lines.some((l) => l.includes(NAME)));
  assert.match(r.stdout, /PSS total .*really in use/);
  assert.match(r.stdout, /RSS total .*overstates/);
  assert.match(r.stdout, /show "-" for PSS, USS and swap: .*kernel thread/);
  // A kernel thread's row: every memory column is "-", none is 0.
  assert.ok(lines.some((l) => /\s-\s+-\s+-\s+-\s+-\s+-\s+-\s+\d+$/.test(l)));
});

test("as nobody: other users' processes are unknown (permission denied), never 0", async (t) => {
  const why = canDropPrivileges();
  if (why) return t.skip(why);
  const report = await runJson<PsReport>(['ps'], { asNobody: true });
  const p = findChild(report);
  assert.ok(p, 'root-owned child still listed');
  assert.equal(p.pssBytes, null);
  assert.equal(p.ussBytes, null);
  assert.equal(p.swapBytes, null);
  assert.equal(p.unknownReason, 'permission denied');
  // status is world-readable: RSS stays known.
  assert.ok(p.rssBytes !== null && p.rssBytes >= TOUCHED);
  assert.ok((report.unreadable.byReason['permission denied'] ?? 0) >= 1);
  // memlens's own process runs as nobody and can read itself.
  const own = report.processes.filter((x) => x.user === 'nobody');
  assert.ok(own.length >= 1 && own.every((x) => x.pssBytes !== null));
  const table = await runCli(['ps'], { asNobody: true });
  assert.match(table.stdout, /permission denied \(\d+\).*Run as root/);
});

test('%MEM is measured against the cgroup limit when the process has one below MemTotal', async (t) => {
  const why = cgroupUnavailable();
  if (why) return t.skip(why);
  const limit = 512 * MiB;
  const cg = createCgroup('ps-limit', { limitBytes: limit });
  const sleeper = spawn('sleep', ['60']);
  try {
    await once(sleeper, 'spawn');
    cg.add(sleeper.pid as number);
    const report = await runJson<PsReport>(['ps']);
    const p = report.processes.find((x) => x.pid === sleeper.pid);
    assert.ok(p && p.rssBytes !== null);
    assert.equal(p.memPercentOf, 'cgroupLimit');
    assert.equal(p.memPercentOfBytes, limit);
    assert.ok(Math.abs((p.memPercent ?? 0) - (100 * p.rssBytes) / limit) < 1e-9);
    // And the table marks it.
    const table = await runCli(['ps', '--name', 'sleep']);
    assert.match(table.stdout, /\*/);
    assert.match(table.stdout, /\* marks % of the process's cgroup limit/);
  } finally {
    sleeper.kill('SIGKILL');
    await cg.remove();
  }
});

// Scans of the real /proc while processes come and go (test/children/churn.c): no errors, and
// no process reported with another's numbers.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { readProcess } from '../../src/collect/process.js';
import { listPids, scanProcesses } from '../../src/collect/scan.js';
import { isNoProcess } from '../../src/procfs/errors.js';
import { createProcFs } from '../../src/procfs/fs.js';
import { type ChurnInfo, startChild } from '../helpers/children.js';
import { runJson } from '../helpers/cli.js';

const fs = createProcFs('/');
const MiB = 1024 * 1024;

test('a scan during continuous process churn has no errors and never mixes processes up', async () => {
  // 16 children at a time, each living up to 300 ms: long enough that a scan (which reads PIDs
  // in order) often reaches one alive, short enough that many exit while it runs.
  const churn = await startChild<ChurnInfo>('churn', ['16', '300']);
  let scans = 0;
  let churnSeen = 0;
  let exitedMidScan = 0;
  try {
    const until = Date.now() + 4000;
    while (Date.now() < until) {
      const { processes, exited } = scanProcesses(fs, { rollup: true, oom: true });
      scans++;
      exitedMidScan += exited;
      for (const p of processes) {
        // stat and status were read at different moments: same name means same process. A churn
        // child renames itself once, churn-new -> churn-<S>m, and stat is read first, so that one
        // change may fall between the two reads; any other difference is two processes mixed up.
        // Kernel workers rename themselves as their work changes (kworker/u8:2-flush-254:0 ->
        // kworker/u8:2-events_unbound, seen under npm run test:stress): not a mix-up either.
        const renamedBetween = p.stat.comm === 'churn-new' && /^churn-\dm$/.test(p.status.name);
        if (!renamedBetween && !p.kernelThread)
          assert.equal(p.stat.comm, p.status.name, `pid ${p.pid}: stat and status disagree`);
        assert.equal(p.stat.pid, p.pid);
        const m = /^churn-(\d)m$/.exec(p.name);
        if (!m || p.rssBytes === null) continue;
        churnSeen++;
        // A child renames itself only after writing S MiB, so its RSS and USS are at least that.
        const written = Number(m[1]) * MiB;
        assert.ok(p.rssBytes >= written, `${p.name} (pid ${p.pid}) with RSS ${p.rssBytes}`);
        if (p.ussBytes !== null)
          assert.ok(p.ussBytes >= written, `${p.name} (pid ${p.pid}) with USS ${p.ussBytes}`);
      }
      // Let the churn make progress between scans on a 2-core machine.
      await new Promise((r) => setImmediate(r));
    }
    // The CLI under the same churn: exit 0, valid JSON.
    for (let i = 0; i < 3; i++) {
      const report = await runJson<{ processes: unknown[] }>(['ps']);
      assert.ok(report.processes.length > 0);
    }
  } finally {
    await churn.stop();
  }
  assert.ok(scans >= 5, `only ${scans} scans`);
  assert.ok(churnSeen > 0, 'the scans caught churn children alive');
  console.log(
    `# ${scans} scans, ${churnSeen} churn children seen, ${exitedMidScan} processes exited mid-scan`,
  );
});

test('a /proc/PID file opened before a process exits fails to read after it (the identity pin)', async () => {
  const child = spawn('sleep', ['30']);
  await once(child, 'spawn');
  const pid = child.pid as number;
  const pinned = fs.openPinned(`proc/${pid}/stat`, pid);
  try {
    assert.match(pinned.read(), new RegExp(`^${pid} \\(sleep\\)`));
    child.kill('SIGKILL');
    await once(child, 'exit');
    assert.throws(
      () => pinned.read(),
      (err: unknown) => isNoProcess(err),
    );
  } finally {
    pinned.close();
  }
  // And reading the gone process by PID says it exited.
  assert.throws(
    () => readProcess(fs, pid, { rollup: true }),
    (err: unknown) => isNoProcess(err),
  );
});

test('listPids lists processes, not threads, and includes this one', () => {
  const pids = listPids(fs);
  assert.ok(pids.includes(process.pid));
  assert.deepEqual(
    pids,
    [...pids].sort((a, b) => a - b),
  );
});

// readProcess's `previous`: a sampler of every process each second reuses status for a process
// whose stat shows no change, and reads it again, exactly, for one that moved. Real children.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readProcess } from '../../src/collect/process.js';
import { createProcFs } from '../../src/procfs/fs.js';
import { readStatus } from '../../src/procfs/status.js';
import { startChild } from '../helpers/children.js';

const fs = createProcFs();
const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `done` every 20 ms; a hang guard of 10 s, not a tolerance. */
async function until(done: () => boolean): Promise<void> {
  for (const end = Date.now() + 10_000; !done(); await sleep(20)) {
    if (Date.now() > end) throw new Error('the child did not grow within 10 s');
  }
}

test('an idle process: status is reused while stat shows the same RSS, VIRT and threads', async (t) => {
  const child = await startChild<{ pid: number }>('grow', ['steady', '8']);
  t.after(() => child.stop());
  // grow prints its ready line once its 8 MiB are resident, but its first tick after that still
  // faults in a page or two (lazily bound libc calls, stack): the test starts from a child whose
  // stat has stopped moving, three reads in a row, as an idle process's does.
  let first = readProcess(fs, child.info.pid);
  for (let same = 0, end = Date.now() + 10_000; same < 3; ) {
    if (Date.now() > end) throw new Error('the steady child did not settle within 10 s');
    await sleep(50);
    const next = readProcess(fs, child.info.pid);
    same =
      next.stat.rssPages === first.stat.rssPages && next.stat.vsizeBytes === first.stat.vsizeBytes
        ? same + 1
        : 0;
    first = next;
  }
  let reused = 0;
  for (let i = 0; i < 5; i++) {
    const again = readProcess(fs, child.info.pid, { previous: first });
    if (again.status === first.status) {
      reused++;
      // Reused only when stat agrees with it: the RSS is the same counter in both files.
      assert.equal(again.stat.rssPages, first.stat.rssPages);
      assert.equal(again.rssBytes, readStatus(fs, child.info.pid).vmRssBytes);
    }
    await sleep(50);
  }
  assert.ok(reused >= 4, `status reused ${reused} of 5 times for an idle process`);
});

test('a growing process: status is read again, and the figures are the new ones', async (t) => {
  const child = await startChild<{ pid: number }>('grow', ['leak', String(20 * 1024)]);
  t.after(() => child.stop());
  const before = readProcess(fs, child.info.pid);
  // Until the child has grown 5 MiB (a quarter second at its rate), however long a busy machine
  // makes that take: the test is about what is read after a move, not how fast the child moves.
  await until(() => (readStatus(fs, child.info.pid).vmRssBytes ?? 0) - (before.rssBytes ?? 0) >= 5 * MiB);
  const after = readProcess(fs, child.info.pid, { previous: before });
  assert.notEqual(after.status, before.status);
  assert.ok(
    (after.rssBytes ?? 0) - (before.rssBytes ?? 0) >= 5 * MiB,
    `${before.rssBytes} -> ${after.rssBytes}`,
  );
  const status = readStatus(fs, child.info.pid);
  assert.ok(Math.abs((status.vmRssBytes ?? 0) - (after.rssBytes ?? 0)) <= 2 * MiB);
});

test("another process's sample is never reused, even with equal figures", async (t) => {
  const a = await startChild<{ pid: number }>('grow', ['steady', '1']);
  await sleep(30); // a later start time (clock ticks are 10 ms)
  const b = await startChild<{ pid: number }>('grow', ['steady', '1']);
  t.after(() => Promise.all([a.stop(), b.stop()]));
  await sleep(200);
  const sa = readProcess(fs, a.info.pid);
  // A's sample as if b's PID had been a's (a PID reused): the start time differs, so status is read.
  const stat = { ...sa.stat, pid: b.info.pid };
  const sb = readProcess(fs, b.info.pid, { previous: { ...sa, pid: b.info.pid, stat } });
  assert.notEqual(sb.status, sa.status);
  assert.equal(sb.status.pid, b.info.pid);
});

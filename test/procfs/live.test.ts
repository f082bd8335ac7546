// The readers on the real /proc: this test process and a `sleep` child it starts. The files of
// one process must agree with each other (they are read at slightly different moments, hence the
// tolerances), an exited process is E_NO_PROCESS, and another user's smaps_rollup is E_PERMISSION.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { cpus as onlineCpus } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readCmdline, readComm } from '../../src/procfs/cmdline.js';
import { ProcReadError } from '../../src/procfs/errors.js';
import { createProcFs } from '../../src/procfs/fs.js';
import { readMaps } from '../../src/procfs/maps.js';
import { readMeminfo } from '../../src/procfs/meminfo.js';
import { readOomScore, readOomScoreAdj } from '../../src/procfs/oom.js';
import { readSmaps } from '../../src/procfs/smaps.js';
import { readSmapsRollup, rollupFromSmaps, type SmapsRollup } from '../../src/procfs/smaps_rollup.js';
import { readStat } from '../../src/procfs/stat.js';
import { readStatm, statmBytes } from '../../src/procfs/statm.js';
import { readStatus } from '../../src/procfs/status.js';
import { readVmstat } from '../../src/procfs/vmstat.js';

const fs = createProcFs('/');
const PAGE = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim());
const KiB = 1024;
const MiB = 1024 * KiB;
const REPO = fileURLToPath(new URL('../../', import.meta.url));

function near(actual: number | null, expected: number | null, tolerance: number, what: string): void {
  assert.ok(actual !== null && expected !== null, `${what}: ${actual} vs ${expected}`);
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual} vs ${expected} (tolerance ${tolerance})`,
  );
}

function readErrorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProcReadError) return err.code;
    throw err;
  }
  return 'no error';
}

/** status, stat and statm of one process agree; `tolerance` covers what changes between reads. */
function filesAgree(pid: number, tolerance: number): void {
  const status = readStatus(fs, pid);
  const stat = readStat(fs, pid);
  const statm = statmBytes(readStatm(fs, pid), PAGE);
  assert.equal(status.pid, pid);
  assert.equal(stat.pid, pid);
  assert.equal(stat.comm, status.name);
  assert.equal(readComm(fs, pid), status.name);
  assert.equal(stat.ppid, status.ppid);
  assert.equal(stat.kernelThread, false);
  near(status.vmRssBytes, statm.residentBytes, tolerance, 'VmRSS vs statm resident');
  // stat's rss reads the RSS counters without folding in what each CPU still holds (percpu
  // counters since Linux 6.2; status and statm sum them), so it lags by up to one batch per CPU
  // for each of anon, file and shmem.
  const cpus = onlineCpus().length;
  const percpuSlack = 3 * cpus * Math.max(32, 2 * cpus) * PAGE;
  near(status.vmRssBytes, stat.rssPages * PAGE, tolerance + percpuSlack, 'VmRSS vs stat rss');
  near(status.vmSizeBytes, statm.sizeBytes, tolerance, 'VmSize vs statm size');
  near(status.vmSizeBytes, stat.vsizeBytes, tolerance, 'VmSize vs stat vsize');
  // statm "shared" is RssFile + RssShmem (what top calls SHR).
  near(
    statm.sharedBytes,
    (status.rssFileBytes ?? 0) + (status.rssShmemBytes ?? 0),
    tolerance,
    'statm shared',
  );
  near(
    status.vmRssBytes,
    (status.rssAnonBytes ?? 0) + (status.rssFileBytes ?? 0) + (status.rssShmemBytes ?? 0),
    tolerance,
    'RSS = anon + file + shmem',
  );
  // The address space of maps adds up to VmSize.
  const mapped = readMaps(fs, pid).reduce((sum, m) => sum + Number(m.end - m.start), 0);
  near(mapped, status.vmSizeBytes, tolerance, 'maps total vs VmSize');
}

/** Summing smaps equals smaps_rollup, up to what changed between the two reads. */
function smapsMatchesRollup(pid: number, tolerance: number): void {
  const rollup = readSmapsRollup(fs, pid);
  const summed = rollupFromSmaps(readSmaps(fs, pid));
  const keys: (keyof SmapsRollup)[] = [
    'rssBytes',
    'pssBytes',
    'sharedCleanBytes',
    'sharedDirtyBytes',
    'privateCleanBytes',
    'privateDirtyBytes',
    'anonymousBytes',
    'swapBytes',
  ];
  for (const key of keys) near(summed[key] as number, rollup[key] as number, tolerance, key);
  // smaps_rollup prints Pss_Anon/Pss_File/Pss_Shmem (5.3+) and smaps does not: they add up to Pss.
  if (rollup.pssAnonBytes !== null) {
    const parts = rollup.pssAnonBytes + (rollup.pssFileBytes ?? 0) + (rollup.pssShmemBytes ?? 0);
    near(parts, rollup.pssBytes, 4 * KiB, 'Pss_Anon + Pss_File + Pss_Shmem vs Pss');
  }
}

describe('this test process', () => {
  test('status, stat, statm and maps agree', () => {
    // Node allocates while we read: a few MiB of slack.
    filesAgree(process.pid, 8 * MiB);
  });
  test('smaps summed equals smaps_rollup', () => {
    smapsMatchesRollup(process.pid, 8 * MiB);
  });
  test('cmdline, oom_score, machine files', () => {
    assert.match(readCmdline(fs, process.pid)[0] ?? '', /node/);
    const score = readOomScore(fs, process.pid);
    assert.ok(score >= 0 && score <= 2000);
    assert.ok(readOomScoreAdj(fs, process.pid) >= -1000);
    const meminfo = readMeminfo(fs);
    assert.ok(meminfo.memTotalBytes > 0);
    assert.ok(meminfo.memAvailableBytes !== null, 'kernel 3.14+ prints MemAvailable');
    const vm = readVmstat(fs);
    assert.ok((vm.pgfault ?? 0) > 0);
  });
});

describe('a sleep child', () => {
  let child: ChildProcess;
  before(async () => {
    child = spawn('sleep', ['60'], { stdio: 'ignore' });
    await once(child, 'spawn');
    // Wait until it sleeps: right after exec the loader is still mapping and touching libc, and
    // its RSS moves by megabytes between two reads. Asleep, with the same RSS twice, it is quiet.
    const pid = child.pid as number;
    const until = Date.now() + 10_000;
    let last = -1;
    for (;;) {
      const stat = readStat(fs, pid);
      if (stat.comm === 'sleep' && stat.state === 'S' && stat.rssPages === last) break;
      last = stat.comm === 'sleep' ? stat.rssPages : -1;
      if (Date.now() > until) throw new Error('sleep did not settle');
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  after(() => {
    child.kill('SIGKILL');
  });

  test('status, stat, statm and maps agree (a quiet process: almost exactly)', () => {
    filesAgree(child.pid as number, 64 * KiB);
    assert.equal(readStatus(fs, child.pid as number).ppid, process.pid);
    assert.deepEqual(readCmdline(fs, child.pid as number), ['sleep', '60']);
  });
  test('smaps summed equals smaps_rollup', () => {
    smapsMatchesRollup(child.pid as number, 64 * KiB);
  });
  test('a file pinned while it lived fails with E_NO_PROCESS once it is gone', async () => {
    const pinned = fs.openPinned(`proc/${child.pid}/stat`, child.pid as number);
    try {
      assert.match(pinned.read(), /\(sleep\)/);
      child.kill('SIGKILL');
      await once(child, 'exit');
      assert.equal(
        readErrorCode(() => pinned.read()),
        'E_NO_PROCESS',
      );
    } finally {
      pinned.close();
    }
  });
});

test('a child that has exited: every reader says E_NO_PROCESS', async () => {
  const child = spawn('true', [], { stdio: 'ignore' });
  const pid = child.pid as number;
  await once(child, 'exit'); // node has reaped it: /proc/PID is gone
  // PID reuse within this instant is possible in principle; then the check is meaningless.
  if (readErrorCode(() => readStat(fs, pid)) === 'no error') {
    assert.notEqual(readStat(fs, pid).comm, 'true', 'a reaped process must not be readable');
    return;
  }
  for (const read of [
    readStatus,
    readStat,
    readStatm,
    readSmaps,
    readSmapsRollup,
    readMaps,
    readComm,
    readCmdline,
  ]) {
    assert.equal(
      readErrorCode(() => read(fs, pid)),
      'E_NO_PROCESS',
      read.name,
    );
  }
});

test('smaps_rollup of PID 1 as user nobody is E_PERMISSION (status stays readable)', (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to switch to nobody; CI runs it as root');
  const which = spawnSync('setpriv', ['--version']);
  if (which.error) return t.skip('setpriv (util-linux) is not installed');
  const script = `
    const { createProcFs } = await import(${JSON.stringify(`${REPO}src/procfs/fs.ts`)});
    const { readSmapsRollup } = await import(${JSON.stringify(`${REPO}src/procfs/smaps_rollup.ts`)});
    const { readStatus } = await import(${JSON.stringify(`${REPO}src/procfs/status.ts`)});
    const fs = createProcFs('/');
    const out = { status: readStatus(fs, 1).pid };
    try { readSmapsRollup(fs, 1); out.rollup = 'read'; } catch (e) { out.rollup = e.code; out.message = e.message; }
    console.log(JSON.stringify(out));`;
  const run = spawnSync(
    'setpriv',
    [
      '--reuid=nobody',
      '--regid=nogroup',
      '--clear-groups',
      process.execPath,
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      script,
    ],
    { cwd: REPO, encoding: 'utf8', timeout: 30_000 },
  );
  assert.equal(run.status, 0, run.stderr);
  const out = JSON.parse(run.stdout.trim().split('\n').at(-1) as string);
  assert.deepEqual(out, {
    status: 1,
    rollup: 'E_PERMISSION',
    message: 'permission denied reading "/proc/1/smaps_rollup"',
  });
});

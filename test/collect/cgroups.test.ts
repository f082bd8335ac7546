// The memory cgroups that hold processes, end to end: discovery (mountinfo, /proc/PID/cgroup)
// -> listMemoryCgroups -> readCgroupMemory, on whole captured machines and, as root, on real v1
// cgroups of this machine with a child whose memory is known.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { listMemoryCgroups, memoryCgroupByPath, memoryHierarchy } from '../../src/collect/cgroups.js';
import type { MemoryCgroup, MemoryHierarchy } from '../../src/procfs/cgroup_memory.js';
import { readCgroupMemory } from '../../src/procfs/cgroup_usage.js';
import { ProcReadError } from '../../src/procfs/errors.js';
import { createProcFs } from '../../src/procfs/fs.js';
import { cgroupUnavailable, createCgroup, type TestCgroup } from '../helpers/cgroup.js';
import { corpusFs } from '../procfs/_corpora.js';

const MiB = 1024 * 1024;
const DOCKER = '/docker/b29faf21b7eff959f64b4192c34d5d67a707fe8561e9eaa608cb27693fba4242';
const SESSION = '/user.slice/user-1000.slice/session-520.scope';
const POD =
  '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod7a96c459_d529_44ae_9f99_90d3798d6426.slice/cri-containerd-1d3d308a7d48a27814a68bf33a44acf4441c9c02463ca0bc1cdfdc8c0b4a8496.scope';

/** The cgroup of the i-th entry of a listing, which must be there. */
function nth(found: { cgroup: MemoryCgroup }[], i: number): MemoryCgroup {
  const c = found[i];
  assert.ok(c, `entry ${i} of ${found.length}`);
  return c.cgroup;
}

function isUnsupported(pattern: RegExp) {
  return (err: unknown) =>
    err instanceof ProcReadError && err.code === 'E_UNSUPPORTED' && pattern.test(err.message);
}

describe('whole captured machines', () => {
  test('elastic docker (v1): two cgroups hold processes; the container reads as elastic expects', () => {
    const fs = corpusFs('elastic-cgroup/docker');
    const found = listMemoryCgroups(fs);
    // pid 1 names a cgroup the capture lacks and is found by its cgroup.procs at the mount's
    // root; pid 312 has no v1 memory line (the tree mixes two captures) and is left out.
    assert.deepEqual(
      found.map((c) => [c.cgroup.path, c.cgroup.dir, c.pids]),
      [
        ['/', 'sys/fs/cgroup/memory', [1]],
        [DOCKER, `sys/fs/cgroup/memory${DOCKER}`, [985]],
      ],
    );
    const container = readCgroupMemory(fs, nth(found, 1));
    assert.equal(container.version, 1);
    assert.equal(container.usageBytes, 295997440);
    assert.equal(container.anonBytes, 230662144);
    assert.equal(container.fileBytes, 65101824);
    assert.equal(container.inactiveFileBytes, 40108032);
    assert.equal(container.workingSetBytes, 295997440 - 40108032);
    assert.equal(container.kernelBytes, 40);
    assert.equal(container.sockBytes, 10);
    assert.equal(container.limitBytes, Infinity);
    assert.equal(container.limitSetBy, null);
    assert.deepEqual(container.unreadable, []);
    // The mount's root: its total_* keys hold the container and more.
    const root = readCgroupMemory(fs, nth(found, 0));
    assert.equal(root.usageBytes, 484491264);
    assert.equal(root.anonBytes, 248729600);
    assert.equal(root.inactiveFileBytes, 40706048);
    assert.ok((root.anonBytes ?? 0) >= (container.anonBytes ?? Infinity));
    assert.deepEqual(root.events, { oom: null, oomKill: null, max: 0, high: null, scope: 'local' });
  });

  test('elastic docker2 (v2 in a cgroup namespace): the session scope', () => {
    const fs = corpusFs('elastic-cgroup/docker2');
    const found = listMemoryCgroups(fs);
    assert.deepEqual(
      found.map((c) => [c.cgroup.path, c.pids]),
      [[SESSION, [2233801]]],
    );
    const m = readCgroupMemory(fs, nth(found, 0));
    assert.equal(m.version, 2);
    assert.equal(m.path, SESSION);
    assert.equal(m.usageBytes, 10498404352);
    assert.equal(m.anonBytes, 1411100672);
    assert.equal(m.kernelBytes, 195010560);
    assert.equal(m.swapBytes, 17715200);
    assert.equal(m.workingSetBytes, 10498404352 - 6685749248);
    assert.deepEqual(m.events, { oom: 0, oomKill: 0, max: 0, high: 0, scope: 'hierarchical' });
    assert.equal(m.psi?.full?.totalMicros, 1677369);
    // The ancestors are not in the capture: they set no limit.
    assert.equal(m.limitBytes, Infinity);
    assert.equal(m.limitSetBy, null);
  });

  test('elastic amzn2 (v1, Kubernetes): the pod container, limited by its own cgroup', () => {
    const fs = corpusFs('elastic-cgroup/amzn2');
    const pod = listMemoryCgroups(fs).find((c) => c.cgroup.path === POD);
    assert.ok(pod, 'the pod cgroup');
    assert.deepEqual(pod.pids, [493239]);
    const m = readCgroupMemory(fs, pod.cgroup);
    assert.equal(m.limitBytes, 2147483648);
    assert.equal(m.limitSetBy, POD);
    assert.equal(m.ownLimitBytes, 2147483648);
    assert.ok(m.usageBytes !== null && m.usageBytes > 0 && m.usageBytes < 2147483648);
  });

  test('only the processes asked for; one that is gone is skipped', () => {
    const fs = corpusFs('elastic-cgroup/docker');
    const found = listMemoryCgroups(fs, { processes: [{ pid: 985 }, { pid: 424242 }] });
    assert.deepEqual(
      found.map((c) => [c.cgroup.path, c.pids]),
      [[DOCKER, [985]]],
    );
  });

  test('no memory controller: no cgroups', () => {
    assert.deepEqual(listMemoryCgroups(corpusFs('elastic-cgroup/docker'), { hierarchy: null }), []);
  });
});

describe('memoryCgroupByPath (--cgroup PATH)', () => {
  const fs = corpusFs('elastic-cgroup/docker');
  const hierarchy = memoryHierarchy(fs) as MemoryHierarchy;

  test('a cgroup path, with or without the leading slash or a trailing one', () => {
    for (const p of [DOCKER, DOCKER.slice(1), `${DOCKER}/`, `/docker//${DOCKER.slice(8)}`]) {
      const cg = memoryCgroupByPath(fs, hierarchy, p);
      assert.equal(cg.path, DOCKER, p);
      assert.equal(cg.dir, `sys/fs/cgroup/memory${DOCKER}`);
    }
    assert.equal(memoryCgroupByPath(fs, hierarchy, '/').dir, 'sys/fs/cgroup/memory');
  });

  test('the folder under the mount is taken too', () => {
    const cg = memoryCgroupByPath(fs, hierarchy, `/sys/fs/cgroup/memory${DOCKER}`);
    assert.deepEqual([cg.path, cg.dir], [DOCKER, `sys/fs/cgroup/memory${DOCKER}`]);
    assert.equal(readCgroupMemory(fs, cg).usageBytes, 295997440);
  });

  test('a cgroup that does not exist is E_UNSUPPORTED, with a message naming it', () => {
    assert.throws(
      () => memoryCgroupByPath(fs, hierarchy, '/docker/nope'),
      isUnsupported(
        /^Cannot find memory cgroup "\/docker\/nope": no folder ".*sys\/fs\/cgroup\/memory\/docker\/nope"$/,
      ),
    );
  });

  test('in a cgroup namespace: the path /proc/PID/cgroup shows and the one below the mount', () => {
    const fs2 = corpusFs('elastic-cgroup/docker2');
    const h2 = memoryHierarchy(fs2) as MemoryHierarchy;
    assert.equal(memoryCgroupByPath(fs2, h2, SESSION).dir, `sys/fs/cgroup${SESSION}`);
    // Above the namespace's view of the tree: outside what the mount shows.
    assert.throws(
      () => memoryCgroupByPath(fs2, { ...h2, mountRoot: '/' }, '/../../x'),
      isUnsupported(/^Cannot find memory cgroup "\/..\/..\/x": it lies outside the hierarchy mounted at/),
    );
  });

  test('a folder without the memory controller is E_UNSUPPORTED', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'memlens-cgroups-'));
    after(() => rmSync(tmp, { recursive: true, force: true }));
    const put = (rel: string, text: string) => {
      mkdirSync(dirname(join(tmp, rel)), { recursive: true });
      writeFileSync(join(tmp, rel), text);
    };
    put('sys/fs/cgroup/cgroup.controllers', 'cpu memory\n');
    put('sys/fs/cgroup/nomem/cgroup.controllers', 'cpu\n');
    const h = { version: 2 as const, mountDir: 'sys/fs/cgroup', mountRoot: '/' };
    assert.throws(
      () => memoryCgroupByPath(createProcFs(tmp), h, '/nomem'),
      isUnsupported(/^Cgroup "\/nomem" has no memory controller: cannot read ".*nomem\/memory.stat"/),
    );
  });
});

// --- Live, on this machine's v1 memory controller (root only) -----------------------------------

const live = createProcFs('/');

/**
 * A perl child that waits for a line on stdin (so that it can be moved into a cgroup first:
 * pages are charged to the cgroup a process is in when it first touches them), then writes
 * `shmMiB` MiB to `shmPath` on tmpfs and holds an `anonMiB` MiB string, prints "ready" and waits
 * for stdin to close. Stdin closes when the test process dies, however it dies: the child then
 * removes the file and exits (stop() kills it, and the test removes the file itself).
 */
async function startFiller(shmPath: string, shmMiB: number, anonMiB: number): Promise<ChildProcess> {
  const script = `
    $| = 1;
    defined(my $go = <STDIN>) or exit(1);
    open(my $f, '>', $ARGV[0]) or die "$ARGV[0]: $!";
    print {$f} 'm' x (1 << 20) for 1 .. $ARGV[1];
    close($f) or die "$ARGV[0]: $!";
    my $anon = 'a' x ($ARGV[2] << 20);
    print "ready\\n";
    1 while <STDIN>;
    unlink($ARGV[0]);
    exit(length($anon) > 0 ? 0 : 1);
  `;
  const child = spawn('perl', ['-e', script, shmPath, String(shmMiB), String(anonMiB)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin?.on('error', () => {});
  await once(child, 'spawn');
  return child;
}

async function waitReady(child: ChildProcess): Promise<void> {
  let out = '';
  child.stdout?.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the filler printed no "ready" within 10 s')), 10_000);
    child.stdout?.on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('ready\n')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the filler exited (${code ?? signal}) before it was ready`));
    });
  });
}

async function stop(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

test('live v1: a 64 MiB cgroup with 40 MiB of tmpfs and 8 MiB of anonymous memory', async (t) => {
  const why = cgroupUnavailable();
  if (why) return t.skip(why);
  const shmPath = `/dev/shm/memlens-cgroups-test-${process.pid}`;
  let cg: TestCgroup | null = null;
  let child: ChildProcess | null = null;
  try {
    cg = createCgroup('usage-64m', { limitBytes: 64 * MiB });
    child = await startFiller(shmPath, 40, 8);
    const pid = child.pid as number;
    cg.add(pid);
    child.stdin?.write('go\n');
    await waitReady(child);

    const hierarchy = memoryHierarchy(live);
    assert.ok(hierarchy, 'a memory hierarchy');
    assert.equal(hierarchy.version, 1);
    const m = readCgroupMemory(live, memoryCgroupByPath(live, hierarchy, cg.path));
    const mib = (n: number | null) => (n === null ? 'null' : `${(n / MiB).toFixed(1)} MiB`);
    const what = `usage ${mib(m.usageBytes)}, shmem ${mib(m.shmemBytes)}, anon ${mib(m.anonBytes)}`;
    assert.equal(m.version, 1);
    assert.equal(m.path, cg.path);
    assert.ok(m.usageBytes !== null && m.usageBytes >= 48 * MiB, what);
    // tmpfs pages are charged to the writer's cgroup, as shmem inside the page cache.
    assert.ok(m.shmemBytes !== null && m.shmemBytes >= 40 * MiB, what);
    assert.ok(m.fileBytes !== null && m.fileBytes >= m.shmemBytes, 'cache includes shmem');
    assert.ok(m.anonBytes !== null && m.anonBytes >= 8 * MiB, what);
    // Under the limit, with room for perl itself.
    assert.ok(m.usageBytes <= 64 * MiB, what);
    assert.equal(m.ownLimitBytes, 64 * MiB);
    assert.equal(m.limitBytes, 64 * MiB);
    assert.equal(m.limitSetBy, cg.path);
    // shmem lives on the anon LRU (it is swap-backed): none of it is inactive_file, so all of it
    // stays in the working set.
    assert.ok(
      m.workingSetBytes !== null && m.workingSetBytes >= 48 * MiB,
      `working set ${mib(m.workingSetBytes)}`,
    );
    assert.equal(m.events.scope, 'local');
    assert.equal(m.events.oom, null);
    assert.equal(m.events.oomKill, 0);
    assert.equal(m.underOom, false);
    assert.equal(m.psi, null);
    assert.equal(typeof m.kernelBytes, 'number');
    assert.equal(typeof m.sockBytes, 'number');
    console.log(`# ${what}, working set ${mib(m.workingSetBytes)}, kernel ${mib(m.kernelBytes)}`);

    // Listing finds it with the child's pid, from the whole machine and from the one process.
    const all = listMemoryCgroups(live, { hierarchy });
    assert.deepEqual(all.find((c) => c.cgroup.path === cg?.path)?.pids, [pid]);
    const one = listMemoryCgroups(live, { processes: [{ pid }] });
    assert.deepEqual(
      one.map((c) => [c.cgroup.path, c.cgroup.dir, c.pids]),
      [[cg.path, `sys/fs/cgroup/memory${cg.path}`, [pid]]],
    );
  } finally {
    await stop(child);
    rmSync(shmPath, { force: true });
    await cg?.remove();
  }
});

test('live v1 nested: a child cgroup without a limit inherits its parent 128 MiB', async (t) => {
  const why = cgroupUnavailable();
  if (why) return t.skip(why);
  let parent: TestCgroup | null = null;
  let inner: TestCgroup | null = null;
  let sleeper: ChildProcess | null = null;
  try {
    parent = createCgroup('nest-128m', { limitBytes: 128 * MiB });
    inner = createCgroup('inner', { parent });
    sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    await once(sleeper, 'spawn');
    const pid = sleeper.pid as number;
    inner.add(pid);

    const hierarchy = memoryHierarchy(live) as MemoryHierarchy;
    const m = readCgroupMemory(live, memoryCgroupByPath(live, hierarchy, inner.path));
    assert.equal(m.path, inner.path);
    assert.equal(m.ownLimitBytes, Infinity);
    assert.equal(m.limitBytes, 128 * MiB);
    assert.equal(m.limitSetBy, parent.path);
    const p = readCgroupMemory(live, memoryCgroupByPath(live, hierarchy, parent.path));
    // The parent's usage is hierarchical: it holds the child's.
    assert.ok(p.usageBytes !== null && m.usageBytes !== null && p.usageBytes >= m.usageBytes);

    const found = listMemoryCgroups(live, { hierarchy });
    assert.deepEqual(found.find((c) => c.cgroup.path === inner?.path)?.pids, [pid]);
    assert.equal(
      found.find((c) => c.cgroup.path === parent?.path),
      undefined,
      'the parent holds no process of its own',
    );
  } finally {
    await stop(sleeper);
    await inner?.remove();
    await parent?.remove();
  }
});

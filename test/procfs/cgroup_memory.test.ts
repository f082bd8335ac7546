// The memory controller: limits, and finding a process's memory cgroup (mountinfo +
// /proc/PID/cgroup), end to end on whole captured machines.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readCgroup } from '../../src/procfs/cgroup.js';
import {
  findMemoryCgroup,
  findMemoryHierarchy,
  type MemoryHierarchy,
  memoryCgroupOf,
  parseLimit,
  readEffectiveLimit,
  readOwnLimit,
} from '../../src/procfs/cgroup_memory.js';
import { parseCgroupValue, readFlatKeyed } from '../../src/procfs/cgroup_stat.js';
import { ProcReadError } from '../../src/procfs/errors.js';
import { createProcFs, type ProcFs } from '../../src/procfs/fs.js';
import { readMountinfo } from '../../src/procfs/mountinfo.js';
import { tableTests } from './_assert.js';
import { corpusFs } from './_corpora.js';

const PATH = '/sys/fs/cgroup/memory/memory.limit_in_bytes';

tableTests('parseLimit', PATH, (t) => parseLimit(t, PATH), [
  ['bytes', '2147483648\n', 2147483648],
  ['v2 max', 'max\n', Infinity],
  ['v1 unlimited: PAGE_COUNTER_MAX * 4096', '9223372036854771712\n', Infinity],
  ['2^64-1', '18446744073709551615\n', Infinity],
  ['v1 unlimited with 64 KiB pages', '9223372036854710272\n', Infinity],
  ['zero', '0\n', 0],
  ['negative', '-1\n', 'error'],
  ['max with junk', 'maximum\n', 'error'],
  ['empty', '', 'error'],
]);

/** The whole discovery, as the scan does it, plus the search fallback. */
function discover(fs: ProcFs, pid: number) {
  const hierarchy = findMemoryHierarchy(fs, readMountinfo(fs));
  assert.ok(hierarchy, 'a memory hierarchy');
  const entries = readCgroup(fs, pid);
  const pure = memoryCgroupOf(entries, hierarchy);
  const cg = findMemoryCgroup(fs, pid, entries, hierarchy);
  return { hierarchy, pure, cg, limit: cg ? readEffectiveLimit(fs, cg) : null };
}

const POD =
  '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod7a96c459_d529_44ae_9f99_90d3798d6426.slice/cri-containerd-1d3d308a7d48a27814a68bf33a44acf4441c9c02463ca0bc1cdfdc8c0b4a8496.scope';
const DOCKER = '/docker/b29faf21b7eff959f64b4192c34d5d67a707fe8561e9eaa608cb27693fba4242';

describe('discovery on whole captured machines (elastic-cgroup)', () => {
  test('docker (v1, mounted with a container root; the process beside it)', () => {
    const fs = corpusFs('elastic-cgroup/docker');
    const d = discover(fs, 985);
    assert.equal(d.hierarchy.version, 1);
    assert.equal(d.hierarchy.mountDir, 'sys/fs/cgroup/memory');
    assert.equal(d.cg?.dir, `sys/fs/cgroup/memory${DOCKER}`);
    assert.equal(d.cg?.path, DOCKER);
    assert.deepEqual(d.pure, d.cg, 'the pure mapping already finds it');
    // 9223372036854771712 at every level: no limit anywhere.
    assert.deepEqual(d.limit, { limitBytes: Infinity, setBy: null });
    const usage = parseCgroupValue(fs.readText(`${d.cg?.dir}/memory.usage_in_bytes`), 'usage');
    assert.equal(usage, 295997440);
    assert.equal(
      readFlatKeyed(fs, d.cg?.dir ?? '', 'memory.stat').get('hierarchical_memory_limit'),
      Infinity,
    );
  });

  test('docker: pid 1 names a cgroup not in the capture; its cgroup.procs is found instead', () => {
    const d = discover(corpusFs('elastic-cgroup/docker'), 1);
    assert.equal(d.pure?.dir, 'sys/fs/cgroup/memory/docker/123');
    assert.equal(d.cg?.dir, 'sys/fs/cgroup/memory');
    assert.deepEqual(d.limit, { limitBytes: Infinity, setBy: null });
  });

  test('docker: pid 312 is only in the v2 tree; with a v1 memory mount it has no memory cgroup', () => {
    // On a real hybrid host every process has a v1 memory line; this tree mixes two captures.
    const d = discover(corpusFs('elastic-cgroup/docker'), 312);
    assert.equal(d.pure, null);
    assert.equal(d.cg, null);
  });

  test('amzn2 (v1, Kubernetes): the pod limit, set by the container scope', () => {
    const d = discover(corpusFs('elastic-cgroup/amzn2'), 493239);
    assert.equal(d.hierarchy.version, 1);
    assert.equal(d.cg?.dir, `sys/fs/cgroup/memory${POD}`);
    // The ancestors' files are not in the capture: they set no limit.
    assert.deepEqual(d.limit, { limitBytes: 2147483648, setBy: POD });
    const root = discover(corpusFs('elastic-cgroup/amzn2'), 1);
    assert.equal(root.cg?.dir, 'sys/fs/cgroup/memory');
    assert.deepEqual(root.limit, { limitBytes: Infinity, setBy: null });
  });

  test('ubuntu1804 (hybrid: v1 memory wins over the unified v2 mount)', () => {
    const d = discover(corpusFs('elastic-cgroup/ubuntu1804'), 3757);
    assert.deepEqual(d.hierarchy, { version: 1, mountDir: 'sys/fs/cgroup/memory', mountRoot: '/' });
    assert.equal(d.cg?.dir, 'sys/fs/cgroup/memory/system.slice/networkd-dispatcher.service');
    assert.deepEqual(d.limit, { limitBytes: Infinity, setBy: null });
  });

  test('docker2 (v2 in a cgroup namespace: the path is "/../../user-1000.slice/session-520.scope")', () => {
    const fs = corpusFs('elastic-cgroup/docker2');
    const d = discover(fs, 2233801);
    // The widest of the four cgroup2 mounts: its root lies two levels above the namespace.
    assert.deepEqual(d.hierarchy, { version: 2, mountDir: 'sys/fs/cgroup', mountRoot: '/../..' });
    // By the kernel's rules the path maps to user-1000.slice/session-520.scope below the mount,
    // which the capture does not hold; the folder whose cgroup.procs lists the pid is found.
    assert.equal(d.pure?.dir, 'sys/fs/cgroup/user-1000.slice/session-520.scope');
    assert.equal(d.cg?.dir, 'sys/fs/cgroup/user.slice/user-1000.slice/session-520.scope');
    assert.equal(d.cg?.path, '/user.slice/user-1000.slice/session-520.scope', "elastic's expected path");
    assert.equal(readOwnLimit(fs, d.cg?.dir ?? '', 2), Infinity, 'memory.max is "max"');
    assert.deepEqual(d.limit, { limitBytes: Infinity, setBy: null });
  });

  test("live/node (this project's machine, v1): the capturing session's cgroup, unlimited", () => {
    const fs = createProcFs(fileURLToPath(new URL('../fixtures/live/node/', import.meta.url)));
    const d = discover(fs, 8425);
    assert.equal(d.cg?.dir, 'sys/fs/cgroup/memory/process_api/0ee478304057629f6761dc8fceb23f47');
    assert.deepEqual(d.limit, { limitBytes: Infinity, setBy: null });
  });
});

const V1: MemoryHierarchy = { version: 1, mountDir: 'sys/fs/cgroup/memory', mountRoot: '/' };
const V2: MemoryHierarchy = { version: 2, mountDir: 'sys/fs/cgroup', mountRoot: '/' };
describe('memoryCgroupOf (pure)', () => {
  const of = (lines: string, h: MemoryHierarchy) =>
    memoryCgroupOf(
      lines.split('\n').map((l) => {
        const [id, c, ...p] = l.split(':');
        return { hierarchyId: Number(id), controllers: c ? (c as string).split(',') : [], path: p.join(':') };
      }),
      h,
    )?.dir ?? null;
  test('v1 uses the memory line, v2 the 0:: line', () => {
    assert.equal(of('4:memory:/a/b\n0::/c', V1), 'sys/fs/cgroup/memory/a/b');
    assert.equal(of('4:memory:/a/b\n0::/c', V2), 'sys/fs/cgroup/c');
    assert.equal(of('0::/c', V1), null);
    assert.equal(of('4:memory:/a', V2), null);
  });
  test('a mount of a sub-cgroup: paths below it map below the mount', () => {
    const h = { ...V1, mountRoot: '/docker/abc' };
    assert.equal(of('4:memory:/docker/abc', h), 'sys/fs/cgroup/memory');
    assert.equal(of('4:memory:/docker/abc/sub', h), 'sys/fs/cgroup/memory/sub');
    assert.equal(
      of('4:memory:/docker/abcdef', h),
      'sys/fs/cgroup/memory/docker/abcdef',
      'a prefix of a name is not a parent',
    );
  });
  test('a path outside the namespace is unknown, never the namespace root', () => {
    assert.equal(of('0::/../../x', V2), null);
    assert.equal(of('0::/../../x', { ...V2, mountRoot: '/..' }), null);
    assert.equal(of('0::/../../x/y', { ...V2, mountRoot: '/../..' }), 'sys/fs/cgroup/x/y');
  });
  test('inner ".." cannot climb out of the mount', () => {
    assert.equal(of('0::/a/../../../etc', V2), null);
    assert.equal(of('0::/a/./b/../c', V2), 'sys/fs/cgroup/a/c');
  });
});

const tmp = mkdtempSync(join(tmpdir(), 'memlens-cgroup-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
function tree(name: string, files: Record<string, string>): ProcFs {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(tmp, name, rel)), { recursive: true });
    writeFileSync(join(tmp, name, rel), text);
  }
  return createProcFs(join(tmp, name));
}

describe('findMemoryHierarchy', () => {
  const mount = (line: string) =>
    readMountinfo(tree(`m${line.length}`, { 'proc/self/mountinfo': `${line}\n` }));
  test('no cgroup mounts: null', () => {
    assert.equal(findMemoryHierarchy(createProcFs(tmp), mount('1 2 0:1 / /tmp rw - tmpfs tmpfs rw')), null);
  });
  test('a v2 mount proven without memory is not taken', () => {
    const fs = tree('v2nomem', { 'sys/fs/cgroup/cgroup.controllers': 'cpu io pids\n' });
    const mounts = [
      { root: '/', mountPoint: '/sys/fs/cgroup', fsType: 'cgroup2', source: 'cgroup2', superOptions: ['rw'] },
    ];
    assert.equal(findMemoryHierarchy(fs, mounts), null);
  });
  test('a v2 mount with memory in cgroup.controllers', () => {
    const fs = tree('v2mem', { 'sys/fs/cgroup/cgroup.controllers': 'cpu memory pids\n' });
    const mounts = [
      { root: '/', mountPoint: '/sys/fs/cgroup', fsType: 'cgroup2', source: 'cgroup2', superOptions: ['rw'] },
    ];
    assert.deepEqual(findMemoryHierarchy(fs, mounts), V2);
  });
  test('an absolute mount point is used as it is, not cut at "sys/fs/cgroup"', () => {
    const fs = tree('overlay', { 'srv/x/sys/fs/cgroup/cgroup.controllers': 'memory\n' });
    const mounts = [
      {
        root: '/',
        mountPoint: '/srv/x/sys/fs/cgroup',
        fsType: 'cgroup2',
        source: 'cgroup2',
        superOptions: ['rw'],
      },
    ];
    assert.equal(findMemoryHierarchy(fs, mounts)?.mountDir, 'srv/x/sys/fs/cgroup');
  });
});

describe('readEffectiveLimit', () => {
  const fs = tree('limits', {
    'sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712\n',
    'sys/fs/cgroup/memory/a/memory.limit_in_bytes': '1073741824\n',
    'sys/fs/cgroup/memory/a/b/memory.limit_in_bytes': '2147483648\n',
    'sys/fs/cgroup/memory/a/b/c/memory.limit_in_bytes': '9223372036854771712\n',
    'sys/fs/cgroup/memory/nofile/.keep': '',
  });
  const cg = (path: string) => ({
    version: 1 as const,
    path,
    dir: `sys/fs/cgroup/memory${path}`,
    hierarchy: V1,
  });
  test('the lowest limit over the ancestors, and who sets it', () => {
    assert.deepEqual(readEffectiveLimit(fs, cg('/a/b/c')), { limitBytes: 1073741824, setBy: '/a' });
    assert.deepEqual(readEffectiveLimit(fs, cg('/a')), { limitBytes: 1073741824, setBy: '/a' });
  });
  test("the cgroup's own file missing is an error (E_UNSUPPORTED), not 'no limit'", () => {
    assert.throws(
      () => readEffectiveLimit(fs, cg('/nofile')),
      (err: unknown) => err instanceof ProcReadError && err.code === 'E_UNSUPPORTED',
    );
  });
});

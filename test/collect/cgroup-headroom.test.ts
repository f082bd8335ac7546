// The level that binds, as a pure choice and on cgroup v2 trees written to a temporary folder in
// the kernel's own file formats (this machine has no v2 memory controller; the v1 path runs on
// real cgroups in test/cli/cgroup-headroom.test.ts).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { bindingLevel, readCgroupHeadroom } from '../../src/collect/cgroup-headroom.js';
import type { MemoryCgroup, MemoryHierarchy } from '../../src/procfs/cgroup_memory.js';
import { createProcFs } from '../../src/procfs/fs.js';

const MiB = 1024 * 1024;

describe('bindingLevel', () => {
  it('takes the least headroom, not the lowest limit', () => {
    const b = bindingLevel([
      { path: '/p/b', limitBytes: 128 * MiB, workingSetBytes: 60 * MiB },
      { path: '/p', limitBytes: 160 * MiB, workingSetBytes: 130 * MiB },
    ]);
    assert.deepEqual(b, {
      path: '/p',
      limitBytes: 160 * MiB,
      workingSetBytes: 130 * MiB,
      headroomBytes: 30 * MiB,
    });
  });

  it('takes the nearest level on a tie, and floors the headroom at 0', () => {
    const tie = bindingLevel([
      { path: '/p/a', limitBytes: 100 * MiB, workingSetBytes: 60 * MiB },
      { path: '/p', limitBytes: 200 * MiB, workingSetBytes: 160 * MiB },
    ]);
    assert.equal(tie?.path, '/p/a');
    const over = bindingLevel([{ path: '/p', limitBytes: 100 * MiB, workingSetBytes: 101 * MiB }]);
    assert.equal(over?.headroomBytes, 0);
  });

  it('skips levels whose working set is unknown; with none known, the lowest limit and no headroom', () => {
    const some = bindingLevel([
      { path: '/p/a', limitBytes: 50 * MiB, workingSetBytes: null },
      { path: '/p', limitBytes: 200 * MiB, workingSetBytes: 100 * MiB },
    ]);
    assert.equal(some?.path, '/p');
    assert.equal(some?.headroomBytes, 100 * MiB);
    const none = bindingLevel([
      { path: '/p/a', limitBytes: 300 * MiB, workingSetBytes: null },
      { path: '/p', limitBytes: 200 * MiB, workingSetBytes: null },
    ]);
    assert.deepEqual(none, { path: '/p', limitBytes: 200 * MiB, workingSetBytes: null, headroomBytes: null });
  });

  it('is null without a finite limit', () => {
    assert.equal(bindingLevel([]), null);
    assert.equal(
      bindingLevel([{ path: '/', limitBytes: Number.POSITIVE_INFINITY, workingSetBytes: 5 * MiB }]),
      null,
    );
  });
});

describe('readCgroupHeadroom on a cgroup v2 tree', () => {
  const root = mkdtempSync(join(tmpdir(), 'memlens-headroom-v2-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const hierarchy: MemoryHierarchy = { version: 2, mountDir: 'sys/fs/cgroup', mountRoot: '/' };
  const cgroup = (path: string): MemoryCgroup => ({
    version: 2,
    path,
    dir: join('sys/fs/cgroup', path),
    hierarchy,
  });
  /** A v2 cgroup folder: memory.max ("max" or bytes), memory.current and memory.stat. */
  const write = (path: string, max: string, current: number, inactiveFile: number) => {
    const dir = join(root, 'sys/fs/cgroup', path);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'memory.max'), `${max}\n`);
    writeFileSync(join(dir, 'memory.current'), `${current}\n`);
    writeFileSync(
      join(dir, 'memory.stat'),
      `anon ${current - inactiveFile}\nfile ${inactiveFile}\nkernel 0\nactive_file 0\ninactive_file ${inactiveFile}\n`,
    );
  };
  // The root cgroup has no memory.max or memory.current, as on a real v2 host.
  mkdirSync(join(root, 'sys/fs/cgroup'), { recursive: true });
  writeFileSync(join(root, 'sys/fs/cgroup/cgroup.controllers'), 'cpu memory pids\n');
  write('app.slice', String(160 * MiB), 130 * MiB, 10 * MiB);
  write('app.slice/a.service', 'max', 60 * MiB, 0);
  write('app.slice/b.service', String(128 * MiB), 60 * MiB, 0);
  write('app.slice/c.service', 'max', 10 * MiB, 10 * MiB);
  write('app.slice/c.service/worker', 'max', 0, 0);
  const fs = createProcFs(root);

  it("gives an unlimited child its parent's room, inactive file counted as room", () => {
    assert.deepEqual(readCgroupHeadroom(fs, cgroup('/app.slice/a.service')), {
      headroomBytes: 40 * MiB,
      setBy: '/app.slice',
      limitBytes: 160 * MiB,
      workingSetBytes: 120 * MiB,
      sharedWith: 3,
    });
  });

  it("binds a child with its own, roomier limit at the parent's", () => {
    const h = readCgroupHeadroom(fs, cgroup('/app.slice/b.service'));
    assert.equal(h?.setBy, '/app.slice');
    assert.equal(h?.headroomBytes, 40 * MiB);
    assert.equal(h?.sharedWith, 3, 'a.service, c.service and its worker');
  });

  it("counts a cgroup's own descendants as sharing its limit, and nothing above the root", () => {
    write('solo.slice', String(64 * MiB), 16 * MiB, 0);
    write('solo.slice/x', 'max', 16 * MiB, 0);
    write('solo.slice/x/y', 'max', 0, 0);
    assert.equal(readCgroupHeadroom(fs, cgroup('/solo.slice'))?.sharedWith, 2);
    assert.equal(
      readCgroupHeadroom(fs, cgroup('/solo.slice/x'))?.sharedWith,
      1,
      'y; x itself is on the way up',
    );
    write('free.slice', 'max', 16 * MiB, 0);
    assert.equal(readCgroupHeadroom(fs, cgroup('/free.slice')), null, 'no limit anywhere');
  });
});

// One memory cgroup's state (cgroup_usage.ts), v1 and v2: the corpora's cgroup folders against
// their expected values, the pure mapping on inline files, and reading from a tree.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import type { CgroupVersion, MemoryCgroup } from '../../src/procfs/cgroup_memory.js';
import {
  type CgroupMemory,
  type CgroupUsage,
  cgroupMemoryFrom,
  readCgroupMemory,
} from '../../src/procfs/cgroup_usage.js';
import { ProcParseError, ProcReadError } from '../../src/procfs/errors.js';
import { createProcFs, type ProcFs } from '../../src/procfs/fs.js';
import { assertParseError } from './_assert.js';
import { corpusFs, corpusText, type Json, loadExpected } from './_corpora.js';

const EXPECTED = loadExpected('external-expected.json').fixtures;

/** A cgroup folder read on its own: it is the root of its (one-folder) hierarchy. */
function alone(version: CgroupVersion, path = '/'): MemoryCgroup {
  return { version, path, dir: '.', hierarchy: { version, mountDir: '.', mountRoot: '/' } };
}

/** An expected number of external-expected.json; past 2^53 (a bigint there) is "no limit". */
function num(group: Json | undefined, key: string): number {
  const v = (group as Record<string, Json>)[key];
  if (typeof v === 'bigint') return Infinity;
  assert.equal(typeof v, 'number', `${key} in external-expected.json`);
  return v as number;
}

describe('elastic cgv1-docker-b29faf21 (v1, docker)', () => {
  const exp = EXPECTED['elastic/cgv1-docker-b29faf21'] as Record<string, Json>;
  const stat = exp['memory.stat'];
  const files = exp.files;
  const m = readCgroupMemory(corpusFs('external/elastic/cgv1-docker-b29faf21'), alone(1, '/docker/b29f'));

  test('the expected values of elastic-agent-system-metrics', () => {
    const usage = num(files, 'memory.usage_in_bytes');
    // A leaf cgroup: its total_* keys equal the local ones that the expected values name.
    assert.equal(m.usageBytes, usage);
    assert.equal(m.anonBytes, num(stat, 'rss'), 'rss, with rss_huge inside it (not added again)');
    assert.ok(num(stat, 'rss_huge') < num(stat, 'rss'));
    assert.equal(m.fileBytes, num(stat, 'cache'));
    assert.equal(m.activeFileBytes, num(stat, 'active_file'));
    assert.equal(m.inactiveFileBytes, num(stat, 'inactive_file'));
    assert.equal(m.swapBytes, num(stat, 'swap'));
    assert.equal(m.kernelBytes, num(files, 'memory.kmem.usage_in_bytes'));
    assert.equal(m.sockBytes, num(files, 'memory.kmem.tcp.usage_in_bytes'));
    assert.equal(m.ownLimitBytes, num(files, 'memory.limit_in_bytes'));
    assert.equal(m.ownLimitBytes, Infinity);
    assert.equal(m.events.max, num(files, 'memory.failcnt'));
    assert.equal(m.workingSetBytes, usage - num(stat, 'inactive_file'));
  });

  test('the whole object', () => {
    const expected: CgroupMemory = {
      version: 1,
      path: '/docker/b29f',
      dir: '.',
      usageBytes: 295997440,
      ownLimitBytes: Infinity,
      anonBytes: 230662144,
      fileBytes: 65101824,
      activeFileBytes: 24813568,
      inactiveFileBytes: 40108032,
      // A kernel before 4.15: memory.stat has no shmem key. Unknown, not 0.
      shmemBytes: null,
      kernelBytes: 40,
      sockBytes: 10,
      swapBytes: 0,
      workingSetBytes: 255889408,
      // A kernel before 4.13: memory.oom_control has no oom_kill either.
      events: { oom: null, oomKill: null, max: 0, high: null, scope: 'local' },
      underOom: false,
      psi: null,
      limitBytes: Infinity,
      limitSetBy: null,
      unreadable: [],
    };
    assert.deepEqual(m, expected);
  });
});

describe('elastic cgv2-docker-1c8fa019 (v2, docker)', () => {
  const exp = EXPECTED['elastic/cgv2-docker-1c8fa019'] as Record<string, Json>;
  const fields = exp.fields;
  const m = readCgroupMemory(corpusFs('external/elastic/cgv2-docker-1c8fa019'), alone(2));

  test('the expected values of elastic-agent-system-metrics', () => {
    assert.equal(m.usageBytes, num(fields, 'memory.current'));
    assert.equal(m.events.high, num(fields, 'memory.events.high'));
    const psi = (fields as Record<string, Json>)['memory.pressure'] as Record<string, Record<string, number>>;
    for (const kind of ['some', 'full'] as const) {
      const line = m.psi?.[kind];
      assert.ok(line, kind);
      assert.equal(line.avg10, psi[kind]?.avg10);
      assert.equal(line.avg60, psi[kind]?.avg60);
      assert.equal(line.avg300, psi[kind]?.avg300);
      assert.equal(line.totalMicros, psi[kind]?.total);
    }
  });

  test('the whole object', () => {
    const expected: CgroupMemory = {
      version: 2,
      path: '/',
      dir: '.',
      usageBytes: 9125888,
      ownLimitBytes: Infinity,
      anonBytes: 411045888,
      fileBytes: 0,
      activeFileBytes: 0,
      inactiveFileBytes: 270336,
      shmemBytes: 0,
      // No `kernel` key (before 5.18): kernel_stack + pagetables + percpu + slab.
      kernelBytes: 589824 + 12029952 + 1152 + 19933824,
      sockBytes: 0,
      swapBytes: 0,
      workingSetBytes: 9125888 - 270336,
      events: { oom: 1, oomKill: 1, max: 2, high: 3, scope: 'hierarchical' },
      underOom: null,
      psi: {
        some: { avg10: 0, avg60: 0, avg300: 0, totalMicros: 0 },
        full: { avg10: 0, avg60: 0, avg300: 0, totalMicros: 0 },
      },
      limitBytes: Infinity,
      limitSetBy: null,
      unreadable: [],
    };
    assert.deepEqual(m, expected);
  });
});

test('elastic cgv2-session-520-newkernel (v2, a 6.x kernel with the `kernel` key)', () => {
  const m = readCgroupMemory(corpusFs('external/elastic/cgv2-session-520-newkernel'), alone(2));
  const expected: CgroupUsage = {
    usageBytes: 10498404352,
    ownLimitBytes: Infinity,
    anonBytes: 1411100672,
    fileBytes: 8621432832,
    activeFileBytes: 1935663104,
    inactiveFileBytes: 6685749248,
    shmemBytes: 20480,
    kernelBytes: 195010560,
    sockBytes: 0,
    swapBytes: 17715200,
    workingSetBytes: 10498404352 - 6685749248,
    events: { oom: 0, oomKill: 0, max: 0, high: 0, scope: 'hierarchical' },
    underOom: null,
    psi: {
      some: { avg10: 0, avg60: 0, avg300: 0, totalMicros: 1736583 },
      full: { avg10: 0, avg60: 0, avg300: 0, totalMicros: 1677369 },
    },
  };
  const { version, path, dir, limitBytes, limitSetBy, unreadable, ...usage } = m;
  assert.deepEqual(usage, expected);
  assert.deepEqual(
    { version, limitBytes, limitSetBy, unreadable },
    { version: 2, limitBytes: Infinity, limitSetBy: null, unreadable: [] },
  );
  // The `kernel` key is more than the parts the fallback would add (kmem has other charges).
  assert.ok((m.kernelBytes ?? 0) > 2424832 + 14983168 + 8160 + 175160424);
});

test('containerd v1 memory.stat: the hierarchical total_* keys, never the local ones', () => {
  // Synthetic: the i-th key has value i, so each field shows which key it took.
  const fields = (EXPECTED['containerd/v1_memory.stat'] as Record<string, Json>).fields;
  const oom = (EXPECTED['containerd/v1_memory.stat'] as Record<string, Json>).oom_control;
  const files = new Map([
    ['memory.stat', corpusText('external/containerd/v1_memory.stat')],
    ['memory.oom_control', corpusText('external/containerd/v1_memory.oom_control')],
  ]);
  const u = cgroupMemoryFrom(1, files, '/containerd');
  assert.equal(u.anonBytes, num(fields, 'total_rss'), 'total_rss alone: it already holds total_rss_huge');
  assert.equal(u.fileBytes, num(fields, 'total_cache'));
  assert.equal(u.activeFileBytes, num(fields, 'total_active_file'));
  assert.equal(u.inactiveFileBytes, num(fields, 'total_inactive_file'));
  assert.equal(u.shmemBytes, null, 'no total_shmem key');
  assert.equal(u.swapBytes, null, 'no total_swap key: swap accounting is off');
  assert.equal(u.events.oomKill, num(oom, 'oom_kill'));
  assert.equal(u.underOom, true, `under_oom ${num(oom, 'under_oom')}`);
  // No usage file: the working set is unknown, not "0 - inactive_file".
  assert.equal(u.usageBytes, null);
  assert.equal(u.workingSetBytes, null);
});

test('opencontainers v2 memory.stat (no trailing newline)', () => {
  const fields = (EXPECTED['opencontainers/v2_memory.stat'] as Record<string, Json>).fields;
  const u = cgroupMemoryFrom(
    2,
    new Map([['memory.stat', corpusText('external/opencontainers/v2_memory.stat')]]),
  );
  assert.equal(u.anonBytes, num(fields, 'anon'));
  assert.equal(u.fileBytes, num(fields, 'file'));
  assert.equal((u.anonBytes ?? 0) + (u.fileBytes ?? 0), num(fields, 'anon+file'));
  assert.equal(u.shmemBytes, 6721536);
  assert.equal(u.sockBytes, 40960);
  assert.equal(u.inactiveFileBytes, 5307346944);
  assert.equal(u.kernelBytes, 7012352 + 8867840 + 2445520 + 358966048);
  // No memory.events: the counters are unknown; no memory.pressure: no PSI.
  assert.deepEqual(u.events, { oom: null, oomKill: null, max: null, high: null, scope: 'hierarchical' });
  assert.equal(u.psi, null);
});

describe('cgroupMemoryFrom (pure): inline files', () => {
  const v1 = (files: Record<string, string>) => cgroupMemoryFrom(1, new Map(Object.entries(files)), '/cg');
  const v2 = (files: Record<string, string>) => cgroupMemoryFrom(2, new Map(Object.entries(files)), '/cg');

  test('the working set is floored at 0 when inactive_file passes usage (they are read apart)', () => {
    const u = v2({ 'memory.current': '4096\n', 'memory.stat': 'inactive_file 8192\n' });
    assert.equal(u.workingSetBytes, 0);
  });
  test('v1 reads total_inactive_file, not the local inactive_file', () => {
    const u = v1({
      'memory.usage_in_bytes': '100000\n',
      'memory.stat': 'inactive_file 1\ntotal_inactive_file 40000\n',
    });
    assert.equal(u.workingSetBytes, 60000);
  });
  test('v1 events: oom_kill from oom_control (local), failcnt as max, no oom or high counters', () => {
    const u = v1({
      'memory.oom_control': 'oom_kill_disable 0\nunder_oom 1\noom_kill 7\n',
      'memory.failcnt': '12\n',
    });
    assert.deepEqual(u.events, { oom: null, oomKill: 7, max: 12, high: null, scope: 'local' });
    assert.equal(u.underOom, true);
    assert.equal(u.psi, null);
  });
  test('v1 with nothing readable: every value unknown', () => {
    const u = v1({});
    assert.deepEqual(u, {
      usageBytes: null,
      ownLimitBytes: null,
      anonBytes: null,
      fileBytes: null,
      activeFileBytes: null,
      inactiveFileBytes: null,
      shmemBytes: null,
      kernelBytes: null,
      sockBytes: null,
      swapBytes: null,
      workingSetBytes: null,
      events: { oom: null, oomKill: null, max: null, high: null, scope: 'local' },
      underOom: null,
      psi: null,
    });
  });
  test('v2 memory.events without memory.events.local (before 5.2) counts locally', () => {
    assert.equal(v2({ 'memory.events': 'oom_kill 1\n' }).events.scope, 'local');
    assert.equal(
      v2({ 'memory.events': 'oom_kill 1\n', 'memory.events.local': 'oom_kill 0\n' }).events.scope,
      'hierarchical',
    );
  });
  test('v2 kernel: slab from its two halves; unknown when a part is missing', () => {
    const parts = 'kernel_stack 1\npagetables 2\nslab_reclaimable 4\nslab_unreclaimable 8\n';
    assert.equal(v2({ 'memory.stat': parts }).kernelBytes, 15, 'no percpu (before 5.9): it adds nothing');
    assert.equal(v2({ 'memory.stat': `${parts}percpu 16\nvmalloc 32\n` }).kernelBytes, 63);
    assert.equal(v2({ 'memory.stat': 'pagetables 2\nslab 4\n' }).kernelBytes, null);
    assert.equal(v2({ 'memory.stat': `kernel 99\n${parts}` }).kernelBytes, 99, 'the kernel key wins');
  });
  test('limits: max and the v1 near-2^63 value are Infinity (none); a number is bytes', () => {
    assert.equal(v2({ 'memory.max': 'max\n' }).ownLimitBytes, Infinity);
    assert.equal(v2({ 'memory.max': '67108864\n' }).ownLimitBytes, 67108864);
    assert.equal(v1({ 'memory.limit_in_bytes': '9223372036854771712\n' }).ownLimitBytes, Infinity);
  });
  test('a value past 2^53 is no real count: unknown, not rounded', () => {
    const u = v1({
      'memory.stat': 'total_rss 18446744073709551615\n',
      'memory.usage_in_bytes': '9223372036854771712\n',
    });
    assert.equal(u.anonBytes, null);
    assert.equal(u.usageBytes, null);
  });
  test('unknown keys are ignored', () => {
    assert.equal(v2({ 'memory.stat': 'anon 1\nsomething_new 5\n' }).anonBytes, 1);
  });
  test('a malformed file is a ProcParseError naming it', () => {
    assertParseError(() => v2({ 'memory.stat': 'anon lots\n' }), '/cg/memory.stat');
    assertParseError(() => v2({ 'memory.current': '-1\n' }), '/cg/memory.current');
    assertParseError(() => v2({ 'memory.pressure': 'some avg10=x\n' }), '/cg/memory.pressure');
    assertParseError(() => v1({ 'memory.oom_control': 'under_oom\n' }), '/cg/memory.oom_control');
    assertParseError(() => v1({ 'memory.failcnt': 'many\n' }), '/cg/memory.failcnt');
  });
});

test('property: over any file texts only ProcParseError escapes, and no number is negative', () => {
  const names = [
    'memory.stat',
    'memory.events',
    'memory.current',
    'memory.usage_in_bytes',
    'memory.oom_control',
    'memory.pressure',
    'memory.failcnt',
    'memory.max',
  ];
  const line = fc.oneof(
    fc
      .tuple(
        fc.constantFrom(
          'anon',
          'total_rss',
          'inactive_file',
          'total_inactive_file',
          'oom_kill',
          'under_oom',
          'kernel',
          'slab',
        ),
        fc.bigInt({ min: -1n, max: 1n << 64n }),
      )
      .map(([k, v]) => `${k} ${v}`),
    fc.string(),
  );
  const text = fc.array(line, { maxLength: 6 }).map((ls) => ls.join('\n'));
  fc.assert(
    fc.property(
      fc.constantFrom<CgroupVersion>(1, 2),
      fc.dictionary(fc.constantFrom(...names), text),
      (version, files) => {
        let u: CgroupUsage;
        try {
          u = cgroupMemoryFrom(version, new Map(Object.entries(files)), '/cg');
        } catch (err) {
          assert.ok(err instanceof ProcParseError, String(err));
          return;
        }
        for (const [k, v] of Object.entries(u)) {
          if (typeof v === 'number') assert.ok(v >= 0 && !Number.isNaN(v), `${k} = ${v}`);
        }
        if (u.workingSetBytes !== null) assert.ok(Number.isSafeInteger(u.workingSetBytes));
      },
    ),
    { seed: 20261125, numRuns: 300 },
  );
});

const tmp = mkdtempSync(join(tmpdir(), 'memlens-cgroup-usage-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
function tree(name: string, files: Record<string, string>): ProcFs {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(tmp, name, rel)), { recursive: true });
    writeFileSync(join(tmp, name, rel), text);
  }
  return createProcFs(join(tmp, name));
}

describe('readCgroupMemory on a tree', () => {
  const V2 = { version: 2 as const, mountDir: 'sys/fs/cgroup', mountRoot: '/' };
  const fs = tree('v2', {
    'sys/fs/cgroup/memory.stat': 'anon 10\n',
    'sys/fs/cgroup/a/memory.max': '1048576\n',
    'sys/fs/cgroup/a/memory.stat': 'anon 1\n',
    'sys/fs/cgroup/a/b/memory.max': 'max\n',
    'sys/fs/cgroup/a/b/memory.current': '4096\n',
    'sys/fs/cgroup/a/b/memory.stat': 'anon 4096\ninactive_file 0\n',
  });
  const cg = (path: string): MemoryCgroup => ({
    version: 2,
    path,
    dir: `sys/fs/cgroup${path === '/' ? '' : path}`,
    hierarchy: V2,
  });

  test("the effective limit is the parent's, and the files it lacks are listed with why", () => {
    const m = readCgroupMemory(fs, cg('/a/b'));
    assert.equal(m.ownLimitBytes, Infinity);
    assert.equal(m.limitBytes, 1048576);
    assert.equal(m.limitSetBy, '/a');
    assert.equal(m.workingSetBytes, 4096);
    assert.deepEqual(
      m.unreadable.map((u) => [u.path.slice(tmp.length), u.code]),
      ['memory.events', 'memory.events.local', 'memory.swap.current', 'memory.pressure'].map((f) => [
        `/v2/sys/fs/cgroup/a/b/${f}`,
        'E_UNSUPPORTED',
      ]),
    );
    assert.equal(m.swapBytes, null);
    assert.equal(m.psi, null);
  });

  test('the root cgroup has no memory.max: it sets no limit, and that is no unknown', () => {
    const m = readCgroupMemory(fs, cg('/'));
    assert.equal(m.ownLimitBytes, Infinity);
    assert.equal(m.limitBytes, Infinity);
    assert.equal(m.anonBytes, 10);
    assert.ok(!m.unreadable.some((u) => u.path.endsWith('memory.max')));
    assert.ok(m.unreadable.some((u) => u.path.endsWith('memory.current')));
    assert.equal(m.usageBytes, null);
  });

  test('a cgroup whose own memory.max is missing: limit unknown (null), not "none"', () => {
    const fs2 = tree('v2nomax', { 'sys/fs/cgroup/c/memory.stat': 'anon 1\n' });
    const m = readCgroupMemory(fs2, cg('/c'));
    assert.equal(m.ownLimitBytes, null);
    assert.equal(m.limitBytes, null);
    assert.equal(m.limitSetBy, null);
    assert.ok(m.unreadable.some((u) => u.path.endsWith('/c/memory.max')));
  });

  test('a cgroup that does not exist (removed since it was found) is E_UNSUPPORTED', () => {
    assert.throws(
      () => readCgroupMemory(fs, cg('/gone')),
      (err: unknown) =>
        err instanceof ProcReadError &&
        err.code === 'E_UNSUPPORTED' &&
        /^Memory cgroup "\/gone" does not exist: no folder ".*\/sys\/fs\/cgroup\/gone"$/.test(err.message),
    );
  });
});

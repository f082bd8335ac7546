// The memory findings (LazyFree, swap, deleted files, shared memory, libraries), explain() as a
// whole, and the size formatter the sentences use. Layout findings: findings-layout.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explain, type FindingsInput } from '../../src/analysis/findings.js';
import { formatBytes, formatPercent, plural } from '../../src/analysis/format.js';
import { categorizeRegions } from '../../src/analysis/regions.js';
import type { Region } from '../../src/procfs/smaps.js';
import { finding, findingsInput } from '../helpers/findings.js';
import {
  GiB,
  glibcThreadsLayout,
  KiB,
  library,
  MiB,
  makeRegion,
  nodeLikeLayout,
} from '../helpers/regions.js';

function input(regions: Region[], rest: Partial<FindingsInput> = {}): FindingsInput {
  return findingsInput(regions, rest, '/usr/bin/app');
}

describe('lazyfree-in-rss', () => {
  const id = 'lazyfree-in-rss';

  it('reports LazyFree from 4 MiB and 5% of RSS on', () => {
    const f = finding(id, input([], { lazyFreeBytes: 4 * MiB, rssBytes: 80 * MiB }));
    assert.equal(f?.summary.startsWith('4 MiB of RSS (5%) is LazyFree'), true, f?.summary);
    assert.deepEqual(f?.evidence, { lazyFreeBytes: 4 * MiB, rssBytes: 80 * MiB });
  });

  it('is not produced just under either bound', () => {
    assert.equal(finding(id, input([], { lazyFreeBytes: 4 * MiB - 4096, rssBytes: 40 * MiB })), undefined);
    assert.equal(finding(id, input([], { lazyFreeBytes: 4 * MiB, rssBytes: 80 * MiB + 4096 })), undefined);
  });

  it('is not produced when LazyFree or RSS is unknown', () => {
    assert.equal(finding(id, input([], { lazyFreeBytes: null, rssBytes: 80 * MiB })), undefined);
    assert.equal(finding(id, input([], { lazyFreeBytes: 40 * MiB, rssBytes: null })), undefined);
  });
});

describe('swap-in-use', () => {
  const id = 'swap-in-use';

  it('reports swap from 1 MiB on, with its share when RSS is known', () => {
    const f = finding(id, input([], { swapBytes: MiB, rssBytes: 99 * MiB }));
    assert.equal(f?.summary, '1 MiB of this process is in swap (1% of its resident and swapped memory).');
    assert.equal(f?.severity, 'notice');
    assert.equal(finding(id, input([], { swapBytes: MiB - 1, rssBytes: 99 * MiB })), undefined);
  });

  it('warns when half or more of the process is in swap', () => {
    assert.equal(finding(id, input([], { swapBytes: 50 * MiB, rssBytes: 50 * MiB }))?.severity, 'warning');
    assert.equal(
      finding(id, input([], { swapBytes: 50 * MiB, rssBytes: 50 * MiB + 4096 }))?.severity,
      'notice',
    );
  });

  it('still reports swap when RSS is unknown, without a share; not at all when swap is', () => {
    const f = finding(id, input([], { swapBytes: 2 * GiB }));
    assert.equal(f?.summary, '2 GiB of this process is in swap.');
    assert.equal(f?.severity, 'notice');
    assert.equal(finding(id, input([], { rssBytes: 10 * MiB })), undefined);
  });
});

describe('deleted-files-mapped', () => {
  const id = 'deleted-files-mapped';
  const at = (n: number) => 0x7f0000000000n + BigInt(n) * 0x100000n;

  it('lists each deleted library once and advises a restart', () => {
    const lib = library(at(1), '/usr/lib/libssl.so.3 (deleted)', 64 * KiB);
    const f = finding(id, input(lib));
    assert.equal(f?.summary, '1 deleted file is still mapped (64 KiB resident): /usr/lib/libssl.so.3.');
    assert.equal(f?.severity, 'notice');
    assert.match(f?.advice ?? '', /Restart/);
    assert.deepEqual(f?.evidence, {
      files: 1,
      sizeBytes: 1868 * KiB,
      rssBytes: 64 * KiB,
      paths: '/usr/lib/libssl.so.3 (deleted)',
    });
  });

  it('is informational for data files, and shortens a long list', () => {
    const files = [1, 2, 3, 4, 5].map((n) =>
      makeRegion({
        start: at(n),
        end: at(n) + 4096n,
        perms: 'r--p',
        path: `/var/log/app.${n} (deleted)`,
        rssBytes: 4096,
      }),
    );
    const f = finding(id, input(files));
    assert.equal(f?.severity, 'info');
    assert.match(
      f?.summary ?? '',
      /^5 deleted files are still mapped \(20 KiB resident\): .*app\.3 and 2 more\.$/,
    );
  });

  it('ignores memfd, SysV and shared anonymous mappings, which always read "(deleted)"', () => {
    const shm = [
      makeRegion({ start: at(1), end: at(2), perms: 'rw-s', path: '/memfd:buf (deleted)' }),
      makeRegion({ start: at(2), end: at(3), perms: 'rw-s', path: '/SYSV00000000 (deleted)' }),
      makeRegion({ start: at(3), end: at(4), perms: 'rw-s', path: '/dev/zero (deleted)' }),
    ];
    assert.equal(finding(id, input(shm)), undefined);
  });
});

describe('large-shared-memory', () => {
  const id = 'large-shared-memory';
  const shm = (rss: number) =>
    input([
      makeRegion({
        end: 0x7f0000000000n + BigInt(GiB),
        perms: 'rw-s',
        path: '/dev/shm/ring',
        rssBytes: rss,
        pssBytes: rss / 2,
      }),
    ]);

  it('reports 64 MiB of resident shared memory, not 4 KiB less', () => {
    const f = finding(id, shm(64 * MiB));
    assert.equal(
      f?.summary,
      '64 MiB of RSS is shared memory (tmpfs, /dev/shm, memfd or SysV) in 1 region, 32 MiB of it counted in PSS.',
    );
    assert.equal(f?.evidence.largestPath, '/dev/shm/ring');
    assert.equal(finding(id, shm(64 * MiB - 4096)), undefined);
  });
});

describe('shared-libraries-rss-vs-pss', () => {
  const id = 'shared-libraries-rss-vs-pss';
  const libs = (rss: number, pss: number) => library(0x7f0000000000n, '/usr/lib/libbig.so.1', rss, pss);

  it('reports libraries that are much of RSS but little of PSS', () => {
    const f = finding(
      id,
      input(libs(8 * MiB, 2 * MiB), { rssBytes: 20 * MiB, pssBytes: 10 * MiB, ussBytes: 6 * MiB }),
    );
    assert.equal(
      f?.summary,
      "Shared libraries are 8 MiB of RSS (40%) but only 2 MiB of PSS: other processes share them, so RSS overstates this process's memory.",
    );
    assert.match(f?.detail ?? '', /USS \(memory no other process shares\) is 6 MiB/);
  });

  it('has a boundary at 20% of RSS, at half their RSS in PSS, and at 4 MiB', () => {
    const at = (rss: number, pss: number, total: number) =>
      finding(id, input(libs(rss, pss), { rssBytes: total, pssBytes: total / 2 }));
    assert.ok(at(8 * MiB, 4 * MiB, 40 * MiB));
    assert.equal(at(8 * MiB, 4 * MiB, 40 * MiB + 4096), undefined);
    assert.equal(at(8 * MiB, 4 * MiB + 4096, 40 * MiB), undefined);
    assert.ok(at(4 * MiB, MiB, 8 * MiB));
    assert.equal(at(4 * MiB - 4096, MiB, 8 * MiB), undefined);
  });

  it('is not produced when RSS or PSS is unknown', () => {
    assert.equal(finding(id, input(libs(8 * MiB, MiB), { rssBytes: 20 * MiB })), undefined);
    assert.equal(finding(id, input(libs(8 * MiB, MiB), { pssBytes: 10 * MiB })), undefined);
  });
});

describe('explain', () => {
  it('produces nothing from nothing', () => {
    assert.deepEqual(explain(findingsInput([])), []);
  });

  it('explains a node process, most severe first, with kebab-case ids', () => {
    const x = {
      ...input(nodeLikeLayout()),
      vszBytes: 12 * GiB,
      rssBytes: 51 * MiB,
      swapBytes: 30 * MiB,
      threads: 8,
    };
    x.regions = categorizeRegions(nodeLikeLayout(), { exePath: '/usr/bin/node' });
    const found = explain(x);
    assert.deepEqual(
      found.map((f) => f.id),
      [
        'swap-in-use',
        'virt-mostly-untouched',
        'glibc-malloc-arenas',
        'v8-code-range',
        'wasm-guard-regions',
        'thread-stacks',
      ],
    );
    for (const f of found) {
      assert.match(f.id, /^[a-z0-9]+(-[a-z0-9]+)*$/);
      assert.ok(f.summary.endsWith('.') && f.detail.length > f.summary.length / 2, f.id);
    }
  });

  it('finds the arenas and stacks of a C program and nothing else', () => {
    const x = input(glibcThreadsLayout(), {
      vszBytes: 500 * MiB,
      rssBytes: 4 * MiB,
      pssBytes: 3 * MiB,
      swapBytes: 0,
      threads: 7,
    });
    assert.deepEqual(
      explain(x).map((f) => f.id),
      ['glibc-malloc-arenas', 'thread-stacks'],
    );
  });
});

describe('formatBytes and friends', () => {
  it('writes IEC units with one decimal below 10 and none from 10 on', () => {
    const cases: [number, string][] = [
      [0, '0 B'],
      [1023, '1023 B'],
      [1024, '1 KiB'],
      [1536, '1.5 KiB'],
      [52 * MiB + 300 * KiB, '52 MiB'],
      [1.2 * GiB, '1.2 GiB'],
      [1023.7 * KiB, '1 MiB'],
      [9.96 * MiB, '10 MiB'],
      [2 ** 40, '1 TiB'],
      [-3 * MiB, '-3 MiB'],
    ];
    for (const [bytes, text] of cases) assert.equal(formatBytes(bytes), text, String(bytes));
  });

  it('never rounds a share to 0% or 100% when it is neither', () => {
    assert.deepEqual(
      [
        formatPercent(1, 1000),
        formatPercent(999, 1000),
        formatPercent(1, 4),
        formatPercent(0, 5),
        formatPercent(1, 0),
      ],
      ['<1%', '>99%', '25%', '0%', '-'],
    );
    assert.deepEqual(
      [plural(1, 'region'), plural(2, 'region'), plural(0, 'memory', 'memories')],
      ['1 region', '2 regions', '0 memories'],
    );
  });
});

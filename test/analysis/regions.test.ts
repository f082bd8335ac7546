import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CATEGORIES, type Category, categorizeRegions, threadStacks } from '../../src/analysis/regions.js';
import type { Region } from '../../src/procfs/smaps.js';
import {
  arenaHeap,
  glibcThreadsLayout,
  KiB,
  MiB,
  makeRegion,
  nodeLikeLayout,
  pthreadStack,
  run,
} from '../helpers/regions.js';

const EXE = '/usr/bin/app';

function categoryOf(partial: Partial<Region>, exePath: string | null = EXE): Category {
  const [r] = categorizeRegions([makeRegion(partial)], { exePath });
  return (r as { category: Category }).category;
}

function categories(regions: Region[], exePath: string | null = EXE): Category[] {
  return categorizeRegions(regions, { exePath }).map((r) => r.category);
}

describe('CATEGORIES', () => {
  it('lists the nine categories once each, in display order, with their labels', () => {
    assert.deepEqual(
      CATEGORIES.map((c) => `${c.category}: ${c.label}`),
      [
        'code: program code',
        'libraries: shared libraries',
        'heap: heap',
        'anonymous: anonymous memory',
        'stacks: thread stacks',
        'shared-memory: shared memory',
        'file: other file mappings',
        'reserved: reserved (inaccessible)',
        'kernel: kernel-provided',
      ],
    );
  });
});

describe('categorizeRegions: one rule at a time', () => {
  const cases: [string, Partial<Region>, Category][] = [
    ['[vdso]', { path: '[vdso]', perms: 'r-xp' }, 'kernel'],
    ['[vvar]', { path: '[vvar]', perms: 'r--p' }, 'kernel'],
    ['[vvar_vclock]', { path: '[vvar_vclock]', perms: 'r--p' }, 'kernel'],
    ['[vsyscall]', { path: '[vsyscall]', perms: '--xp' }, 'kernel'],
    ['[uprobes]', { path: '[uprobes]', perms: 'r-xp' }, 'kernel'],
    ['an io_uring ring', { path: 'anon_inode:[io_uring]', perms: 'rw-s' }, 'kernel'],
    ['[heap]', { path: '[heap]' }, 'heap'],
    ['[stack]', { path: '[stack]', vmFlags: ['rd', 'wr', 'gd'] }, 'stacks'],
    ['[stack:TID] of old kernels', { path: '[stack:4242]' }, 'stacks'],
    ["glibc 2.40's label", { path: '[anon: glibc: pthread stack: 4242]' }, 'stacks'],
    ['a MAP_GROWSDOWN mapping (gd)', { vmFlags: ['rd', 'wr', 'gd'] }, 'stacks'],
    ['a shadow stack (ss)', { perms: 'r--p', vmFlags: ['rd', 'ss'] }, 'stacks'],
    ['an anonymous ---p reservation', { perms: '---p', end: 0x7f0000000000n + BigInt(64 * MiB) }, 'reserved'],
    ['the ---p gap of a library', { perms: '---p', path: '/usr/lib/libfoo.so.1' }, 'reserved'],
    ['a ---s shared mapping', { perms: '---s', path: '/dev/shm/x' }, 'reserved'],
    ['POSIX shm', { perms: 'rw-s', path: '/dev/shm/ring' }, 'shared-memory'],
    ['a memfd', { perms: 'rw-s', path: '/memfd:buffer (deleted)' }, 'shared-memory'],
    ['a private memfd mapping', { perms: 'r--p', path: '/memfd:jit (deleted)' }, 'shared-memory'],
    ['a SysV segment', { perms: 'rw-s', path: '/SYSV00000000 (deleted)' }, 'shared-memory'],
    ['shared anonymous as /dev/zero', { perms: 'rw-s', path: '/dev/zero (deleted)' }, 'shared-memory'],
    ['shared anonymous, no path', { perms: 'rw-s', path: '' }, 'shared-memory'],
    ['named shared anonymous', { perms: 'rw-s', path: '[anon_shmem:pool]' }, 'shared-memory'],
    ['a file under /run', { perms: 'r--s', path: '/run/user/1000/dconf/user' }, 'shared-memory'],
    ['hugetlbfs', { perms: 'rw-s', path: '/dev/hugepages/buf' }, 'shared-memory'],
    ['private anonymous', {}, 'anonymous'],
    ['a PR_SET_VMA_ANON_NAME label', { path: '[anon:v8 heap]' }, 'anonymous'],
    ['an unknown [name]', { path: '[something-new]' }, 'anonymous'],
    ['the executable', { perms: 'r-xp', path: EXE }, 'code'],
    ['the executable, deleted', { perms: 'r-xp', path: `${EXE} (deleted)` }, 'code'],
    ['libc.so.6', { perms: 'r-xp', path: '/usr/lib/x86_64-linux-gnu/libc.so.6' }, 'libraries'],
    ['libfoo.so', { perms: 'r-xp', path: '/opt/app/lib/libfoo.so' }, 'libraries'],
    ['libstdc++.so.6.0.30', { perms: 'r--p', path: '/usr/lib/libstdc++.so.6.0.30' }, 'libraries'],
    ['ld-linux', { perms: 'r-xp', path: '/usr/lib64/ld-linux-x86-64.so.2' }, 'libraries'],
    [
      'a Python extension',
      { perms: 'r-xp', path: '/venv/_foo.cpython-311-x86_64-linux-gnu.so' },
      'libraries',
    ],
    ['a Node addon', { perms: 'r-xp', path: '/app/node_modules/x/build/Release/x.node' }, 'libraries'],
    ['a deleted library', { perms: 'r-xp', path: '/usr/lib/libssl.so.3 (deleted)' }, 'libraries'],
    ['a library under /run', { perms: 'r-xp', path: '/run/app/libplugin.so' }, 'libraries'],
    ['locale data', { perms: 'r--p', path: '/usr/lib/locale/C.utf8/LC_CTYPE' }, 'file'],
    ['a backup named .so.bak', { perms: 'r--p', path: '/data/libfoo.so.bak' }, 'file'],
    ['a file under /tmp (maybe tmpfs, maybe not)', { perms: 'rw-s', path: '/tmp/cache.bin' }, 'file'],
    ['a path with spaces', { perms: 'r--p', path: '/data/my file.db' }, 'file'],
  ];
  for (const [name, partial, expected] of cases) {
    it(`${name} -> ${expected}`, () => assert.equal(categoryOf(partial), expected));
  }

  it('without /proc/PID/exe, takes the lowest file mapping (not a memfd) for the program', () => {
    const regions = [
      makeRegion({ start: 0x10000n, end: 0x11000n, perms: 'r--s', path: '/memfd:early (deleted)' }),
      makeRegion({ start: 0x400000n, end: 0x401000n, perms: 'r-xp', path: '/srv/bin/server (deleted)' }),
      makeRegion({ start: 0x7f0000000000n, end: 0x7f0000001000n, perms: 'r--p', path: '/srv/data.idx' }),
    ];
    assert.deepEqual(categories(regions, null), ['shared-memory', 'code', 'file']);
  });

  it('matches the executable by path, not by being first', () => {
    const regions = [
      makeRegion({ start: 0x400000n, end: 0x401000n, perms: 'r-xp', path: '/srv/bin/server' }),
      makeRegion({ start: 0x500000n, end: 0x501000n, perms: 'r-xp', path: '/srv/bin/other' }),
    ];
    assert.deepEqual(categories(regions, '/srv/bin/other (deleted)'), ['file', 'code']);
  });

  it('keeps the input order and tags the regions themselves (no copies)', () => {
    const regions = [
      makeRegion({ start: 0x2000n, end: 0x3000n, path: '[heap]' }),
      makeRegion({ start: 0x1000n, end: 0x2000n }),
    ];
    const out = categorizeRegions(regions, { exePath: null });
    assert.deepEqual(
      out.map((r) => [r.start, r.category]),
      [
        [0x2000n, 'heap'],
        [0x1000n, 'anonymous'],
      ],
    );
    // Copying 50,000 forty-field regions cost more than parsing them: the same objects come back.
    assert.equal(out[0], regions[0]);
  });
});

describe('categorizeRegions: thread stacks found by shape', () => {
  const base = 0x7f1000000000n;

  it('takes a one-page ---p guard and the rw-p above it as a stack', () => {
    assert.deepEqual(categories(pthreadStack(base)), ['stacks', 'stacks']);
  });

  it('takes a guard of 16 pages (64 KiB) but not of 17', () => {
    const parts = (guard: number) => run(base, [{ size: guard, perms: '---p' }, { size: MiB }]);
    assert.deepEqual(categories(parts(64 * KiB)), ['stacks', 'stacks']);
    assert.deepEqual(categories(parts(68 * KiB)), ['reserved', 'anonymous']);
  });

  it('counts the bound in pages of the region: 256 KiB is a guard with 64 KiB pages', () => {
    const regions = run(base, [
      { size: 256 * KiB, perms: '---p', kernelPageSizeBytes: 64 * KiB },
      { size: MiB, kernelPageSizeBytes: 64 * KiB },
    ]);
    assert.deepEqual(categories(regions), ['stacks', 'stacks']);
  });

  it('does not take reservations flagged nr or dc, nor non-adjacent or non-rw-p neighbours', () => {
    const noreserve = run(base, [{ size: 4 * KiB, perms: '---p', vmFlags: ['nr'] }, { size: MiB }]);
    const dontfork = run(base, [
      { size: 4 * KiB, perms: '---p' },
      { size: MiB, vmFlags: ['rd', 'wr', 'dc'] },
    ]);
    const gap = [
      makeRegion({ start: base, end: base + 4096n, perms: '---p' }),
      makeRegion({ start: base + 8192n, end: base + 0x100000n }),
    ];
    const jit = run(base, [
      { size: 4 * KiB, perms: '---p' },
      { size: MiB, perms: 'rwxp' },
    ]);
    const file = run(base, [
      { size: 4 * KiB, perms: '---p' },
      { size: MiB, path: '/data/x' },
    ]);
    assert.deepEqual(categories(noreserve), ['reserved', 'anonymous']);
    assert.deepEqual(categories(dontfork), ['reserved', 'anonymous']);
    assert.deepEqual(categories(gap), ['reserved', 'anonymous']);
    assert.deepEqual(categories(jit), ['reserved', 'anonymous']);
    assert.deepEqual(categories(file), ['reserved', 'file']);
  });

  it('does not take the ---p tail of a malloc arena for a guard, even without VmFlags', () => {
    const heap = arenaHeap(0x7f2000000000n, 64 * MiB - 16 * KiB).map((r) => ({ ...r, vmFlags: [] }));
    const after = makeRegion({ start: 0x7f2004000000n, end: 0x7f2004800000n });
    assert.deepEqual(categories([...heap, after]), ['anonymous', 'reserved', 'anonymous']);
  });
});

describe('categorizeRegions: whole address spaces', () => {
  it('sorts a node process into its categories', () => {
    const regions = categorizeRegions(nodeLikeLayout(), { exePath: '/usr/bin/node' });
    const count = (c: Category) => regions.filter((r) => r.category === c).length;
    assert.deepEqual(
      CATEGORIES.map((c) => [c.category, count(c.category)]),
      [
        ['code', 5], // 3 of the executable, 2 remapped builtins in the code ranges
        ['libraries', 12],
        ['heap', 1],
        ['anonymous', 12], // bss, a V8 page, 4 arena parts, 2x2 in code ranges, wasm memory, a V8 block
        ['stacks', 15], // 7 guards, 7 thread stacks, [stack]
        ['shared-memory', 0],
        ['file', 0],
        ['reserved', 13], // 4 arena tails, 2x3 in code ranges, 2 wasm guards, a V8 reservation
        ['kernel', 4],
      ],
    );
  });

  it('finds the six pthread stacks of a C program and its main stack', () => {
    const regions = categorizeRegions(glibcThreadsLayout(), { exePath: '/tmp/t' });
    assert.deepEqual(threadStacks(regions), {
      count: 7,
      sizeBytes: 6 * (8 * MiB + 4 * KiB) + 132 * KiB,
      rssBytes: 6 * 8 * KiB + 12 * KiB,
      swapBytes: 0,
      guards: 6,
      guardBytes: 6 * 4 * KiB,
    });
    assert.equal(regions.filter((r) => r.category === 'reserved').length, 6, 'the arena tails');
  });

  it('does not count shadow stacks as threads', () => {
    const regions = categorizeRegions(
      [
        makeRegion({ path: '[stack]', vmFlags: ['gd'] }),
        makeRegion({ start: 0x1000n, end: 0x2000n, perms: 'r--p', vmFlags: ['ss'] }),
      ],
      { exePath: null },
    );
    assert.equal(threadStacks(regions).count, 1);
    assert.equal(threadStacks(regions).sizeBytes, 8192);
  });
});

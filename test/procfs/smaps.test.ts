// /proc/PID/smaps: blocks of "Key: value [unit]" after each mapping's header.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyFigures, parseSmaps, type Region, readSmaps } from '../../src/procfs/smaps.js';
import { tableTests } from './_assert.js';
import { corpusFs, corpusText } from './_corpora.js';

const KiB = 1024;
const PATH = '/proc/42/smaps';
const HEADER = '7f3a1c000000-7f3a1c021000 rw-p 00000000 00:00 0';

test('psutil smaps_mocked: every key has its own value, so a mix-up shows', () => {
  const smaps = parseSmaps(corpusText('external/psutil/smaps_mocked'), 'smaps_mocked');
  const expected: Region = {
    start: 0xfffff0n,
    end: 0xfffff0n,
    perms: 'r-xp',
    offset: 0n,
    device: '00:00',
    inode: 0,
    path: '[vsyscall]',
    deleted: false,
    ...emptyFigures(),
    sizeBytes: 1 * KiB,
    rssBytes: 2 * KiB,
    pssBytes: 3 * KiB,
    sharedCleanBytes: 4 * KiB,
    sharedDirtyBytes: 5 * KiB,
    privateCleanBytes: 6 * KiB,
    privateDirtyBytes: 7 * KiB,
    referencedBytes: 8 * KiB,
    anonymousBytes: 9 * KiB,
    lazyFreeBytes: 10 * KiB,
    anonHugePagesBytes: 11 * KiB,
    shmemPmdMappedBytes: 12 * KiB,
    sharedHugetlbBytes: 13 * KiB,
    privateHugetlbBytes: 14 * KiB,
    swapBytes: 15 * KiB,
    swapPssBytes: 16 * KiB,
    kernelPageSizeBytes: 17 * KiB,
    mmuPageSizeBytes: 18 * KiB,
    lockedBytes: 19 * KiB,
    thpEligible: null,
    protectionKey: null,
    vmFlags: ['rd', 'ex'],
  };
  assert.deepEqual(smaps.regions, [expected]);
});

test('26231 (procfs): 12 regions, and the keys this kernel printed', () => {
  const smaps = readSmaps(corpusFs('procfs'), 26231);
  assert.equal(smaps.regions.length, 12);
  assert.ok(smaps.keys.has('SwapPss'));
  assert.ok(!smaps.keys.has('Pss_Dirty'), 'a key no block printed is absent, so it can be unknown');
});

test('the kernel documentation example: a blank line after the header, page sizes twice, unit-less keys', () => {
  const text = [
    '08048000-080bc000 r-xp 00000000 03:02 13130      /bin/bash',
    '',
    'Size:               1084 kB',
    'KernelPageSize:        4 kB',
    'MMUPageSize:           4 kB',
    'Rss:                 892 kB',
    'Pss:                 374 kB',
    'Pss_Dirty:             0 kB',
    'Shared_Clean:        892 kB',
    'Shared_Dirty:          0 kB',
    'Private_Clean:         0 kB',
    'Private_Dirty:         0 kB',
    'Referenced:          892 kB',
    'Anonymous:             0 kB',
    'KSM:                   0 kB',
    'LazyFree:              0 kB',
    'AnonHugePages:         0 kB',
    'ShmemPmdMapped:        0 kB',
    'Shared_Hugetlb:        0 kB',
    'Private_Hugetlb:       0 kB',
    'Swap:                  0 kB',
    'SwapPss:               0 kB',
    'KernelPageSize:        4 kB',
    'MMUPageSize:           4 kB',
    'Locked:                0 kB',
    'THPeligible:           0',
    'ProtectionKey:         0',
    'VmFlags: rd ex mr mw me dw',
    '',
  ].join('\n');
  const [r] = parseSmaps(text, PATH).regions;
  assert.ok(r);
  assert.equal(r.path, '/bin/bash');
  assert.equal(r.sizeBytes, 1084 * KiB);
  assert.equal(r.kernelPageSizeBytes, 4 * KiB);
  assert.equal(r.mmuPageSizeBytes, 4 * KiB);
  assert.equal(r.rssBytes, 892 * KiB);
  assert.equal(r.pssBytes, 374 * KiB);
  assert.equal(r.thpEligible, false);
  assert.equal(r.protectionKey, 0);
  assert.deepEqual(r.vmFlags, ['rd', 'ex', 'mr', 'mw', 'me', 'dw']);
});

const block = (...lines: string[]) => `${HEADER}\n${lines.join('\n')}\n`;
tableTests(
  'figure lines',
  PATH,
  (text) => {
    const [r] = parseSmaps(text, PATH).regions;
    return r ? [r.rssBytes, r.thpEligible, r.protectionKey, r.vmFlags] : 'no region';
  },
  [
    ['kB', block('Rss: 12 kB'), [12 * KiB, null, null, []]],
    ['lower-case kb', block('Rss: 12 kb'), [12 * KiB, null, null, []]],
    ['tab after the colon', block('Rss:\t12 kB'), [12 * KiB, null, null, []]],
    ['a bare number', block('Rss: 12'), [12, null, null, []]],
    ['THPeligible 1', block('THPeligible:    1'), [0, true, null, []]],
    ['ProtectionKey', block('ProtectionKey:         3'), [0, null, 3, []]],
    ['VmFlags empty', block('VmFlags:'), [0, null, null, []]],
    ['VmFlags with a trailing space', block('VmFlags: rd wr '), [0, null, null, ['rd', 'wr']]],
    [
      'a newer key is ignored',
      block('Rss: 12 kB', 'FutureKey:   whatever 7 units'),
      [12 * KiB, null, null, []],
    ],
    [
      'a key named like Object.prototype members is ignored',
      block('constructor: x', '__proto__: y', 'toString: z'),
      [0, null, null, []],
    ],
    ['Rss not a number', block('Rss: abc kB'), 'error'],
    ['Rss empty', block('Rss:'), 'error'],
    ['Rss with an unknown unit', block('Rss: 12 MB'), 'error'],
    ['Rss negative', block('Rss: -12 kB'), 'error'],
    ['Rss beyond 2^53 once in bytes', block('Rss: 9007199254740991 kB'), 'error'],
    ['Rss beyond 2^53', block('Rss: 123456789012345678901 kB'), 'error'],
    ['ProtectionKey not a number', block('ProtectionKey: x'), 'error'],
    ['a figure before any header', 'Rss: 12 kB\n', 'error'],
    ['a broken header', 'zzzz-1000 rw-p 00000000 00:00 0\nRss: 4 kB\n', 'error'],
    ['a key and value without a space', block('Rss:12kB'), 'error'],
  ],
);

test('a missing key reads as 0 in that block (gopsutil proc1)', () => {
  const smaps = parseSmaps(corpusText('external/gopsutil/proc1/smaps'), 'smaps');
  assert.equal(smaps.regions[0]?.pssBytes, 0);
  assert.equal(smaps.regions[1]?.privateCleanBytes, 0);
  assert.equal(smaps.regions[1]?.pssBytes, 2 * KiB);
});

test('an empty file has no regions (a kernel thread)', () => {
  assert.deepEqual(parseSmaps('', PATH), { regions: [], keys: new Set() });
});

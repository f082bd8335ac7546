// /proc/PID/smaps_rollup, and its fallback: summing smaps.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ProcReadError } from '../../src/procfs/errors.js';
import { createProcFs } from '../../src/procfs/fs.js';
import { readSmaps } from '../../src/procfs/smaps.js';
import {
  parseSmapsRollup,
  readSmapsRollup,
  rollupFromSmaps,
  type SmapsRollup,
  swapBytes,
  ussBytes,
} from '../../src/procfs/smaps_rollup.js';
import { tableTests } from './_assert.js';
import { CORPORA, corpusFs } from './_corpora.js';

const KiB = 1024;
const PATH = '/proc/42/smaps_rollup';
const HEADER = '56286af4e000-7ffd408b3000 ---p 00000000 00:00 0                          [rollup]';

test('26231 (procfs): the whole object; keys this kernel lacks are null', () => {
  const expected: SmapsRollup = {
    rssBytes: 29948 * KiB,
    pssBytes: 29944 * KiB,
    pssAnonBytes: null,
    pssFileBytes: null,
    pssShmemBytes: null,
    pssDirtyBytes: null,
    sharedCleanBytes: 4 * KiB,
    sharedDirtyBytes: 0,
    privateCleanBytes: 15548 * KiB,
    privateDirtyBytes: 14396 * KiB,
    referencedBytes: 24752 * KiB,
    anonymousBytes: 20756 * KiB,
    lazyFreeBytes: 5848 * KiB,
    anonHugePagesBytes: 0,
    sharedHugetlbBytes: 0,
    privateHugetlbBytes: 0,
    swapBytes: 1940 * KiB,
    swapPssBytes: 1940 * KiB,
    lockedBytes: 0,
  };
  assert.deepEqual(readSmapsRollup(corpusFs('procfs'), 26231), expected);
});

test('26231: summing smaps gives smaps_rollup exactly', () => {
  const fs = corpusFs('procfs');
  assert.deepEqual(rollupFromSmaps(readSmaps(fs, 26231)), readSmapsRollup(fs, 26231));
});

const rollup = (...lines: string[]) => `${HEADER}\n${lines.join('\n')}\n`;
const BASE = [
  'Rss: 8 kB',
  'Pss: 6 kB',
  'Shared_Clean: 1 kB',
  'Shared_Dirty: 1 kB',
  'Private_Clean: 2 kB',
  'Private_Dirty: 4 kB',
];
tableTests(
  'files',
  PATH,
  (text) => {
    const r = parseSmapsRollup(text, PATH);
    return [r.rssBytes, r.pssBytes, r.pssAnonBytes, r.pssDirtyBytes, ussBytes(r)];
  },
  [
    ['a 4.14 kernel', rollup(...BASE), [8 * KiB, 6 * KiB, null, null, 6 * KiB]],
    [
      '5.3+: Pss_Anon/File/Shmem',
      rollup(...BASE, 'Pss_Anon: 3 kB', 'Pss_File: 2 kB', 'Pss_Shmem: 1 kB'),
      [8 * KiB, 6 * KiB, 3 * KiB, null, 6 * KiB],
    ],
    ['6.0+: Pss_Dirty', rollup(...BASE, 'Pss_Dirty: 5 kB'), [8 * KiB, 6 * KiB, null, 5 * KiB, 6 * KiB]],
    ['a kernel thread: empty', '', [0, 0, null, null, 0]],
    ['Rss missing', rollup(...BASE.slice(1)), 'error'],
    ['Private_Dirty missing', rollup(...BASE.slice(0, 5)), 'error'],
    ['two blocks', rollup(...BASE) + rollup(...BASE), 'error'],
    ['Pss not a number', rollup(...BASE, 'Pss: many'), 'error'],
  ],
);

test('USS counts Private_Hugetlb; swap is SwapPss where the kernel has it, never both', () => {
  const r = parseSmapsRollup(
    rollup(...BASE, 'Private_Hugetlb: 2048 kB', 'Swap: 10 kB', 'SwapPss: 4 kB'),
    PATH,
  );
  assert.equal(ussBytes(r), (2 + 4 + 2048) * KiB);
  assert.equal(swapBytes(r), 4 * KiB);
  const old = parseSmapsRollup(rollup(...BASE, 'Swap: 10 kB'), PATH);
  assert.equal(swapBytes(old), 10 * KiB);
});

const tmp = mkdtempSync(join(tmpdir(), 'memlens-rollup-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('before 4.14 (no smaps_rollup), the reader sums smaps', () => {
  mkdirSync(join(tmp, 'proc/26231'), { recursive: true });
  copyFileSync(join(CORPORA, 'procfs/proc/26231/smaps'), join(tmp, 'proc/26231/smaps'));
  const fs = createProcFs(tmp);
  assert.deepEqual(readSmapsRollup(fs, 26231), readSmapsRollup(corpusFs('procfs'), 26231));
});

test('neither file: the process is gone (E_NO_PROCESS)', () => {
  assert.throws(
    () => readSmapsRollup(createProcFs(tmp), 31337),
    (err: unknown) => err instanceof ProcReadError && err.code === 'E_NO_PROCESS',
  );
});

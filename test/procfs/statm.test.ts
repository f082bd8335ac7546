// /proc/PID/statm: seven page counts, kept exact as bigint.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseStatm, readStatm, type Statm, statmBytes } from '../../src/procfs/statm.js';
import { tableTests } from './_assert.js';
import { corpusFs } from './_corpora.js';

const PATH = '/proc/42/statm';
const U64_MAX = 2n ** 64n - 1n;

test('26231 (procfs): the whole object, shared = 2^64-1 exactly', () => {
  const expected: Statm = {
    sizePages: 149919n,
    residentPages: 12547n,
    sharedPages: U64_MAX,
    textPages: 19864n,
    libPages: 0n,
    dataPages: 14531n,
    dirtyPages: 0n,
  };
  assert.deepEqual(readStatm(corpusFs('procfs'), 26231), expected);
});

test('statmBytes: pages times the page size; 2^64-1 pages is unknown (null), not a huge number', () => {
  const bytes = statmBytes(readStatm(corpusFs('procfs'), 26231), 4096);
  assert.deepEqual(bytes, {
    sizeBytes: 149919 * 4096,
    residentBytes: 12547 * 4096,
    sharedBytes: null,
    textBytes: 19864 * 4096,
    dataBytes: 14531 * 4096,
  });
});

const row = (...n: bigint[]): Statm => {
  const [sizePages, residentPages, sharedPages, textPages, libPages, dataPages, dirtyPages] = n as [
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
  ];
  return { sizePages, residentPages, sharedPages, textPages, libPages, dataPages, dirtyPages };
};

tableTests('lines', PATH, (text) => parseStatm(text, PATH), [
  ['the kernel format', '1 2 3 4 0 6 0\n', row(1n, 2n, 3n, 4n, 0n, 6n, 0n)],
  ['no final newline', '1 2 3 4 0 6 0', row(1n, 2n, 3n, 4n, 0n, 6n, 0n)],
  ['extra spacing', '  1  2 3 4 0 6 0  \n', row(1n, 2n, 3n, 4n, 0n, 6n, 0n)],
  ['2^64-1 anywhere', `${U64_MAX} 2 3 4 0 6 0`, row(U64_MAX, 2n, 3n, 4n, 0n, 6n, 0n)],
  ['six fields', '1 2 3 4 0 6\n', 'error'],
  ['eight fields', '1 2 3 4 0 6 0 8\n', 'error'],
  ['negative', '1 -2 3 4 0 6 0\n', 'error'],
  ['not a number', '1 2 x 4 0 6 0\n', 'error'],
  ['empty', '', 'error'],
]);

// /proc/meminfo: every key kept, a missing key unknown (null), never 0.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Meminfo, parseMeminfo, readMeminfo } from '../../src/procfs/meminfo.js';
import { tableTests } from './_assert.js';
import { corpusFs, corpusText } from './_corpora.js';

const KiB = 1024;
const PATH = '/proc/meminfo';

test('gopsutil anonhugepages: the whole object (four lines, no final newline)', () => {
  const expected: Meminfo = {
    values: new Map([
      ['MemTotal', 260799420 * KiB],
      ['MemFree', 119443248 * KiB],
      ['MemAvailable', 127880216 * KiB],
      ['AnonHugePages', 50409472 * KiB],
    ]),
    memTotalBytes: 260799420 * KiB,
    memFreeBytes: 119443248 * KiB,
    memAvailableBytes: 127880216 * KiB,
    buffersBytes: null,
    cachedBytes: null,
    swapTotalBytes: null,
    swapFreeBytes: null,
    shmemBytes: null,
    commitLimitBytes: null,
    committedAsBytes: null,
  };
  const rel = 'external/gopsutil/meminfo-anonhugepages/meminfo';
  assert.ok(!corpusText(rel).endsWith('\n'));
  assert.deepEqual(parseMeminfo(corpusText(rel), rel), expected);
});

test('procfs: no MemAvailable line (old kernel): null, not 0', () => {
  const m = readMeminfo(corpusFs('procfs'));
  assert.equal(m.memAvailableBytes, null);
  assert.equal(m.values.has('MemAvailable'), false);
  assert.equal(m.memTotalBytes, 15666184 * KiB);
  assert.equal(m.values.get('HugePages_Total'), 0, 'a unit-less key is a count');
  assert.equal(m.values.get('Hugepagesize'), 2048 * KiB);
});

const file = (...lines: string[]) => `MemTotal: 1000 kB\n${lines.join('\n')}\n`;
tableTests(
  'lines',
  PATH,
  (text) => {
    const m = parseMeminfo(text, PATH);
    return [m.memTotalBytes, m.memAvailableBytes, m.values.get('X') ?? null];
  },
  [
    ['MemAvailable present', file('MemAvailable: 500 kB'), [1000 * KiB, 500 * KiB, null]],
    ['MemAvailable absent', file(), [1000 * KiB, null, null]],
    ['an unknown key with kB is kept', file('X:    7 kB'), [1000 * KiB, null, 7 * KiB]],
    ['an unknown unit-less key is a count', file('X:    7'), [1000 * KiB, null, 7]],
    ['an unknown key with an odd value is skipped', file('X: 1 2 3'), [1000 * KiB, null, null]],
    [
      'the 2.4-era table of old 32-bit kernels is skipped (gopsutil issue1002)',
      '        total:    used:    free:  shared: buffers:  cached:\nMem:  260579328 136073216 124506112        0  4915200 94064640\nSwap:        0        0        0\nMemTotal: 254472 kB\n',
      [254472 * KiB, null, null],
    ],
    ['no MemTotal', 'MemFree: 1 kB\n', 'error'],
    ['MemTotal not a number', 'MemTotal: lots kB\n', 'error'],
    ['MemAvailable not a number', file('MemAvailable: x kB'), 'error'],
    ['MemFree with an unknown unit', file('MemFree: 3 parsecs'), 'error'],
    ['MemTotal beyond 2^53 once in bytes', 'MemTotal: 9007199254740991 kB\n', 'error'],
    ['a line without a colon', file('garbage'), 'error'],
    ['empty', '', 'error'],
  ],
);

test('32-bit meminfo (gopsutil issue1002): HighTotal/LowTotal kept, the legacy table skipped', () => {
  const rel = 'external/gopsutil/meminfo-issue1002/meminfo';
  const m = parseMeminfo(corpusText(rel), rel);
  assert.equal(m.values.get('HighTotal'), 131072 * KiB);
  assert.equal(m.values.get('LowTotal'), 123400 * KiB);
  assert.equal(m.memAvailableBytes, 210156 * KiB);
  for (const legacy of ['total', 'Mem', 'Swap']) assert.equal(m.values.has(legacy), false, legacy);
});

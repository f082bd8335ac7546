// /proc/PID/stat: one line; the name ends at the LAST ')'.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseStat, readStat, type Stat } from '../../src/procfs/stat.js';
import { tableTests } from './_assert.js';
import { corpusFs } from './_corpora.js';

const PATH = '/proc/42/stat';
const U64_MAX = 2n ** 64n - 1n;

test('26231 (procfs): the whole object', () => {
  const expected: Stat = {
    pid: 26231,
    comm: 'vim',
    state: 'R',
    ppid: 5392,
    flags: 4218880,
    minorFaults: 32533,
    childMinorFaults: 309516,
    majorFaults: 26,
    childMajorFaults: 82,
    utimeTicks: 1677,
    stimeTicks: 44,
    cutimeTicks: 158n,
    cstimeTicks: 99n,
    priority: 20,
    nice: 0,
    threads: 1,
    startTimeTicks: 82375,
    vsizeBytes: 56274944,
    rssPages: 1981,
    rsslim: U64_MAX,
    rsslimBytes: Infinity,
    startCode: 4194304n,
    endCode: 6294284n,
    startStack: 140736914091744n,
    processor: 0,
    rtPriority: 0,
    policy: 0,
    delayacctBlkioTicks: 31,
    kernelThread: false,
  };
  assert.deepEqual(readStat(corpusFs('procfs'), 26231), expected);
});

test('26232 (procfs): int64 limits in cutime/cstime, 2^63-1 in processor is unknown, a kernel thread', () => {
  const s = readStat(corpusFs('procfs'), 26232);
  assert.equal(s.cutimeTicks, -(2n ** 63n));
  assert.equal(s.cstimeTicks, 2n ** 63n - 1n);
  assert.equal(s.rsslim, U64_MAX);
  assert.equal(s.rsslimBytes, Infinity);
  // Rounded to 9223372036854776000 before the fix: a wrong number, silently.
  assert.equal(s.processor, null);
  assert.equal(s.kernelThread, true);
  assert.equal(s.nice, -20);
});

// Fields 3..52 after the name, as a 6.x kernel prints them.
const TAIL =
  'S 1 2 3 4 -1 4194560 100 5 6 7 8 9 -10 11 20 0 3 0 4242 1234567 89 18446744073709551615 ' +
  '1 2 3 0 0 0 0 0 0 0 0 0 17 1 0 0 12 0 0 0 0 0 0 0 0 0 0';
const stat = (comm: string, tail = TAIL) => `42 (${comm}) ${tail}\n`;

tableTests('the name', PATH, (text) => parseStat(text, PATH).comm, [
  ['plain', stat('bash'), 'bash'],
  ['spaces and parentheses (584)', stat('(a b ) ( c d) '), '(a b ) ( c d) '],
  ['a trailing ")"', stat('x)'), 'x)'],
  ['empty', stat(''), ''],
  ['unicode', stat('сервер😀'), 'сервер😀'],
  ['a stray second line after the stat line (584)', `${stat('a)b')}#!/bin/cat /proc/self/stat\n`, 'a)b'],
  ['no parentheses', '42 bash S 1 2 3\n', 'error'],
  ['")" before "("', '42 )bash( S 1 2 3\n', 'error'],
]);

tableTests(
  'fields',
  PATH,
  (text) => {
    const s = parseStat(text, PATH);
    return [
      s.minorFaults,
      s.majorFaults,
      s.cutimeTicks,
      s.startTimeTicks,
      s.vsizeBytes,
      s.rssPages,
      s.processor,
    ];
  },
  [
    ['a 6.x line', stat('x'), [100, 6, -10n, 4242, 1234567, 89, 1]],
    [
      'the first 28 fields only (old kernel)',
      stat('x', TAIL.split(' ').slice(0, 26).join(' ')),
      [100, 6, -10n, 4242, 1234567, 89, null],
    ],
    ['27 fields', stat('x', TAIL.split(' ').slice(0, 25).join(' ')), 'error'],
    ['a count not a number', stat('x', TAIL.replace('100', 'lots')), 'error'],
    ['a count beyond 2^53', stat('x', TAIL.replace(' 100 ', ' 99999999999999999 ')), 'error'],
    ['rsslim negative', stat('x', TAIL.replace('18446744073709551615', '-1')), 'error'],
    ['rsslim beyond 2^64', stat('x', TAIL.replace('18446744073709551615', 'z')), 'error'],
    ['a pid that is not a number', `x4 (a) ${TAIL}`, 'error'],
  ],
);

test('rsslim below 2^62 is bytes; at 2^64-1 it is unlimited', () => {
  assert.equal(
    parseStat(stat('x', TAIL.replace('18446744073709551615', '1048576')), PATH).rsslimBytes,
    1048576,
  );
  assert.equal(parseStat(stat('x'), PATH).rsslimBytes, Infinity);
});

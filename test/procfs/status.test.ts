// /proc/PID/status: the whole object from a captured file, then a table of single lines.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProcReadError } from '../../src/procfs/errors.js';
import { parseStatus, readStatus, type Status } from '../../src/procfs/status.js';
import { tableTests } from './_assert.js';
import { corpusFs, corpusText } from './_corpora.js';

const KiB = 1024;
const PATH = '/proc/42/status';

test('26231 (procfs): the whole object', () => {
  const expected: Status = {
    name: 'prometheus',
    state: 'S',
    tgid: 26231,
    pid: 26231,
    ppid: 1,
    uids: [1000, 1000, 1000, 0],
    gids: [1001, 1001, 1001, 0],
    nsPids: [1],
    threads: 1,
    vmPeakBytes: 58472 * KiB,
    vmSizeBytes: 58440 * KiB,
    vmLckBytes: 0,
    vmPinBytes: 0,
    vmHwmBytes: 8028 * KiB,
    vmRssBytes: 6716 * KiB,
    rssAnonBytes: 2092 * KiB,
    rssFileBytes: 4624 * KiB,
    rssShmemBytes: 0,
    vmDataBytes: 2580 * KiB,
    vmStkBytes: 136 * KiB,
    vmExeBytes: 948 * KiB,
    vmLibBytes: 6816 * KiB,
    vmPteBytes: 128 * KiB,
    vmPmdBytes: 12 * KiB,
    vmSwapBytes: 660 * KiB,
    hugetlbPagesBytes: 0,
    voluntaryCtxtSwitches: 4742839,
    nonvoluntaryCtxtSwitches: 1727500,
  };
  assert.deepEqual(readStatus(corpusFs('procfs'), 26231), expected);
});

test('a kernel thread (gopsutil proc1: ksoftirqd) has no memory lines: null, never 0', () => {
  const s = parseStatus(corpusText('external/gopsutil/proc1/status'), 'proc1/status');
  assert.equal(s.name, 'ksoftirqd/0');
  for (const key of ['vmSizeBytes', 'vmRssBytes', 'rssAnonBytes', 'vmSwapBytes'] as const) {
    assert.equal(s[key], null, key);
  }
});

test('a pid missing from the tree is E_NO_PROCESS', () => {
  assert.throws(
    () => readStatus(corpusFs('procfs'), 999999),
    (err: unknown) =>
      err instanceof ProcReadError && err.code === 'E_NO_PROCESS' && /999999/.test(err.message),
  );
});

const one = (line: string) => parseStatus(`Name:\tx\n${line}\n`, PATH);
tableTests('single lines', PATH, (line) => one(line).vmRssBytes, [
  ['tab then padded kB', 'VmRSS:\t    6716 kB', 6716 * KiB],
  ['spaces instead of a tab', 'VmRSS:      6716 kB', 6716 * KiB],
  ['zero', 'VmRSS:\t0 kB', 0],
  ['absent', 'Threads:\t1', null],
  ['lower-case kb (kernel doc)', 'VmRSS: 20 kb', 20 * KiB],
  ['upper-case KB', 'VmRSS: 20 KB', 20 * KiB],
  ['trailing spaces', 'VmRSS:\t20 kB   ', 20 * KiB],
  ['a newer key is ignored', 'VmFuture:\tsomething we have never seen', null],
  ['not a number', 'VmRSS:\tabc kB', 'error'],
  ['negative', 'VmRSS:\t-4 kB', 'error'],
  ['empty value', 'VmRSS:', 'error'],
  ['unknown unit', 'VmRSS:\t12 parsecs', 'error'],
  ['a decimal', 'VmRSS:\t1.5 kB', 'error'],
  ['beyond 2^53 once in bytes', 'VmRSS:\t9007199254740991 kB', 'error'],
  ['beyond 2^53 as a count', 'VmRSS:\t99999999999999999999 kB', 'error'],
  ['a line without a colon', 'VmRSS 6716 kB', 'error'],
]);

tableTests(
  'counts and id lists',
  PATH,
  (line) => {
    const s = one(line);
    return { threads: s.threads, uids: s.uids, nsPids: s.nsPids, state: s.state };
  },
  [
    ['threads', 'Threads:\t51', { threads: 51, uids: [], nsPids: [], state: null }],
    ['uids', 'Uid:\t0\t0\t0\t0', { threads: null, uids: [0, 0, 0, 0], nsPids: [], state: null }],
    [
      'nested pid namespaces',
      'NSpid:\t26235\t1',
      { threads: null, uids: [], nsPids: [26235, 1], state: null },
    ],
    ['state letter', 'State:\tZ (zombie)', { threads: null, uids: [], nsPids: [], state: 'Z' }],
    ['threads not a number', 'Threads:\tmany', 'error'],
    ['a uid not a number', 'Uid:\t0\tx\t0\t0', 'error'],
  ],
);

tableTests('the name', PATH, (text) => parseStatus(text, PATH).name, [
  ['trimmed (26235 is space-aligned)', 'Name:   kube-proxy\n', 'kube-proxy'],
  ['after a blank first line (26231)', '\nName:\tprometheus\n', 'prometheus'],
  ['a colon inside the value', 'Name:\ta:b\n', 'a:b'],
  ['no Name line', 'Pid:\t1\n', 'error'],
  ['empty file', '', 'error'],
]);

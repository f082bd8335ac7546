// The generic "Key: value [unit]" reader shared by status and meminfo.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { optionalCount, optionalSize, parseKeyValues, sizeValue } from '../../src/procfs/kv.js';
import { assertParseError, tableTests } from './_assert.js';

const PATH = '/proc/42/status';

tableTests('parseKeyValues', PATH, (text) => [...parseKeyValues(text, PATH)], [
  [
    'tab separated',
    'Name:\tbash\nVmRSS:\t 12 kB\n',
    [
      ['Name', 'bash'],
      ['VmRSS', '12 kB'],
    ],
  ],
  ['space aligned', 'Name:   bash\n', [['Name', 'bash']]],
  ['a blank first line', '\nName:\tbash\n', [['Name', 'bash']]],
  [
    'whitespace-only lines',
    'A: 1\n   \n\t\nB: 2',
    [
      ['A', '1'],
      ['B', '2'],
    ],
  ],
  ['no final newline', 'A: 1', [['A', '1']]],
  ['the first colon splits', 'A: b: c', [['A', 'b: c']]],
  ['a key with parentheses (meminfo)', 'Active(anon):   5 kB', [['Active(anon)', '5 kB']]],
  ['an empty value', 'Groups:\n', [['Groups', '']]],
  ['a repeated key: the last wins', 'A: 1\nA: 2\n', [['A', '2']]],
  ['a line without a colon', 'A: 1\nbroken\n', 'error'],
]);

test('parseKeyValues: the error names the line', () => {
  assertParseError(() => parseKeyValues('A: 1\nbroken\n', PATH), PATH, /line 2/);
});

tableTests('sizeValue', PATH, (raw) => sizeValue(raw, 'VmRSS', PATH), [
  ['kB', '6716 kB', 6716 * 1024],
  ['kb (kernel doc)', '20 kb', 20 * 1024],
  ['KB', '20 KB', 20 * 1024],
  ['mB', '2 mB', 2 * 1024 * 1024],
  ['B', '5 B', 5],
  ['a bare count', '42', 42],
  ['double space before the unit', '7  kB', 7 * 1024],
  ['unknown unit', '7 GB', 'error'],
  ['negative', '-7 kB', 'error'],
  ['a decimal', '7.5 kB', 'error'],
  ['empty', '', 'error'],
  ['unsafe in bytes', '9007199254740991 kB', 'error'],
  [
    'the largest safe kB value',
    `${Math.floor(Number.MAX_SAFE_INTEGER / 1024)} kB`,
    Math.floor(Number.MAX_SAFE_INTEGER / 1024) * 1024,
  ],
]);

test('optionalSize and optionalCount: absent is null', () => {
  const kv = parseKeyValues('VmRSS: 4 kB\nThreads: 3\n', PATH);
  assert.equal(optionalSize(kv, 'VmRSS', PATH), 4096);
  assert.equal(optionalSize(kv, 'VmSwap', PATH), null);
  assert.equal(optionalCount(kv, 'Threads', PATH), 3);
  assert.equal(optionalCount(kv, 'NoSuch', PATH), null);
});

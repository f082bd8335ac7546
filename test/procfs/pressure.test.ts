// /proc/pressure/memory and cgroup v2 memory.pressure (PSI).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Pressure, parsePressure, readMemoryPressure } from '../../src/procfs/pressure.js';
import { tableTests } from './_assert.js';
import { corpusFs } from './_corpora.js';

const PATH = '/proc/pressure/memory';

test('procfs: the whole object', () => {
  const expected: Pressure = {
    some: { avg10: 0.1, avg60: 2, avg300: 3.85, totalMicros: 15 },
    full: { avg10: 0.2, avg60: 3, avg300: 4.95, totalMicros: 25 },
  };
  assert.deepEqual(readMemoryPressure(corpusFs('procfs')), expected);
});

const SOME = 'some avg10=1.50 avg60=2.30 avg300=0.75 total=123456';
tableTests('lines', PATH, (text) => parsePressure(text, PATH), [
  [
    'some and full',
    `${SOME}\nfull avg10=0.80 avg60=1.20 avg300=0.40 total=78901\n`,
    {
      some: { avg10: 1.5, avg60: 2.3, avg300: 0.75, totalMicros: 123456 },
      full: { avg10: 0.8, avg60: 1.2, avg300: 0.4, totalMicros: 78901 },
    },
  ],
  [
    'some only (the system cpu file): full is null',
    `${SOME}\n`,
    {
      some: { avg10: 1.5, avg60: 2.3, avg300: 0.75, totalMicros: 123456 },
      full: null,
    },
  ],
  [
    'a future kind of line is ignored',
    `${SOME}\nhalf avg10=x\n`,
    {
      some: { avg10: 1.5, avg60: 2.3, avg300: 0.75, totalMicros: 123456 },
      full: null,
    },
  ],
  [
    'a future field is ignored',
    'some avg10=1.50 avg60=2.30 avg300=0.75 avg900=1 total=1\n',
    {
      some: { avg10: 1.5, avg60: 2.3, avg300: 0.75, totalMicros: 1 },
      full: null,
    },
  ],
  ['empty', '', { some: null, full: null }],
  ['avg10 not a number', 'some avg10=x avg60=2.30 avg300=0.75 total=1\n', 'error'],
  ['avg300 missing', 'some avg10=1.50 avg60=2.30 total=1\n', 'error'],
  ['total missing', 'some avg10=1.50 avg60=2.30 avg300=0.75\n', 'error'],
  ['total negative', 'some avg10=1.50 avg60=2.30 avg300=0.75 total=-1\n', 'error'],
  ['a negative average', 'full avg10=-1.50 avg60=2.30 avg300=0.75 total=1\n', 'error'],
  ['a bare kind', 'some\n', 'error'],
]);

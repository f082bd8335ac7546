// /proc/vmstat: "name value" counters.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseVmstat } from '../../src/procfs/vmstat.js';
import { tableTests } from './_assert.js';
import { corpusText } from './_corpora.js';

const PATH = '/proc/vmstat';

test('node_exporter: the counters memlens uses, and every other one kept', () => {
  const v = parseVmstat(corpusText('node_exporter/proc/vmstat'), PATH);
  assert.equal(v.pgfault, 2320168809);
  assert.equal(v.pgmajfault, 507162);
  assert.equal(v.oomKill, 0);
  assert.equal(v.values.size, 120);
});

tableTests(
  'lines',
  PATH,
  (text) => {
    const v = parseVmstat(text, PATH);
    return [v.pgfault, v.pgmajfault, v.oomKill, v.values.get('nr_new') ?? null];
  },
  [
    ['all three', 'pgfault 10\npgmajfault 2\noom_kill 1\n', [10, 2, 1, null]],
    ['before 4.13: no oom_kill', 'pgfault 10\npgmajfault 2\n', [10, 2, null, null]],
    ['a newer counter is kept', 'nr_new 5\n', [null, null, null, 5]],
    ['a newer counter with an odd value is skipped', 'nr_new -5\n', [null, null, null, null]],
    ['pgfault not a number', 'pgfault ten\n', 'error'],
    ['oom_kill negative', 'oom_kill -1\n', 'error'],
    ['pgfault beyond 2^53', 'pgfault 99999999999999999\n', 'error'],
    ['a line without a value', 'pgfault\n', 'error'],
  ],
);

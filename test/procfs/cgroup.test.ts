// /proc/PID/cgroup: "id:controllers:path" per hierarchy.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CgroupEntry, parseCgroup, readCgroup } from '../../src/procfs/cgroup.js';
import { tableTests } from './_assert.js';
import { corpusFs } from './_corpora.js';

const PATH = '/proc/42/cgroup';

test('ubuntu1804 (elastic): a hybrid host, v1 controllers and the v2 line', () => {
  const entries = readCgroup(corpusFs('elastic-cgroup/ubuntu1804'), 3757);
  assert.equal(entries.length, 13);
  assert.deepEqual(entries[3], {
    hierarchyId: 9,
    controllers: ['memory'],
    path: '/system.slice/networkd-dispatcher.service',
  });
  assert.deepEqual(entries[6], {
    hierarchyId: 6,
    controllers: ['cpu', 'cpuacct'],
    path: '/system.slice/networkd-dispatcher.service',
  });
  assert.deepEqual(entries[11], {
    hierarchyId: 1,
    controllers: ['name=systemd'],
    path: '/system.slice/networkd-dispatcher.service',
  });
  assert.deepEqual(entries[12], {
    hierarchyId: 0,
    controllers: [],
    path: '/system.slice/networkd-dispatcher.service',
  });
});

test('docker2 (elastic): a path outside the cgroup namespace, no final newline', () => {
  assert.deepEqual(readCgroup(corpusFs('elastic-cgroup/docker2'), 2233801), [
    { hierarchyId: 0, controllers: [], path: '/../../user-1000.slice/session-520.scope' },
  ]);
});

tableTests('lines', PATH, (text) => parseCgroup(text, PATH), [
  [
    'v1 memory',
    '4:memory:/process_api/0e38\n',
    [{ hierarchyId: 4, controllers: ['memory'], path: '/process_api/0e38' }],
  ],
  [
    'v2',
    '0::/user.slice/session-2.scope\n',
    [{ hierarchyId: 0, controllers: [], path: '/user.slice/session-2.scope' }],
  ],
  ['a path with colons', '0::/a:b:c\n', [{ hierarchyId: 0, controllers: [], path: '/a:b:c' }]],
  ['a path with spaces', '0::/my slice/x y\n', [{ hierarchyId: 0, controllers: [], path: '/my slice/x y' }]],
  ['blank lines', '\n0::/\n\n', [{ hierarchyId: 0, controllers: [], path: '/' }] satisfies CgroupEntry[]],
  ['one colon', '0:/\n', 'error'],
  ['no colon', 'memory\n', 'error'],
  ['an id that is not a number', 'x:memory:/\n', 'error'],
  ['a negative id', '-1:memory:/\n', 'error'],
]);

// /proc/self/mountinfo: enough to find the cgroup mounts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMountinfo, readMountinfo } from '../../src/procfs/mountinfo.js';
import { tableTests } from './_assert.js';
import { corpusFs } from './_corpora.js';

const PATH = '/proc/self/mountinfo';

test('amzn2 (elastic): every mount, the cgroup ones with their root and options', () => {
  const mounts = readMountinfo(corpusFs('elastic-cgroup/amzn2'));
  assert.equal(mounts.length, 32);
  const cgroups = mounts.filter((m) => m.fsType === 'cgroup');
  assert.equal(cgroups.length, 11);
  assert.deepEqual(cgroups.at(-1), {
    root: '/',
    mountPoint: 'testdata/amzn2/sys/fs/cgroup/memory',
    fsType: 'cgroup',
    source: 'cgroup',
    superOptions: ['rw', 'memory'],
  });
});

tableTests('lines', PATH, (text) => parseMountinfo(text, PATH), [
  [
    'optional fields',
    '43 30 0:40 / /sys/fs/cgroup/memory rw,nosuid shared:19 - cgroup cgroup rw,memory\n',
    [
      {
        root: '/',
        mountPoint: '/sys/fs/cgroup/memory',
        fsType: 'cgroup',
        source: 'cgroup',
        superOptions: ['rw', 'memory'],
      },
    ],
  ],
  [
    'no optional fields',
    '30 24 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n',
    [
      {
        root: '/',
        mountPoint: '/sys/fs/cgroup',
        fsType: 'cgroup2',
        source: 'cgroup2',
        superOptions: ['rw', 'nsdelegate'],
      },
    ],
  ],
  [
    'several optional fields',
    '1 2 0:1 / /x rw shared:1 master:2 - tmpfs none rw\n',
    [{ root: '/', mountPoint: '/x', fsType: 'tmpfs', source: 'none', superOptions: ['rw'] }],
  ],
  [
    'octal escapes (space, tab, backslash)',
    '1 2 0:1 /a\\040b /mnt/my\\040disk\\011x\\134y rw - ext4 /dev/sda\\0401 rw\n',
    [
      {
        root: '/a b',
        mountPoint: '/mnt/my disk\tx\\y',
        fsType: 'ext4',
        source: '/dev/sda 1',
        superOptions: ['rw'],
      },
    ],
  ],
  [
    'a root outside the namespace',
    '961 957 0:26 /../.. /hostfs/sys/fs/cgroup ro - cgroup2 cgroup2 rw\n',
    [
      {
        root: '/../..',
        mountPoint: '/hostfs/sys/fs/cgroup',
        fsType: 'cgroup2',
        source: 'cgroup2',
        superOptions: ['rw'],
      },
    ],
  ],
  ['no separator', '43 30 0:40 / /sys/fs/cgroup/memory rw cgroup cgroup rw,memory\n', 'error'],
  ['nothing after the separator', '43 30 0:40 / /x rw - cgroup\n', 'error'],
  ['too short', '43 30 0:40\n', 'error'],
]);

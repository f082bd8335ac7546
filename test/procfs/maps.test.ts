// /proc/PID/maps: one line per mapping; the path is kept whole.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type MapsEntry, parseMaps, parseMapsLine, readMaps } from '../../src/procfs/maps.js';
import { tableTests } from './_assert.js';
import { corpusFs } from './_corpora.js';

const PATH = '/proc/42/maps';

test('26232 (procfs, 64-bit): the whole list, addresses beyond 2^53 exact', () => {
  const maps = readMaps(corpusFs('procfs'), 26232);
  assert.equal(maps.length, 9);
  assert.deepEqual(maps[0], {
    start: 0x55680ae1e000n,
    end: 0x55680ae20000n,
    perms: 'r--p',
    offset: 0n,
    device: 'fd:01',
    inode: 47316994,
    path: '/bin/cat',
    deleted: false,
  } satisfies MapsEntry);
  assert.deepEqual(maps[8], {
    start: 0xffffffffff600000n,
    end: 0xffffffffff601000n,
    perms: '--xp',
    offset: 0n,
    device: '00:00',
    inode: 0,
    path: '[vsyscall]',
    deleted: false,
  } satisfies MapsEntry);
});

test('26234 (procfs, 32-bit): 8-digit addresses, one space before the path, an anonymous line', () => {
  const maps = readMaps(corpusFs('procfs'), 26234);
  assert.deepEqual(
    maps.map((m) => [m.start, m.end, m.perms, m.offset, m.device, m.inode, m.path]),
    [
      [0x08048000n, 0x08089000n, 'r-xp', 0n, '03:01', 104219, '/bin/tcsh'],
      [0x08089000n, 0x0808c000n, 'rw-p', 0x41000n, '03:01', 104219, '/bin/tcsh'],
      [0x0808c000n, 0x08146000n, 'rwxp', 0n, '00:00', 0, ''],
      [0x40000000n, 0x40015000n, 'r-xp', 0n, '03:01', 61874, '/lib/ld-2.3.2.so'],
    ],
  );
});

const line = (path: string) =>
  `7f3a1c000000-7f3a1c021000 rw-s 00000000 00:01 1034                       ${path}`;
tableTests(
  'paths',
  PATH,
  (text) => {
    const e = parseMapsLine(text, PATH);
    return [e.path, e.deleted];
  },
  [
    ['a file', line('/usr/lib/libc.so.6'), ['/usr/lib/libc.so.6', false]],
    ['spaces kept whole', line('/opt/my app/lib x.so'), ['/opt/my app/lib x.so', false]],
    ['deleted, kept whole', line('/tmp/old file (deleted)'), ['/tmp/old file (deleted)', true]],
    ['memfd deleted', line('/memfd:buf (deleted)'), ['/memfd:buf (deleted)', true]],
    ['named anonymous memory', line('[anon:v8 heap]'), ['[anon:v8 heap]', false]],
    ['shmem named anonymous', line('[anon_shmem:pool]'), ['[anon_shmem:pool]', false]],
    ['SysV shm', line('/SYSV00000000 (deleted)'), ['/SYSV00000000 (deleted)', true]],
    ['anonymous: no path', '7f3a00000000-7f3a04000000 ---p 00000000 00:00 0', ['', false]],
    ['anonymous with trailing padding', '7f3a00000000-7f3a04000000 ---p 00000000 00:00 0   ', ['', false]],
    [
      '"(deleted)" inside a name is not the marker',
      line('/tmp/a (deleted) b'),
      ['/tmp/a (deleted) b', false],
    ],
    ['unicode', line('/srv/données/😀.so'), ['/srv/données/😀.so', false]],
  ],
);

tableTests(
  'fields',
  PATH,
  (text) => {
    const e = parseMapsLine(text, PATH);
    return [e.start, e.end, e.perms, e.offset, e.device, e.inode];
  },
  [
    [
      'a bare start address (psutil)',
      'fffff0 r-xp 00000000 00:00 0 [vsyscall]',
      [0xfffff0n, 0xfffff0n, 'r-xp', 0n, '00:00', 0],
    ],
    ['upper-case hex', '7F3A-7F3B r--p 0000000A FD:01 12', [0x7f3an, 0x7f3bn, 'r--p', 10n, 'FD:01', 12]],
    ['bad permissions', '1000-2000 rwzp 00000000 00:00 0', 'error'],
    ['permissions too long', '1000-2000 rw-pp 00000000 00:00 0', 'error'],
    ['bad device', '1000-2000 rw-p 00000000 0000 0', 'error'],
    ['missing inode', '1000-2000 rw-p 00000000 00:00', 'error'],
    ['inode not a number', '1000-2000 rw-p 00000000 00:00 x /a', 'error'],
    ['address not hex', '10g0-2000 rw-p 00000000 00:00 0', 'error'],
    ['offset not hex', '1000-2000 rw-p 0000z000 00:00 0', 'error'],
    ['empty end address', '1000- rw-p 00000000 00:00 0', 'error'],
    ['only an address', '1000-2000', 'error'],
  ],
);

test('a whole file: blank lines skipped, the line number in errors', () => {
  const text = `${line('/a')}\n\n${line('/b')}\n`;
  assert.deepEqual(
    parseMaps(text, PATH).map((e) => e.path),
    ['/a', '/b'],
  );
  assert.throws(() => parseMaps(`${line('/a')}\nbroken\n`, PATH), /"\/proc\/42\/maps" line 2/);
});

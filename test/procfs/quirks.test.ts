// Every quirk listed in corpora/README.md, and those of the kernel's own documentation, as a
// named test. The captured ones read the corpora files; the documentation ones are inline.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseLimit, readOwnLimit } from '../../src/procfs/cgroup_memory.js';
import { parseFlatKeyed } from '../../src/procfs/cgroup_stat.js';
import { readMaps } from '../../src/procfs/maps.js';
import { parseMeminfo, readMeminfo } from '../../src/procfs/meminfo.js';
import { parsePressure } from '../../src/procfs/pressure.js';
import { parseSmaps, readSmaps } from '../../src/procfs/smaps.js';
import { parseSmapsRollup, readSmapsRollup, rollupFromSmaps } from '../../src/procfs/smaps_rollup.js';
import { readStat } from '../../src/procfs/stat.js';
import { readStatm, statmBytes } from '../../src/procfs/statm.js';
import { parseStatus, readStatus } from '../../src/procfs/status.js';
import { parseVmstat } from '../../src/procfs/vmstat.js';
import { corpusFs, corpusText } from './_corpora.js';

const KiB = 1024;
const U64_MAX = 2n ** 64n - 1n;
const procfs = corpusFs('procfs');

describe('captured quirks (corpora/README.md)', () => {
  test('comm with spaces and parentheses ends at the LAST ")" (procfs 584)', () => {
    assert.ok(corpusText('procfs/proc/584/stat').startsWith('1020 ((a b ) ( c d) ) R '));
    const s = readStat(procfs, 584);
    assert.equal(s.comm, '(a b ) ( c d) ');
    assert.equal(s.state, 'R');
    assert.equal(s.ppid, 28378);
  });

  test('a status file that starts with a blank line (procfs 26231)', () => {
    assert.ok(corpusText('procfs/proc/26231/status').startsWith('\nName:'));
    assert.equal(readStatus(procfs, 26231).name, 'prometheus');
    assert.equal(readStatus(procfs, 26231).vmRssBytes, 6716 * KiB);
  });

  test('a status file aligned with spaces instead of tabs (procfs 26235)', () => {
    assert.ok(corpusText('procfs/proc/26235/status').startsWith('Name:   kube-proxy\n'));
    const s = readStatus(procfs, 26235);
    assert.equal(s.name, 'kube-proxy');
    assert.deepEqual(s.nsPids, [26235, 1]);
    assert.equal(s.threads, 51);
  });

  test('statm "shared" is 2^64-1: kept exact, and unknown in bytes (procfs 26231)', () => {
    const statm = readStatm(procfs, 26231);
    assert.equal(statm.sharedPages, U64_MAX);
    assert.equal(statmBytes(statm, 4096).sharedBytes, null);
  });

  test('stat rsslim is 2^64-1: kept exact, and unlimited in the model (procfs 26231)', () => {
    const s = readStat(procfs, 26231);
    assert.equal(s.rsslim, U64_MAX);
    assert.equal(s.rsslimBytes, Infinity);
  });

  test('stat cutime/cstime at the int64 limits (procfs 26232)', () => {
    const s = readStat(procfs, 26232);
    assert.equal(s.cutimeTicks, -9223372036854775808n);
    assert.equal(s.cstimeTicks, 9223372036854775807n);
  });

  test('meminfo without MemAvailable (old kernel): null, not 0 (procfs)', () => {
    assert.ok(!corpusText('procfs/proc/meminfo').includes('MemAvailable'));
    assert.equal(readMeminfo(procfs).memAvailableBytes, null);
  });

  test('meminfo without a final newline (gopsutil anonhugepages)', () => {
    const rel = 'external/gopsutil/meminfo-anonhugepages/meminfo';
    assert.ok(corpusText(rel).endsWith('50409472 kB'));
    assert.equal(parseMeminfo(corpusText(rel), rel).values.get('AnonHugePages'), 50409472 * KiB);
  });

  test('a 32-bit meminfo with HighTotal/LowTotal (gopsutil issue1002)', () => {
    const rel = 'external/gopsutil/meminfo-issue1002/meminfo';
    const m = parseMeminfo(corpusText(rel), rel);
    assert.equal(m.values.get('HighTotal'), 131072 * KiB);
    assert.equal(m.values.get('HighFree'), 66196 * KiB);
    assert.equal(m.values.get('LowTotal'), 123400 * KiB);
    assert.equal(m.values.get('LowFree'), 55392 * KiB);
    assert.equal(m.values.has('Hugepagesize'), false);
  });

  test('smaps summed per region equals smaps_rollup exactly (procfs 26231)', () => {
    assert.deepEqual(rollupFromSmaps(readSmaps(procfs, 26231)), readSmapsRollup(procfs, 26231));
  });

  test('a synthetic smaps with keys missing in some regions: a missing key reads as 0 (gopsutil)', () => {
    const smaps = parseSmaps(corpusText('external/gopsutil/proc1/smaps'), 'smaps');
    assert.deepEqual(
      smaps.regions.map((r) => [r.pssBytes, r.privateCleanBytes, r.privateDirtyBytes, r.anonymousBytes]),
      [
        [0, 5 * KiB, 6 * KiB, 8 * KiB],
        [2 * KiB, 0, 6 * KiB, 8 * KiB],
        [2 * KiB, 5 * KiB, 0, 8 * KiB],
        [2 * KiB, 5 * KiB, 6 * KiB, 0],
      ],
    );
  });

  test('32-bit maps (procfs 26234)', () => {
    const maps = readMaps(procfs, 26234);
    assert.deepEqual(maps[0]?.start, 0x08048000n);
    assert.deepEqual(maps[2]?.path, '');
    assert.deepEqual(maps[3]?.path, '/lib/ld-2.3.2.so');
  });

  test('cgroup v2 "max" means unlimited (cadvisor test2)', () => {
    assert.equal(readOwnLimit(corpusFs('external/cadvisor/cgroup_v2/test2'), '.', 2), Infinity);
    assert.equal(parseLimit('max\n', 'memory.max'), Infinity);
  });

  test('cgroup v1 limit 9223372036854771712 means unlimited (elastic cgv1)', () => {
    const fs = corpusFs('external/elastic/cgv1-docker-b29faf21');
    assert.equal(fs.readText('memory.limit_in_bytes').trim(), '9223372036854771712');
    assert.equal(readOwnLimit(fs, '.', 1), Infinity);
  });
});

describe("the kernel documentation's examples (not in the corpora)", () => {
  test('a status line "VmPTE: 20 kb" (lower-case unit) is kB', () => {
    assert.equal(parseStatus('Name:\tx\nVmPTE:        20 kb\n', '/proc/1/status').vmPteBytes, 20 * KiB);
  });

  test('an smaps block with a blank line after its header and KernelPageSize/MMUPageSize listed twice', () => {
    const text =
      '08048000-080bc000 r-xp 00000000 03:02 13130      /bin/bash\n\n' +
      'Size: 1084 kB\nKernelPageSize: 4 kB\nMMUPageSize: 4 kB\nRss: 892 kB\nPss: 374 kB\n' +
      'KernelPageSize: 4 kB\nMMUPageSize: 4 kB\nLocked: 0 kB\n';
    const { regions } = parseSmaps(text, '/proc/1/smaps');
    assert.equal(regions.length, 1);
    assert.equal(regions[0]?.sizeBytes, 1084 * KiB);
    assert.equal(regions[0]?.kernelPageSizeBytes, 4 * KiB);
    assert.equal(regions[0]?.mmuPageSizeBytes, 4 * KiB);
    assert.equal(regions[0]?.pssBytes, 374 * KiB);
  });

  test('smaps keys with no unit: THPeligible, ProtectionKey, VmFlags', () => {
    const text =
      '1000-2000 rw-p 00000000 00:00 0\nRss: 4 kB\nTHPeligible:    1\nProtectionKey:         2\nVmFlags: rd wr mr mw me ac sd \n';
    const [r] = parseSmaps(text, '/proc/1/smaps').regions;
    assert.equal(r?.thpEligible, true);
    assert.equal(r?.protectionKey, 2);
    assert.deepEqual(r?.vmFlags, ['rd', 'wr', 'mr', 'mw', 'me', 'ac', 'sd']);
  });

  test('a path with spaces and " (deleted)" is kept whole, with deleted=true', () => {
    const text =
      '7f00-8f00 rw-s 00000000 00:05 123                        /dev/shm/my cache file (deleted)\nRss: 4 kB\n';
    const [r] = parseSmaps(text, '/proc/1/smaps').regions;
    assert.equal(r?.path, '/dev/shm/my cache file (deleted)');
    assert.equal(r?.deleted, true);
  });

  test('[anon:name] labels (PR_SET_VMA_ANON_NAME) are kept as the path', () => {
    const text =
      '7f00-8f00 rw-p 00000000 00:00 0                          [anon:libc_malloc arena]\nRss: 4 kB\n';
    const [r] = parseSmaps(text, '/proc/1/smaps').regions;
    assert.equal(r?.path, '[anon:libc_malloc arena]');
    assert.equal(r?.deleted, false);
  });

  test('newer keys unknown to us are ignored, never fatal, in every key/value file', () => {
    const future = 'FutureKey:   1 2 3 strange';
    assert.equal(parseStatus(`Name:\tx\n${future}\n`, '/proc/1/status').name, 'x');
    assert.equal(parseMeminfo(`MemTotal: 1 kB\n${future}\n`, '/proc/meminfo').memTotalBytes, KiB);
    const block = `1000-2000 rw-p 00000000 00:00 0\nRss: 4 kB\nPss: 4 kB\nShared_Clean: 0 kB\nShared_Dirty: 0 kB\nPrivate_Clean: 0 kB\nPrivate_Dirty: 4 kB\n${future}\nPss_Future: 3 kB\n`;
    assert.equal(parseSmaps(block, '/proc/1/smaps').regions[0]?.rssBytes, 4 * KiB);
    assert.equal(parseSmapsRollup(block, '/proc/1/smaps_rollup').privateDirtyBytes, 4 * KiB);
    assert.equal(parseVmstat('pgfault 3\nnr_future_thing 12\n', '/proc/vmstat').pgfault, 3);
    assert.equal(
      parsePressure('some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfuture x=1\n', 'p').full,
      null,
    );
    assert.equal(parseFlatKeyed('anon 1\nfuture_counter 2\n', 'memory.stat').get('anon'), 1);
  });
});

// Every value that prometheus/procfs's own tests assert on its fixtures (corpora/procfs-expected.json),
// reproduced by our readers on the same files. Driven by the JSON: each entry is a test, checked
// below or listed in SKIPPED with the reason, and an entry that is neither fails.
import assert from 'node:assert/strict';
import { readMaps } from '../../src/procfs/maps.js';
import { readMeminfo } from '../../src/procfs/meminfo.js';
import { readMemoryPressure } from '../../src/procfs/pressure.js';
import { readSmaps } from '../../src/procfs/smaps.js';
import { readSmapsRollup, rollupFromSmaps, type SmapsRollup } from '../../src/procfs/smaps_rollup.js';
import { readStat, type Stat } from '../../src/procfs/stat.js';
import { readStatm, type Statm } from '../../src/procfs/statm.js';
import { readStatus, type Status } from '../../src/procfs/status.js';
import {
  assertExact,
  type Checker,
  corpusFs,
  expectedValue,
  type Json,
  loadExpected,
  NotChecked,
  runExpectations,
} from './_corpora.js';

const fs = corpusFs('procfs');
const expected = loadExpected('procfs-expected.json');

const STATUS_BYTES: Record<string, keyof Status> = {
  VmPeak: 'vmPeakBytes',
  VmSize: 'vmSizeBytes',
  VmLck: 'vmLckBytes',
  VmPin: 'vmPinBytes',
  VmHWM: 'vmHwmBytes',
  VmRSS: 'vmRssBytes',
  RssAnon: 'rssAnonBytes',
  RssFile: 'rssFileBytes',
  RssShmem: 'rssShmemBytes',
  VmData: 'vmDataBytes',
  VmStk: 'vmStkBytes',
  VmExe: 'vmExeBytes',
  VmLib: 'vmLibBytes',
  VmPTE: 'vmPteBytes',
  VmPMD: 'vmPmdBytes',
  VmSwap: 'vmSwapBytes',
  HugetlbPages: 'hugetlbPagesBytes',
};
const STATUS_OTHER: Record<string, keyof Status> = {
  Pid: 'pid',
  Tgid: 'tgid',
  NSpid: 'nsPids',
  voluntary_ctxt_switches: 'voluntaryCtxtSwitches',
  nonvoluntary_ctxt_switches: 'nonvoluntaryCtxtSwitches',
  Name: 'name',
  Uid: 'uids',
  Gid: 'gids',
};

function statusChecker(pid: number): Checker {
  const status = readStatus(fs, pid);
  return (key, payload) => {
    const value = expectedValue(payload);
    const bytes = STATUS_BYTES[key];
    const other = STATUS_OTHER[key];
    if (bytes) {
      // The raw kB value times 1024 is the expected byte value: the conversion is ours to make.
      const raw = (payload as { raw_value?: number }).raw_value;
      assert.equal(raw === undefined ? value : raw * 1024, value, 'the JSON agrees with itself');
      assertExact(status[bytes] as number | null, value, key);
    } else if (other) {
      assert.deepEqual(status[other], value, key);
    } else if (key === 'TotalCtxtSwitches(derived)') {
      assert.equal((status.voluntaryCtxtSwitches ?? 0) + (status.nonvoluntaryCtxtSwitches ?? 0), value);
    } else {
      throw new NotChecked(key);
    }
  };
}

const ROLLUP_KEYS: Record<string, keyof SmapsRollup> = {
  Rss: 'rssBytes',
  Pss: 'pssBytes',
  Shared_Clean: 'sharedCleanBytes',
  Shared_Dirty: 'sharedDirtyBytes',
  Private_Clean: 'privateCleanBytes',
  Private_Dirty: 'privateDirtyBytes',
  Referenced: 'referencedBytes',
  Anonymous: 'anonymousBytes',
  Swap: 'swapBytes',
  SwapPss: 'swapPssBytes',
};

function rollupChecker(rollup: SmapsRollup): Checker {
  return (key, payload) => {
    const field = ROLLUP_KEYS[key];
    if (!field) throw new NotChecked(key);
    assertExact(rollup[field], expectedValue(payload), key);
  };
}

const STATM_KEYS: Record<string, keyof Statm> = {
  size: 'sizePages',
  resident: 'residentPages',
  shared: 'sharedPages',
  text: 'textPages',
  lib: 'libPages',
  data: 'dataPages',
  dt: 'dirtyPages',
};

const STAT_KEYS: Record<string, keyof Stat> = {
  pid: 'pid',
  comm: 'comm',
  utime: 'utimeTicks',
  stime: 'stimeTicks',
  starttime: 'startTimeTicks',
  vsize: 'vsizeBytes',
  rss: 'rssPages',
  rsslim: 'rsslim',
  startcode: 'startCode',
  endcode: 'endCode',
  startstack: 'startStack',
  delayacct_blkio_ticks: 'delayacctBlkioTicks',
  processor: 'processor',
  rt_priority: 'rtPriority',
  policy: 'policy',
  cutime: 'cutimeTicks',
  cstime: 'cstimeTicks',
};

function statChecker(pid: number): Checker {
  const stat = readStat(fs, pid);
  return (key, payload) => {
    const value = expectedValue(payload);
    const field = STAT_KEYS[key];
    if (field) {
      const actual = stat[field];
      if (typeof value === 'string') assert.equal(actual, value, key);
      else assertExact(actual as number | bigint, value, key);
      // 2^64-1 is RLIM_INFINITY: exact above, and "no limit" in the model.
      if (key === 'rsslim' && value === 2n ** 64n - 1n) assert.equal(stat.rsslimBytes, Infinity);
    } else if (key === 'CPUTime(derived)') {
      assert.equal((stat.utimeTicks + stat.stimeTicks) / 100, value);
    } else {
      throw new NotChecked(key);
    }
  };
}

function mapsChecker(pid: number): Checker {
  const maps = readMaps(fs, pid);
  return (key, payload) => {
    if (key !== 'entries') throw new NotChecked(key);
    const entries = payload as Array<Record<string, Json>>;
    // procfs asserts the first entries only; the files hold exactly those.
    assert.equal(maps.length, entries.length);
    entries.forEach((e, i) => {
      const m = maps[i];
      assert.ok(m);
      assertExact(m.start, e.start as Json, `entry ${i} start`);
      assertExact(m.end, e.end as Json, `entry ${i} end`);
      assertExact(m.offset, e.offset as Json, `entry ${i} offset`);
      assert.deepEqual(
        { perms: m.perms, dev: m.device, inode: m.inode, pathname: m.path },
        { perms: e.perms, dev: e.dev, inode: e.inode, pathname: e.pathname },
        `entry ${i}`,
      );
    });
  };
}

const checkers: Record<string, Checker> = {
  'proc/26231/status': statusChecker(26231),
  'proc/26235/status': statusChecker(26235),
  'proc/26231/smaps_rollup': rollupChecker(readSmapsRollup(fs, 26231)),
  // procfs sums the VMAs itself (procSMapsRollupManual); so do we, on the same file.
  'proc/26231/smaps': rollupChecker(rollupFromSmaps(readSmaps(fs, 26231))),
  'proc/26231/statm': (() => {
    const statm = readStatm(fs, 26231);
    return (key: string, payload: Json) => {
      const field = STATM_KEYS[key];
      if (!field) throw new NotChecked(key);
      assertExact(statm[field], expectedValue(payload), key);
    };
  })(),
  'proc/26231/stat': statChecker(26231),
  'proc/26232/stat': statChecker(26232),
  'proc/584/stat': statChecker(584),
  'proc/meminfo': (() => {
    const meminfo = readMeminfo(fs);
    return (key: string, payload: Json) => {
      const value = meminfo.values.get(key);
      if (value === undefined) throw new Error(`meminfo has no ${key}`);
      assertExact(value, expectedValue(payload), key);
    };
  })(),
  'proc/pressure/memory': (() => {
    const psi = readMemoryPressure(fs);
    return (key: string, payload: Json) => {
      const [kind, stat] = key.split('.') as ['some' | 'full', string];
      const line = psi[kind];
      assert.ok(line, `${kind} line`);
      const field = ({ avg10: 'avg10', avg60: 'avg60', avg300: 'avg300', total: 'totalMicros' } as const)[
        stat as 'avg10'
      ];
      if (!field) throw new NotChecked(key);
      assert.equal(line[field], expectedValue(payload), key);
    };
  })(),
  'proc/26232/maps': mapsChecker(26232),
  'proc/26234/maps': mapsChecker(26234),
};

const NOT_MEMORY = 'not memory-related: memlens has no use for it';
const CAPS = 'capabilities, not memory: memlens does not parse Cap* lines';

/** Entries deliberately not checked, with why. Everything else in the file must be checked. */
const SKIPPED: Record<string, Record<string, string>> = {
  'proc/26231/status': {
    Cpus_allowed_list: `CPU affinity, ${NOT_MEMORY}`,
    CapPrm: CAPS,
    CapEff: CAPS,
    CapBnd: CAPS,
    CapInh: CAPS,
    CapAmb: CAPS,
  },
  'proc/26231/stat': {
    // The raw starttime (ticks after boot, half of a process's identity) is checked above.
    'StartTime(derived)': 'needs btime from /proc/stat, which memlens does not read',
  },
  'proc/pressure/cpu': {
    'some.avg10': `CPU pressure, ${NOT_MEMORY}; the file is not in the corpora either`,
    'some.avg60': `CPU pressure, ${NOT_MEMORY}; the file is not in the corpora either`,
    'some.avg300': `CPU pressure, ${NOT_MEMORY}; the file is not in the corpora either`,
    'some.total': `CPU pressure, ${NOT_MEMORY}; the file is not in the corpora either`,
  },
  'proc/26231/limits': {
    // RLIMIT_RSS is checked through stat's rsslim (2^64-1, unlimited).
    'Max data size': 'no /proc/PID/limits parser: not among the files memlens reads (issue 2)',
    'Max stack size': 'no /proc/PID/limits parser: not among the files memlens reads (issue 2)',
    'Max core file size': 'no /proc/PID/limits parser: not among the files memlens reads (issue 2)',
    'Max resident set': 'no /proc/PID/limits parser: not among the files memlens reads (issue 2)',
    'Max locked memory': 'no /proc/PID/limits parser: not among the files memlens reads (issue 2)',
    'Max address space': 'no /proc/PID/limits parser: not among the files memlens reads (issue 2)',
  },
  'proc/swaps': {
    entries: 'no /proc/swaps parser: swap devices are not per-process memory (meminfo SwapTotal is checked)',
  },
  'proc/buddyinfo': {
    'row0.zone': `buddy allocator fragmentation, ${NOT_MEMORY} per process; not in the corpora`,
    'row2.zone': `buddy allocator fragmentation, ${NOT_MEMORY} per process; not in the corpora`,
    'row2.order0': `buddy allocator fragmentation, ${NOT_MEMORY} per process; not in the corpora`,
    'row1.order1': `buddy allocator fragmentation, ${NOT_MEMORY} per process; not in the corpora`,
  },
};

runExpectations(expected, false, checkers, SKIPPED);

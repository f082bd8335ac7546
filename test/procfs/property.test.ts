// Property-based tests (fast-check) of every parser:
// - random text, and text built from each format's own tokens: only ProcParseError may escape;
// - real fixture text, mutated (lines deleted, duplicated, swapped, characters flipped,
//   truncated, huge numbers and unicode inserted): the same;
// - generated well-formed files: parsing gives back the generated values.
// Each input must also parse quickly: a parser that goes quadratic (or worse) on some input
// would hang a scan of a big process. Runs are seeded, so a failure reproduces.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { parseCgroup } from '../../src/procfs/cgroup.js';
import { parseLimit } from '../../src/procfs/cgroup_memory.js';
import { parseCgroupValue, parseFlatKeyed, parseFlatKeyedExact } from '../../src/procfs/cgroup_stat.js';
import { parseCmdline, parseComm } from '../../src/procfs/cmdline.js';
import { ProcParseError } from '../../src/procfs/errors.js';
import { parseKeyValues } from '../../src/procfs/kv.js';
import { parseMaps } from '../../src/procfs/maps.js';
import { parseMeminfo } from '../../src/procfs/meminfo.js';
import { parseMountinfo } from '../../src/procfs/mountinfo.js';
import { limitBytes } from '../../src/procfs/numbers.js';
import { parseOomScore, parseOomScoreAdj } from '../../src/procfs/oom.js';
import { parsePressure } from '../../src/procfs/pressure.js';
import { emptyFigures, parseSmaps, type RegionFigures } from '../../src/procfs/smaps.js';
import { parseSmapsRollup } from '../../src/procfs/smaps_rollup.js';
import { parseStat } from '../../src/procfs/stat.js';
import { parseStatm } from '../../src/procfs/statm.js';
import { parseStatus } from '../../src/procfs/status.js';
import { parseVmstat } from '../../src/procfs/vmstat.js';

const SEED = 20261125;
const RUNS = 300;
const P = '/proc/42/file';
// Plain objects (not null-prototype ones), so deepEqual compares them with what parsers build.
function record<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true }) as unknown as fc.Arbitrary<T>;
}
function dictionary<V>(key: fc.Arbitrary<string>, value: fc.Arbitrary<V>): fc.Arbitrary<Record<string, V>> {
  return fc.dictionary(key, value, { noNullPrototype: true });
}
/** Per input. Real files parse in microseconds; this only catches runaway work. */
const MAX_MS = 250;

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const fixture = (rel: string, maxLines = 400) =>
  readFileSync(FIXTURES + rel, 'utf8')
    .split('\n')
    .slice(0, maxLines)
    .join('\n');

interface Subject {
  parse: (text: string) => unknown;
  /** Real files of this format. */
  seeds: string[];
  /** Tokens the format is made of, for format-shaped random text. */
  tokens: string[];
}

const NUMBERS = [
  '0',
  '1',
  '4096',
  '18446744073709551615',
  '18446744073709551616',
  '9223372036854775807',
  '-9223372036854775808',
  '9223372036854771712',
  '9007199254740993',
  '99999999999999999999999999',
  '-1',
  '1.5',
  'NaN',
  '1e400',
];
const COMMON = [' ', ' ', '\t', '\n', '\n', ':', '-', ...NUMBERS];

const SUBJECTS: Record<string, Subject> = {
  status: {
    parse: (t) => parseStatus(t, P),
    seeds: [
      fixture('corpora/procfs/proc/26231/status'),
      fixture('corpora/procfs/proc/26235/status'),
      fixture('corpora/external/gopsutil/proc1/status'),
      fixture('corpora/external/gopsutil/proc23819/status'),
      fixture('live/node/proc/8425/status'),
    ],
    tokens: [
      'Name',
      'VmRSS',
      'VmPTE',
      'Uid',
      'NSpid',
      'Threads',
      'State',
      'kB',
      'kb',
      'S (sleeping)',
      'Vm',
      ...COMMON,
    ],
  },
  statm: {
    parse: (t) => parseStatm(t, P),
    seeds: [fixture('corpora/procfs/proc/26231/statm'), fixture('live/node/proc/8425/statm')],
    tokens: COMMON,
  },
  stat: {
    parse: (t) => parseStat(t, P),
    seeds: [
      fixture('corpora/procfs/proc/26231/stat'),
      fixture('corpora/procfs/proc/26232/stat'),
      fixture('corpora/procfs/proc/584/stat'),
      fixture('live/node/proc/8425/stat'),
    ],
    tokens: ['(', ')', '((a b ) ( c d) )', 'R', 'S', ...COMMON, ...NUMBERS, ...NUMBERS],
  },
  maps: {
    parse: (t) => parseMaps(t, P),
    seeds: [
      fixture('corpora/procfs/proc/26232/maps'),
      fixture('corpora/procfs/proc/26234/maps'),
      fixture('live/node/proc/8425/maps', 200),
    ],
    tokens: [
      '7f3a1c000000',
      'ffffffffff601000',
      'rw-p',
      'r-xs',
      'fd:01',
      '00:00',
      '[heap]',
      ' (deleted)',
      '/a b',
      ...COMMON,
    ],
  },
  smaps: {
    parse: (t) => parseSmaps(t, P),
    seeds: [
      fixture('corpora/procfs/proc/26231/smaps'),
      fixture('corpora/external/gopsutil/proc1/smaps'),
      fixture('corpora/external/psutil/smaps_mocked'),
      fixture('corpora/external/cadvisor/smaps4'),
      fixture('live/node/proc/8425/smaps', 300),
    ],
    tokens: [
      '1000-2000 rw-p 00000000 00:00 0',
      'Rss',
      'Pss',
      'Swap',
      'VmFlags',
      'THPeligible',
      'ProtectionKey',
      'constructor',
      '__proto__',
      'kB',
      'rd wr',
      ...COMMON,
    ],
  },
  smaps_rollup: {
    parse: (t) => parseSmapsRollup(t, P),
    seeds: [fixture('corpora/procfs/proc/26231/smaps_rollup'), fixture('live/node/proc/8425/smaps_rollup')],
    tokens: [
      '00400000-ffffffffff601000 ---p 00000000 00:00 0 [rollup]',
      'Rss',
      'Pss',
      'Private_Dirty',
      'kB',
      ...COMMON,
    ],
  },
  meminfo: {
    parse: (t) => parseMeminfo(t, P),
    seeds: [
      fixture('corpora/procfs/proc/meminfo'),
      fixture('corpora/node_exporter/proc/meminfo'),
      fixture('corpora/external/gopsutil/meminfo-issue1002/meminfo'),
      fixture('corpora/external/gopsutil/meminfo-anonhugepages/meminfo'),
      fixture('live/node/proc/meminfo'),
    ],
    tokens: [
      'MemTotal',
      'MemAvailable',
      'HugePages_Total',
      'Active(anon)',
      'kB',
      'total:',
      'Mem:',
      ...COMMON,
    ],
  },
  pressure: {
    parse: (t) => parsePressure(t, P),
    seeds: [
      fixture('corpora/procfs/proc/pressure/memory'),
      fixture('corpora/node_exporter/proc/pressure/memory'),
      fixture('corpora/external/elastic/cgv2-docker-1c8fa019/memory.pressure'),
    ],
    tokens: ['some', 'full', 'avg10=', 'avg60=', 'avg300=', 'total=', '=', '0.00', ...COMMON],
  },
  vmstat: {
    parse: (t) => parseVmstat(t, P),
    seeds: [fixture('corpora/node_exporter/proc/vmstat')],
    tokens: ['pgfault', 'pgmajfault', 'oom_kill', 'nr_x', ...COMMON],
  },
  oom_score: { parse: (t) => parseOomScore(t, P), seeds: ['667\n'], tokens: COMMON },
  oom_score_adj: { parse: (t) => parseOomScoreAdj(t, P), seeds: ['-1000\n'], tokens: COMMON },
  cmdline: {
    parse: (t) => parseCmdline(t),
    seeds: [fixture('live/node/proc/8425/cmdline')],
    tokens: ['\0', ...COMMON],
  },
  comm: { parse: (t) => parseComm(t), seeds: ['vim\n'], tokens: COMMON },
  cgroup: {
    parse: (t) => parseCgroup(t, P),
    seeds: [
      fixture('corpora/elastic-cgroup/amzn2/proc/493239/cgroup'),
      fixture('corpora/elastic-cgroup/docker2/proc/2233801/cgroup'),
      fixture('live/node/proc/8425/cgroup'),
    ],
    tokens: ['memory', 'cpu,cpuacct', '/', '/..', 'name=systemd', ...COMMON],
  },
  mountinfo: {
    parse: (t) => parseMountinfo(t, P),
    seeds: [
      fixture('corpora/elastic-cgroup/docker2/proc/self/mountinfo'),
      fixture('corpora/elastic-cgroup/ubuntu1804/proc/self/mountinfo'),
    ],
    tokens: ['/sys/fs/cgroup', 'cgroup2', 'cgroup', 'rw,memory', 'shared:1', '\\040', '\\', ...COMMON],
  },
  limit: {
    parse: (t) => parseLimit(t, P),
    seeds: ['max\n', '9223372036854771712\n', '123456789\n'],
    tokens: ['max', ...COMMON],
  },
  cgroup_value: {
    parse: (t) => parseCgroupValue(t, P),
    seeds: ['9125888\n', 'max\n'],
    tokens: ['max', ...COMMON],
  },
  flat_keyed: {
    parse: (t) => [parseFlatKeyed(t, P), parseFlatKeyedExact(t, P)],
    seeds: [
      fixture('corpora/external/elastic/cgv1-docker-b29faf21/memory.stat'),
      fixture('corpora/external/opencontainers/v2_memory.stat'),
      fixture('corpora/external/containerd/v1_memory.oom_control'),
      fixture('corpora/external/elastic/cgv2-docker-1c8fa019/memory.events'),
    ],
    tokens: ['anon', 'hierarchical_memory_limit', 'oom_kill', ...COMMON],
  },
  key_values: {
    parse: (t) => parseKeyValues(t, P),
    seeds: [fixture('corpora/procfs/proc/26231/status')],
    tokens: ['Key', ...COMMON],
  },
};

/** Fails on any integer beyond 2^53 held as a number: it was rounded on the way in. */
function assertNoRoundedIntegers(value: unknown, where = 'result'): void {
  if (typeof value === 'number') {
    const rounded = Number.isInteger(value) && !Number.isSafeInteger(value);
    assert.ok(!rounded, `${where} is ${value}, an integer past 2^53 that lost its precision`);
  } else if (value instanceof Map) {
    for (const [k, v] of value) assertNoRoundedIntegers(v, `${where}.get(${String(k)})`);
  } else if (Array.isArray(value) || value instanceof Set) {
    let i = 0;
    for (const v of value) assertNoRoundedIntegers(v, `${where}[${i++}]`);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) assertNoRoundedIntegers(v, `${where}.${k}`);
  }
}

/**
 * Runs `parse`: anything thrown other than a ProcParseError fails the property, and so do a
 * rounded integer in the result and slowness.
 */
function onlyParseErrors(parse: (text: string) => unknown, text: string): void {
  const t0 = performance.now();
  try {
    assertNoRoundedIntegers(parse(text));
  } catch (err) {
    if (!(err instanceof ProcParseError)) throw err;
    assert.ok(err.message.includes(`"${err.path}"`), 'the message names the path');
  }
  const ms = performance.now() - t0;
  assert.ok(ms < MAX_MS, `took ${ms.toFixed(0)} ms on ${text.length} characters`);
}

const HUGE = fc.constantFrom(...NUMBERS, '340282366920938463463374607431768211456', `${'9'.repeat(400)}`);
const UNICODE = fc.string({ unit: 'binary', minLength: 1, maxLength: 8 });

type Mutation =
  | { op: 'delete' | 'duplicate'; a: number }
  | { op: 'swap'; a: number; b: number }
  | { op: 'flip' | 'truncate'; a: number; s: string }
  | { op: 'insert'; a: number; s: string };

const MUTATION: fc.Arbitrary<Mutation> = fc.oneof(
  record({ op: fc.constantFrom('delete' as const, 'duplicate' as const), a: fc.nat() }),
  record({ op: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
  record({
    op: fc.constantFrom('flip' as const, 'truncate' as const),
    a: fc.nat(),
    s: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  }),
  record({
    op: fc.constant('insert' as const),
    a: fc.nat(),
    s: fc.oneof(HUGE, UNICODE, fc.constantFrom(' ', '\n', ':', ')', '(', '\0')),
  }),
);

function mutate(text: string, m: Mutation): string {
  const lines = text.split('\n');
  const n = lines.length;
  switch (m.op) {
    case 'delete':
      lines.splice(m.a % n, 1);
      return lines.join('\n');
    case 'duplicate':
      lines.splice(m.a % n, 0, lines[m.a % n] as string);
      return lines.join('\n');
    case 'swap': {
      const [i, j] = [m.a % n, m.b % n];
      [lines[i], lines[j]] = [lines[j] as string, lines[i] as string];
      return lines.join('\n');
    }
    case 'flip': {
      const at = m.a % (text.length + 1);
      return text.slice(0, at) + m.s + text.slice(at + 1);
    }
    case 'truncate':
      return text.slice(0, m.a % (text.length + 1));
    case 'insert': {
      // Inserting next to a digit turns a number into a huge (or broken) one.
      const at = m.a % (text.length + 1);
      return text.slice(0, at) + m.s + text.slice(at);
    }
  }
}

describe('only ProcParseError escapes, and every input parses quickly', () => {
  for (const [name, s] of Object.entries(SUBJECTS)) {
    test(`${name}: random text`, () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => onlyParseErrors(s.parse, text)),
        { seed: SEED, numRuns: RUNS },
      );
    });
    test(`${name}: text made of the format's own tokens`, () => {
      const text = fc.array(fc.constantFrom(...s.tokens), { maxLength: 80 }).map((t) => t.join(''));
      fc.assert(
        fc.property(text, (t) => onlyParseErrors(s.parse, t)),
        { seed: SEED, numRuns: RUNS },
      );
    });
    test(`${name}: real files, mutated`, () => {
      fc.assert(
        fc.property(
          fc.constantFrom(...s.seeds),
          fc.array(MUTATION, { minLength: 1, maxLength: 6 }),
          (seed, ms) => {
            onlyParseErrors(s.parse, ms.reduce(mutate, seed));
          },
        ),
        { seed: SEED, numRuns: RUNS },
      );
    });
  }
});

/** Key names a newer kernel might print, including ones that collide with Object.prototype. */
const UNKNOWN_KEY = fc.oneof(
  fc.constantFrom('constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'Pss_Future', 'THP_x'),
  fc.stringMatching(/^[A-Z][A-Za-z_]{2,14}$/),
);
const ANY_VALUE = fc.oneof(
  fc.constantFrom('1 kB', '', '12 units', 'a b c', '18446744073709551615 kB', '-1', 'x:y'),
  fc.string({ unit: 'grapheme', maxLength: 20 }).map((v) => v.replace(/[\r\n]/g, ' ')),
);

/** Keys some parser reads (or a seed file holds): a random name that hits one is not "unknown". */
const KNOWN_KEYS = new Set(
  ['corpora/procfs/proc/26231/status', 'corpora/procfs/proc/meminfo', 'corpora/procfs/proc/26231/smaps']
    .flatMap((rel) => fixture(rel, 10_000).split('\n'))
    .map((line) => line.slice(0, line.indexOf(':')).trim())
    .concat([
      'Pss_Dirty',
      'Pss_Anon',
      'Pss_File',
      'Pss_Shmem',
      'KSM',
      'FilePmdMapped',
      'ProtectionKey',
      'THPeligible',
    ]),
);

// A new key must cost nothing: the parse of a real file is the same with unknown lines added.
const WITH_UNKNOWN_KEYS: Record<string, { parse: (t: string) => unknown; seed: string }> = {
  status: { parse: (t) => parseStatus(t, P), seed: fixture('corpora/procfs/proc/26231/status') },
  meminfo: { parse: (t) => parseMeminfo(t, P), seed: fixture('corpora/procfs/proc/meminfo') },
  smaps: { parse: (t) => parseSmaps(t, P).regions, seed: fixture('corpora/procfs/proc/26231/smaps') },
  smaps_rollup: {
    parse: (t) => parseSmapsRollup(t, P),
    seed: fixture('corpora/procfs/proc/26231/smaps_rollup'),
  },
};

describe('unknown keys are ignored, never fatal', () => {
  for (const [name, s] of Object.entries(WITH_UNKNOWN_KEYS)) {
    test(name, () => {
      const expected = s.parse(s.seed);
      const lines = s.seed.split('\n');
      // After the first line, so an smaps figure never comes before its header.
      const insertion = record({
        at: fc.integer({ min: 1, max: lines.length }),
        key: UNKNOWN_KEY,
        value: ANY_VALUE,
      });
      fc.assert(
        fc.property(fc.array(insertion, { minLength: 1, maxLength: 5 }), (inserts) => {
          const out = [...lines];
          for (const i of inserts) {
            if (KNOWN_KEYS.has(i.key)) continue;
            out.splice(Math.min(i.at, out.length), 0, `${i.key}:${' '.repeat(8)}${i.value}`);
          }
          const got = s.parse(out.join('\n'));
          if (name === 'meminfo') {
            // meminfo keeps every key that reads as a size: compare the keys it already had.
            const m = got as ReturnType<typeof parseMeminfo>;
            const e = expected as ReturnType<typeof parseMeminfo>;
            for (const [k, v] of e.values) assert.equal(m.values.get(k), v, k);
            assert.equal(m.memAvailableBytes, e.memAvailableBytes);
          } else {
            assert.deepEqual(got, expected);
          }
        }),
        { seed: SEED, numRuns: RUNS },
      );
    });
  }
});

test('the seeds themselves parse (so mutations start from valid files)', () => {
  for (const [name, s] of Object.entries(SUBJECTS)) {
    for (const seed of s.seeds) assert.doesNotThrow(() => s.parse(seed), name);
  }
});

// ---- well-formed files round-trip ----

const U64 = fc.bigInt(0n, 2n ** 64n - 1n);
/** kB values whose bytes stay below 2^53. */
const KB = fc.integer({ min: 0, max: Math.floor(Number.MAX_SAFE_INTEGER / 1024) });
const SEP = fc.constantFrom('\t', ' ', '   ', '\t   ');
/** A name with no line break and no whitespace at either end (status trims it). */
const NAME = fc
  .string({ unit: fc.constantFrom(...'abcXYZ019 ()-_:/.é😀'), minLength: 1, maxLength: 20 })
  .filter((s) => s.trim() === s && s !== '');
const PATHS = fc
  .string({ unit: fc.constantFrom(...'abc/ ._-()[]:é'), minLength: 1, maxLength: 24 })
  .filter((s) => s.trim() === s);

describe('generated well-formed files parse back to the generated values', () => {
  const opts = { seed: SEED, numRuns: 200 };

  test('statm: seven u64 page counts, exact', () => {
    fc.assert(
      fc.property(fc.array(U64, { minLength: 7, maxLength: 7 }), (n) => {
        const s = parseStatm(`${n.join(' ')}\n`, P);
        assert.deepEqual(
          [s.sizePages, s.residentPages, s.sharedPages, s.textPages, s.libPages, s.dataPages, s.dirtyPages],
          n,
        );
      }),
      opts,
    );
  });

  const STATUS_KEYS = {
    VmRSS: 'vmRssBytes',
    VmSize: 'vmSizeBytes',
    VmSwap: 'vmSwapBytes',
    VmPTE: 'vmPteBytes',
    RssAnon: 'rssAnonBytes',
  } as const;
  test('status: a name and any subset of size keys, any alignment and kB spelling', () => {
    fc.assert(
      fc.property(
        NAME,
        dictionary(fc.constantFrom(...Object.keys(STATUS_KEYS)), KB),
        SEP,
        fc.constantFrom('kB', 'kb'),
        fc.boolean(),
        (name, sizes, sep, unit, blankFirst) => {
          const lines = [
            `Name:${sep}${name}`,
            ...Object.entries(sizes).map(([k, v]) => `${k}:${sep}${v} ${unit}`),
          ];
          const s = parseStatus(`${blankFirst ? '\n' : ''}${lines.join('\n')}\n`, P);
          assert.equal(s.name, name);
          for (const [key, field] of Object.entries(STATUS_KEYS)) {
            const v = sizes[key];
            assert.equal(s[field], v === undefined ? null : v * 1024, key);
          }
        },
      ),
      opts,
    );
  });

  test('stat: any comm (spaces, parentheses), exact signed and u64 fields', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 4194304 }),
        fc.string({ unit: fc.constantFrom(...'ab ()) (x'), maxLength: 16 }),
        fc.nat(),
        fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n),
        U64,
        fc.nat(),
        (pid, comm, minflt, cutime, rsslim, start) => {
          const fields = [
            'S',
            1,
            2,
            3,
            4,
            -1,
            0,
            minflt,
            0,
            0,
            0,
            0,
            0,
            cutime,
            0,
            20,
            0,
            1,
            0,
            start,
            4096,
            1,
            rsslim,
            1,
            2,
            3,
          ];
          const s = parseStat(`${pid} (${comm}) ${fields.join(' ')}\n`, P);
          assert.deepEqual(
            [s.pid, s.comm, s.minorFaults, s.cutimeTicks, s.rsslim, s.startTimeTicks, s.rsslimBytes],
            [pid, comm, minflt, cutime, rsslim, start, limitBytes(rsslim)],
          );
        },
      ),
      opts,
    );
  });

  const ENTRY = record({
    start: U64,
    len: fc.bigInt(0n, 2n ** 40n),
    perms: fc
      .tuple(
        fc.constantFrom('r', '-'),
        fc.constantFrom('w', '-'),
        fc.constantFrom('x', '-'),
        fc.constantFrom('p', 's'),
      )
      .map((p) => p.join('')),
    offset: U64,
    major: fc.nat(0xfff),
    minor: fc.nat(0xfffff),
    inode: fc.nat(),
    path: fc.oneof(
      fc.constant(''),
      PATHS,
      PATHS.map((p) => `${p} (deleted)`),
      fc.constantFrom('[heap]', '[anon:my pool]'),
    ),
  });
  const hex = (n: bigint, width = 8) => n.toString(16).padStart(width, '0');
  const mapsLine = (e: typeof ENTRY extends fc.Arbitrary<infer T> ? T : never) => {
    const head = `${hex(e.start)}-${hex(e.start + e.len)} ${e.perms} ${hex(e.offset)} ${hex(BigInt(e.major), 2)}:${hex(BigInt(e.minor), 2)} ${e.inode}`;
    // The kernel pads to column 73 before the path (seq_pad), or prints a single space.
    return e.path === '' ? head : `${head.padEnd(72, ' ')} ${e.path}`;
  };

  test('maps: addresses to 2^64, paths with spaces and " (deleted)" kept whole', () => {
    fc.assert(
      fc.property(fc.array(ENTRY, { maxLength: 8 }), (entries) => {
        const maps = parseMaps(entries.map(mapsLine).join('\n'), P);
        assert.deepEqual(
          maps.map((m) => [m.start, m.end, m.perms, m.offset, m.inode, m.path, m.deleted]),
          entries.map((e) => [
            e.start,
            e.start + e.len,
            e.perms,
            e.offset,
            e.inode,
            e.path,
            e.path.endsWith(' (deleted)'),
          ]),
        );
      }),
      opts,
    );
  });

  const SMAPS_KEYS: Record<string, keyof RegionFigures> = {
    Size: 'sizeBytes',
    Rss: 'rssBytes',
    Pss: 'pssBytes',
    Shared_Clean: 'sharedCleanBytes',
    Shared_Dirty: 'sharedDirtyBytes',
    Private_Clean: 'privateCleanBytes',
    Private_Dirty: 'privateDirtyBytes',
    Swap: 'swapBytes',
    SwapPss: 'swapPssBytes',
    LazyFree: 'lazyFreeBytes',
  };
  test('smaps: any subset of keys per region, in any order; missing keys are 0; the key set is the union', () => {
    const region = record({
      entry: ENTRY,
      figures: dictionary(fc.constantFrom(...Object.keys(SMAPS_KEYS)), KB),
      flags: fc.array(fc.constantFrom('rd', 'wr', 'ex', 'mr', 'gd'), { maxLength: 4 }),
      thp: fc.option(fc.boolean()),
      future: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(region, { maxLength: 5 }), (regions) => {
        const text = regions
          .map((r) => {
            const lines = [
              mapsLine(r.entry),
              ...Object.entries(r.figures).map(([k, v]) => `${`${k}:`.padEnd(16)}${v} kB`),
            ];
            if (r.future) lines.push('FutureKey:     12 kB');
            if (r.thp !== null) lines.push(`THPeligible:    ${r.thp ? 1 : 0}`);
            lines.push(`VmFlags: ${r.flags.join(' ')} `);
            return lines.join('\n');
          })
          .join('\n');
        const smaps = parseSmaps(`${text}\n`, P);
        assert.equal(smaps.regions.length, regions.length);
        regions.forEach((r, i) => {
          const got = smaps.regions[i];
          assert.ok(got);
          for (const [key, field] of Object.entries(SMAPS_KEYS)) {
            assert.equal(got[field], (r.figures[key] ?? 0) * 1024, key);
          }
          assert.deepEqual(got.vmFlags, r.flags);
          assert.equal(got.thpEligible, r.thp);
          assert.equal(got.path, r.entry.path);
        });
        const union = new Set(regions.flatMap((r) => Object.keys(r.figures)));
        for (const key of Object.keys(SMAPS_KEYS)) assert.equal(smaps.keys.has(key), union.has(key), key);
        assert.equal(Object.keys(emptyFigures()).length, 25);
      }),
      opts,
    );
  });

  test('smaps_rollup: the required keys plus optional ones; optional absent is null', () => {
    fc.assert(
      fc.property(
        fc.array(KB, { minLength: 6, maxLength: 6 }),
        fc.option(KB),
        fc.option(KB),
        (req, pssAnon, swapPss) => {
          const keys = ['Rss', 'Pss', 'Shared_Clean', 'Shared_Dirty', 'Private_Clean', 'Private_Dirty'];
          const lines = ['55-66 ---p 00000000 00:00 0 [rollup]', ...keys.map((k, i) => `${k}: ${req[i]} kB`)];
          if (pssAnon !== null) lines.push(`Pss_Anon: ${pssAnon} kB`);
          if (swapPss !== null) lines.push(`SwapPss: ${swapPss} kB`);
          const r = parseSmapsRollup(lines.join('\n'), P);
          assert.deepEqual(
            [
              r.rssBytes,
              r.pssBytes,
              r.sharedCleanBytes,
              r.sharedDirtyBytes,
              r.privateCleanBytes,
              r.privateDirtyBytes,
            ],
            req.map((v) => v * 1024),
          );
          assert.equal(r.pssAnonBytes, pssAnon === null ? null : pssAnon * 1024);
          assert.equal(r.swapPssBytes, swapPss === null ? null : swapPss * 1024);
        },
      ),
      opts,
    );
  });

  test('meminfo: any keys, kB or unit-less, with or without a final newline', () => {
    const key = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_()]{0,15}$/).filter((k) => k !== 'MemTotal');
    fc.assert(
      fc.property(KB, dictionary(key, fc.tuple(KB, fc.boolean())), fc.boolean(), (total, rest, newline) => {
        const lines = [
          `MemTotal: ${total} kB`,
          ...Object.entries(rest).map(([k, [v, kb]]) => `${`${k}:`.padEnd(16)}${v}${kb ? ' kB' : ''}`),
        ];
        const m = parseMeminfo(lines.join('\n') + (newline ? '\n' : ''), P);
        assert.equal(m.memTotalBytes, total * 1024);
        for (const [k, [v, kb]] of Object.entries(rest)) assert.equal(m.values.get(k), kb ? v * 1024 : v, k);
        assert.equal(m.memAvailableBytes, 'MemAvailable' in rest ? m.values.get('MemAvailable') : null);
      }),
      opts,
    );
  });

  test('pressure: some and optional full, averages to two decimals', () => {
    const line = record({
      avg10: fc.integer({ min: 0, max: 10000 }),
      avg60: fc.integer({ min: 0, max: 10000 }),
      avg300: fc.integer({ min: 0, max: 10000 }),
      total: fc.nat(),
    });
    const fmt = (kind: string, l: { avg10: number; avg60: number; avg300: number; total: number }) =>
      `${kind} avg10=${(l.avg10 / 100).toFixed(2)} avg60=${(l.avg60 / 100).toFixed(2)} avg300=${(l.avg300 / 100).toFixed(2)} total=${l.total}`;
    fc.assert(
      fc.property(line, fc.option(line), (some, full) => {
        const text = [fmt('some', some), ...(full ? [fmt('full', full)] : [])].join('\n');
        const p = parsePressure(`${text}\n`, P);
        const expect = (l: typeof some) => ({
          avg10: Number((l.avg10 / 100).toFixed(2)),
          avg60: Number((l.avg60 / 100).toFixed(2)),
          avg300: Number((l.avg300 / 100).toFixed(2)),
          totalMicros: l.total,
        });
        assert.deepEqual(p, { some: expect(some), full: full ? expect(full) : null });
      }),
      opts,
    );
  });

  test('vmstat: every counter kept', () => {
    fc.assert(
      fc.property(dictionary(fc.stringMatching(/^[a-z_]{1,12}$/), fc.nat()), (counters) => {
        const v = parseVmstat(
          Object.entries(counters)
            .map(([k, n]) => `${k} ${n}`)
            .join('\n'),
          P,
        );
        assert.deepEqual(Object.fromEntries(v.values), counters);
        assert.equal(v.pgfault, counters.pgfault ?? null);
      }),
      opts,
    );
  });

  test('oom_score and oom_score_adj: every value of their ranges', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: -1000, max: 1000 }), (score, adj) => {
        assert.equal(parseOomScore(`${score}\n`, P), score);
        assert.equal(parseOomScoreAdj(`${adj}\n`, P), adj);
      }),
      opts,
    );
  });

  test('cmdline: any arguments without NUL', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ unit: 'binary' }).filter((s) => !s.includes('\0')),
          { minLength: 1 },
        ),
        (args) => {
          assert.deepEqual(parseCmdline(`${args.join('\0')}\0`), args);
        },
      ),
      opts,
    );
  });

  test('cgroup: ids, controllers, and paths with colons and spaces', () => {
    const entry = record({
      hierarchyId: fc.nat(64),
      controllers: fc.array(fc.constantFrom('memory', 'cpu', 'cpuacct', 'name=systemd'), { maxLength: 3 }),
      path: PATHS.map((p) => `/${p}`),
    });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 6 }), (entries) => {
        const text = entries.map((e) => `${e.hierarchyId}:${e.controllers.join(',')}:${e.path}`).join('\n');
        assert.deepEqual(parseCgroup(text, P), entries);
      }),
      opts,
    );
  });

  test('mountinfo: octal escapes round-trip', () => {
    const octalEscape = (s: string) =>
      s.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
    const mount = record({
      root: PATHS.map((p) => `/${p}`),
      mountPoint: PATHS.map((p) => `/${p}`),
      optional: fc.array(fc.constantFrom('shared:1', 'master:4', 'unbindable'), { maxLength: 2 }),
      fsType: fc.constantFrom('cgroup', 'cgroup2', 'tmpfs'),
      source: PATHS,
      superOptions: fc.array(fc.constantFrom('rw', 'memory', 'nsdelegate'), { minLength: 1, maxLength: 3 }),
    });
    fc.assert(
      fc.property(fc.array(mount, { maxLength: 5 }), (mounts) => {
        const text = mounts
          .map((m, i) =>
            [
              i + 20,
              1,
              '0:26',
              octalEscape(m.root),
              octalEscape(m.mountPoint),
              'rw',
              ...m.optional,
              '-',
              m.fsType,
              octalEscape(m.source),
              m.superOptions.join(','),
            ].join(' '),
          )
          .join('\n');
        assert.deepEqual(
          parseMountinfo(text, P),
          mounts.map((m) => ({
            root: m.root,
            mountPoint: m.mountPoint,
            fsType: m.fsType,
            source: m.source,
            superOptions: m.superOptions,
          })),
        );
      }),
      opts,
    );
  });

  test('cgroup limits and flat-keyed files: exact to 2^53, Infinity past it', () => {
    const value = fc.oneof(
      fc.bigInt(0n, BigInt(Number.MAX_SAFE_INTEGER)),
      fc.bigInt(2n ** 53n, 2n ** 64n - 1n),
    );
    fc.assert(
      fc.property(dictionary(fc.stringMatching(/^[a-z_]{1,20}$/), value), value, (stats, limit) => {
        const text = Object.entries(stats)
          .map(([k, v]) => `${k} ${v}`)
          .join('\n');
        assert.deepEqual(Object.fromEntries(parseFlatKeyedExact(text, P)), stats);
        assert.deepEqual(
          Object.fromEntries(parseFlatKeyed(text, P)),
          Object.fromEntries(Object.entries(stats).map(([k, v]) => [k, limitBytes(v)])),
        );
        assert.equal(parseLimit(`${limit}\n`, P), limitBytes(limit));
        assert.equal(parseCgroupValue(`${limit}\n`, P), limitBytes(limit));
      }),
      opts,
    );
  });
});

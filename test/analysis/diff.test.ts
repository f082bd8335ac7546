// diffSnapshots on snapshots built in code: a small C-like process (program, heap, libc, main
// stack) and the changes the issue names: a grown heap, a new anonymous region, new thread stacks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type DiffableSnapshot,
  diffSnapshots,
  formatElapsed,
  SnapshotFormatError,
  type SnapshotRegion,
} from '../../src/analysis/diff.js';
import { CATEGORIES } from '../../src/analysis/regions.js';

const KiB = 1024;
const MiB = 1024 * KiB;

type R = { start: bigint; size: number; rss?: number; path?: string; perms?: string; category: string };

function region(r: R): SnapshotRegion {
  const rss = r.rss ?? 0;
  return {
    start: `0x${r.start.toString(16)}`,
    end: `0x${(r.start + BigInt(r.size)).toString(16)}`,
    perms: r.perms ?? 'rw-p',
    path: r.path ?? '',
    category: r.category,
    sizeBytes: r.size,
    rssBytes: rss,
    pssBytes: rss,
  };
}

/** A snapshot whose totals and categories add up from its regions, as inspect's do. */
function snapshot(rs: R[], over: Partial<DiffableSnapshot> = {}): DiffableSnapshot {
  const regions = rs.map(region);
  const sum = (k: 'sizeBytes' | 'rssBytes', list = regions) => list.reduce((n, r) => n + r[k], 0);
  const categories = CATEGORIES.map(({ category, label }) => {
    const mine = regions.filter((r) => r.category === category);
    const rss = sum('rssBytes', mine);
    return {
      category,
      label,
      regions: mine.length,
      sizeBytes: sum('sizeBytes', mine),
      rssBytes: rss,
      pssBytes: rss,
    };
  });
  const rss = sum('rssBytes');
  return {
    memlensSnapshot: 1,
    capturedAt: '2024-05-01T10:00:00.000Z',
    pid: 4242,
    name: 'app',
    startTimeTicks: 123456,
    inspect: {
      vszBytes: sum('sizeBytes'),
      rssBytes: rss,
      pssBytes: rss,
      ussBytes: rss,
      swapBytes: 0,
      categories,
    },
    regions,
    ...over,
  };
}

const CODE: R = {
  start: 0x555500000000n,
  size: 64 * KiB,
  rss: 64 * KiB,
  path: '/usr/bin/app',
  category: 'code',
};
const HEAP: R = { start: 0x555500100000n, size: 1 * MiB, rss: 512 * KiB, path: '[heap]', category: 'heap' };
const LIBC: R = {
  start: 0x7f0000000000n,
  size: 2 * MiB,
  rss: MiB,
  path: '/usr/lib/libc.so.6',
  category: 'libraries',
};
const STACK: R = {
  start: 0x7ffd00000000n,
  size: 132 * KiB,
  rss: 32 * KiB,
  path: '[stack]',
  category: 'stacks',
};
const BASE = [CODE, HEAP, LIBC, STACK];

/** A pthread stack as glibc maps it: a one-page guard below an 8 MiB - 4 KiB body. */
function threadStack(start: bigint, rss: number): R[] {
  return [
    { start, size: 4 * KiB, perms: '---p', category: 'stacks' },
    { start: start + 4096n, size: 8 * MiB - 4 * KiB, rss, category: 'stacks' },
  ];
}

const at = (iso: string) => ({ capturedAt: iso });

describe('diffSnapshots', () => {
  it("reads a grown heap, a new anonymous region and new thread stacks as the issue's example", () => {
    const a = snapshot(BASE);
    const b = snapshot(
      [
        CODE,
        { ...HEAP, size: 17 * MiB, rss: 12.5 * MiB },
        { start: 0x7f3a1c000000n, size: 180 * MiB, rss: 180 * MiB, category: 'anonymous' },
        ...threadStack(0x7f3b00000000n, 32 * KiB),
        ...threadStack(0x7f3b00800000n, 32 * KiB),
        ...threadStack(0x7f3b01000000n, 32 * KiB),
        LIBC,
        STACK,
      ],
      at('2024-05-01T10:05:12.000Z'),
    );
    const d = diffSnapshots(a, b);
    assert.equal(d.sameProcess, true);
    assert.deepEqual(d.warnings, []);
    assert.equal(d.elapsedSec, 312);
    assert.deepEqual(d.totals.rssBytes, {
      before: a.inspect.rssBytes,
      after: b.inspect.rssBytes,
      delta: 192 * MiB + 96 * KiB,
    });
    assert.equal(d.totals.vszBytes.delta, 180 * MiB + 16 * MiB + 24 * MiB);
    assert.deepEqual(d.totals.swapBytes, { before: 0, after: 0, delta: 0 });
    assert.deepEqual(
      d.regions.map((r) => [r.change, r.start, r.path, r.category, r.sizeDeltaBytes, r.rssDeltaBytes]),
      [
        ['new', '0x7f3a1c000000', '', 'anonymous', 180 * MiB, 180 * MiB],
        ['grown', '0x555500100000', '[heap]', 'heap', 16 * MiB, 12 * MiB],
      ],
    );
    assert.equal(d.regions[0]?.end, '0x7f3a27400000');
    assert.deepEqual(d.threadStacks, {
      before: 1,
      after: 4,
      sizeDeltaBytes: 24 * MiB,
      rssDeltaBytes: 96 * KiB,
    });
    assert.equal(d.hiddenRegions, 0, 'the stacks are counted in threadStacks, not as hidden noise');
    const anon = d.categories.find((c) => c.category === 'anonymous');
    assert.deepEqual(anon, {
      category: 'anonymous',
      label: 'anonymous memory',
      sizeDeltaBytes: 180 * MiB,
      rssDeltaBytes: 180 * MiB,
      pssDeltaBytes: 180 * MiB,
      regionsDelta: 1,
    });
    assert.equal(d.categories.find((c) => c.category === 'stacks')?.regionsDelta, 6);
    assert.deepEqual(
      d.categories.map((c) => c.category),
      CATEGORIES.map((c) => c.category),
    );
    assert.equal(
      d.summary,
      'In 5m12s: RSS +192 MiB (from 1.6 MiB to 194 MiB), PSS +192 MiB, USS +192 MiB, VIRT +220 MiB. ' +
        'What changed: anonymous 7f3a1c000000 (new) +180 MiB RSS; [heap] +12 MiB RSS (+16 MiB VIRT); ' +
        '3 new thread stacks (+24 MiB VIRT, +96 KiB RSS).',
    );
  });

  it('reports a region that went away with negative figures, where it was in A', () => {
    const d = diffSnapshots(snapshot(BASE), snapshot([CODE, HEAP, STACK]));
    assert.deepEqual(d.regions, [
      {
        change: 'gone',
        start: '0x7f0000000000',
        end: '0x7f0000200000',
        path: '/usr/lib/libc.so.6',
        category: 'libraries',
        sizeDeltaBytes: -2 * MiB,
        rssDeltaBytes: -MiB,
        pssDeltaBytes: -MiB,
      },
    ]);
    assert.match(d.summary, /What changed: \/usr\/lib\/libc\.so\.6 \(gone\) -1 MiB RSS \(-2 MiB VIRT\)\.$/);
  });

  it('hides changes under the RSS threshold and counts them, unless the threshold is lowered', () => {
    const b = snapshot([CODE, { ...HEAP, rss: 520 * KiB }, LIBC, STACK]);
    const d = diffSnapshots(snapshot(BASE), b);
    assert.deepEqual(d.regions, []);
    assert.equal(d.hiddenRegions, 1);
    assert.match(
      d.summary,
      /No region changed by 256 KiB of RSS or more\. 1 smaller region change not listed\.$/,
    );
    const all = diffSnapshots(snapshot(BASE), b, { minRssBytes: 4096 });
    assert.deepEqual(
      all.regions.map((r) => [r.change, r.path, r.sizeDeltaBytes, r.rssDeltaBytes]),
      [['grown', '[heap]', 0, 8 * KiB]],
    );
    assert.equal(all.hiddenRegions, 0);
  });

  it('lists identical snapshots as no change at all', () => {
    const d = diffSnapshots(snapshot(BASE), snapshot(BASE));
    assert.deepEqual([d.regions, d.hiddenRegions, d.totals.rssBytes.delta], [[], 0, 0]);
    assert.equal(d.threadStacks.after - d.threadStacks.before, 0);
  });

  it('matches a main stack that grew down by its end, so it is grown rather than new and gone', () => {
    const grown = { ...STACK, start: STACK.start - BigInt(MiB), size: STACK.size + MiB, rss: 2 * MiB };
    const d = diffSnapshots(snapshot(BASE), snapshot([CODE, HEAP, LIBC, grown]));
    assert.deepEqual(
      d.regions.map((r) => [r.change, r.start, r.path, r.sizeDeltaBytes, r.rssDeltaBytes]),
      [['grown', '0x7ffcfff00000', '[stack]', MiB, 2 * MiB - 32 * KiB]],
    );
    assert.deepEqual(d.threadStacks, {
      before: 1,
      after: 1,
      sizeDeltaBytes: MiB,
      rssDeltaBytes: 2 * MiB - 32 * KiB,
    });
  });

  it('lists a large new reservation by its size even with nothing resident', () => {
    const reserve: R = { start: 0x7e0000000000n, size: 1024 * MiB, perms: '---p', category: 'reserved' };
    const d = diffSnapshots(snapshot(BASE), snapshot([...BASE, reserve]));
    assert.equal(d.regions[0]?.change, 'new');
    assert.equal(d.regions[0]?.sizeDeltaBytes, 1024 * MiB);
    assert.match(d.summary, /reserved 7e0000000000 \(new\) \+1 GiB VIRT\./);
  });

  it('sorts by the size of the RSS change, shrinking included, then by address', () => {
    const big: R = { start: 0x7f1000000000n, size: 64 * MiB, rss: 60 * MiB, category: 'anonymous' };
    const d = diffSnapshots(
      snapshot([...BASE, big]),
      snapshot([CODE, { ...HEAP, rss: 1536 * KiB }, LIBC, STACK, { ...big, rss: 10 * MiB }]),
    );
    assert.deepEqual(
      d.regions.map((r) => [r.change, r.category, r.rssDeltaBytes]),
      [
        ['shrunk', 'anonymous', -50 * MiB],
        ['grown', 'heap', MiB],
      ],
    );
    assert.match(d.summary, /RSS -49 MiB/);
  });

  it('names at most five regions in the summary', () => {
    const many: R[] = Array.from({ length: 7 }, (_, i) => ({
      start: 0x7f2000000000n + BigInt(i) * 0x10000000n,
      size: MiB,
      rss: MiB,
      category: 'anonymous',
    }));
    const d = diffSnapshots(snapshot(BASE), snapshot([...BASE, ...many]));
    assert.equal(d.regions.length, 7);
    assert.match(d.summary, /; and 2 more regions\.$/);
  });

  it('flags two different processes, and a pid that was reused, but still compares them', () => {
    const other = diffSnapshots(snapshot(BASE), snapshot(BASE, { pid: 5151, name: 'app2' }));
    assert.equal(other.sameProcess, false);
    assert.match(
      other.warnings[0] ?? '',
      /different processes: A is pid 4242 \(app\) and B is pid 5151 \(app2\)/,
    );
    assert.match(other.summary, /^The snapshots are of different processes/);
    assert.equal(other.b.pid, 5151);
    const restarted = diffSnapshots(snapshot(BASE), snapshot(BASE, { startTimeTicks: 999999 }));
    assert.equal(restarted.sameProcess, false);
    assert.match(restarted.warnings[0] ?? '', /pid 4242 was restarted or reused/);
  });

  it('warns when B is older than A', () => {
    const d = diffSnapshots(snapshot(BASE), snapshot(BASE, at('2024-05-01T09:59:00.000Z')));
    assert.equal(d.elapsedSec, -60);
    assert.match(d.warnings.join('\n'), /B was captured before A/);
  });

  it('keeps an unknown total unknown: a null delta, left out of the summary', () => {
    const b = snapshot(BASE);
    b.inspect = { ...b.inspect, pssBytes: null };
    const d = diffSnapshots(snapshot(BASE), b);
    assert.deepEqual(d.totals.pssBytes, { before: d.totals.pssBytes.before, after: null, delta: null });
    assert.doesNotMatch(d.summary, /PSS/);
  });
});

describe('diffSnapshots rejects what is not a snapshot', () => {
  const good = snapshot(BASE);
  const cases: [string, unknown, RegExp][] = [
    ['null', null, /"snapshot" should be a JSON object with "memlensSnapshot": 1, found null/],
    ['an array', [good], /"snapshot" should be a JSON object .* found \[\{/],
    ['maps --json output', { pid: 1, name: 'x', regions: [] }, /has no "memlensSnapshot" field/],
    [
      'a newer format',
      { ...good, memlensSnapshot: 2 },
      /format 2, written by a newer memlens; this one reads format 1/,
    ],
    ['a version string', { ...good, memlensSnapshot: '1' }, /"memlensSnapshot" should be 1, found "1"/],
    ['no time', { ...good, capturedAt: undefined }, /"capturedAt" should be a string, found nothing/],
    ['a bad time', { ...good, capturedAt: 'yesterday' }, /"capturedAt" should be an ISO 8601 time/],
    ['a pid as text', { ...good, pid: '4242' }, /"pid" should be a whole number, found "4242"/],
    ['no inspect', { ...good, inspect: undefined }, /"inspect" should be an object/],
    [
      'a fractional RSS',
      { ...good, inspect: { ...good.inspect, rssBytes: 1.5 } },
      /"inspect\.rssBytes" should be a whole number or null/,
    ],
    ['no regions', { ...good, regions: undefined }, /"regions" should be an array, found nothing/],
    [
      'a decimal address',
      { ...good, regions: [{ ...good.regions[0], start: '12345' }] },
      /"regions\[0\]\.start" should be a hex address/,
    ],
    [
      'a region without size',
      { ...good, regions: [{ ...good.regions[0], sizeBytes: null }] },
      /"regions\[0\]\.sizeBytes"/,
    ],
  ];
  for (const [what, bad, message] of cases) {
    it(`rejects ${what}, naming which snapshot`, () => {
      for (const which of ['a', 'b'] as const) {
        const run = () => (which === 'a' ? diffSnapshots(bad, good) : diffSnapshots(good, bad));
        assert.throws(run, (err: unknown) => {
          assert.ok(err instanceof SnapshotFormatError, String(err));
          assert.equal(err.which, which);
          assert.match(err.message, message);
          return true;
        });
      }
    });
  }
});

describe('formatElapsed', () => {
  it('shows tenths below a second, then the shared duration format, with a sign when negative', () => {
    const cases: [number, string][] = [
      [0.4, '0.4s'],
      [0, '0s'],
      [3, '3s'],
      [312, '5m12s'],
      [7500, '2h05m'],
      [-60, '-1m00s'],
    ];
    for (const [sec, text] of cases) assert.equal(formatElapsed(sec), text, String(sec));
  });
});

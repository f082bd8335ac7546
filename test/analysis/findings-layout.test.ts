// The address-space findings: VIRT, malloc arenas, V8 and WebAssembly reservations, thread stacks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FindingsInput } from '../../src/analysis/findings.js';
import type { Region } from '../../src/procfs/smaps.js';
import { finding, findingsInput } from '../helpers/findings.js';
import {
  arenaHeap,
  GiB,
  glibcThreadsLayout,
  KiB,
  MiB,
  makeRegion,
  nodeLikeLayout,
  run,
  v8CodeRange,
} from '../helpers/regions.js';

function input(regions: Region[], rest: Partial<FindingsInput> = {}): FindingsInput {
  return findingsInput(regions, rest, '/usr/bin/node');
}

describe('virt-mostly-untouched', () => {
  const id = 'virt-mostly-untouched';
  const totals = (vsz: number, rss: number, swap: number) => ({
    vszBytes: vsz,
    rssBytes: rss,
    swapBytes: swap,
  });

  it('explains a node process and names its largest reservations', () => {
    const f = finding(id, input(nodeLikeLayout(), totals(12 * GiB, 51 * MiB, 0)));
    assert.ok(f);
    assert.equal(f.summary.startsWith('VIRT is 12 GiB, but only 51 MiB (<1%)'), true, f.summary);
    // Untouched: the resident parts (808 KiB of arenas, 1.6 MiB of code ranges) are taken off.
    assert.match(
      f.detail,
      /WebAssembly guard regions \(10 GiB\), V8 code ranges \(1022 MiB\), glibc malloc arenas \(255 MiB\)/,
    );
    assert.equal(f.evidence.untouchedBytes, 12 * GiB - 51 * MiB);
  });

  it('counts swap as touched: just under 25% of VIRT is reported, exactly 25% is not', () => {
    assert.ok(finding(id, input([], totals(4 * GiB, 512 * MiB, 512 * MiB - 1))));
    assert.equal(finding(id, input([], totals(4 * GiB, 512 * MiB, 512 * MiB))), undefined);
  });

  it('needs VIRT of 1 GiB or more', () => {
    assert.ok(finding(id, input([], totals(GiB, MiB, 0))));
    assert.equal(finding(id, input([], totals(GiB - 4096, MiB, 0))), undefined);
  });

  it('is not produced when VIRT, RSS or swap is unknown', () => {
    for (const key of ['vszBytes', 'rssBytes', 'swapBytes'] as const) {
      assert.equal(finding(id, input([], { ...totals(8 * GiB, MiB, 0), [key]: null })), undefined, key);
    }
  });
});

describe('glibc-malloc-arenas', () => {
  const id = 'glibc-malloc-arenas';
  const heaps = (n: number) =>
    Array.from({ length: n }, (_, i) => arenaHeap(0x7f0000000000n + BigInt(i) * 0x4000000n)).flat();

  it('counts the arena heaps of a C program and advises MALLOC_ARENA_MAX', () => {
    const f = finding(id, input(glibcThreadsLayout()));
    assert.ok(f);
    assert.equal(
      f.summary,
      '6 glibc malloc arenas reserve 384 MiB of address space (64 MiB each), of which 48 KiB is resident.',
    );
    assert.equal(f.evidence.heaps, 6);
    assert.equal(f.evidence.reservedBytes, 6 * (64 * MiB - 132 * KiB));
    assert.match(f.advice ?? '', /MALLOC_ARENA_MAX=2/);
    assert.equal(f.severity, 'info');
  });

  it('needs two heaps, and turns to a notice at eight', () => {
    assert.equal(finding(id, input(heaps(1))), undefined);
    assert.equal(finding(id, input(heaps(2)))?.evidence.heaps, 2);
    assert.equal(finding(id, input(heaps(7)))?.severity, 'info');
    assert.equal(finding(id, input(heaps(8)))?.severity, 'notice');
  });

  it('needs exactly 64 MiB at a 64 MiB boundary', () => {
    // The last of three heaps runs 4 KiB past its 64 MiB: two heaps remain.
    const longer = heaps(3).map((r, i) =>
      i === 5 ? { ...r, end: r.end + 4096n, sizeBytes: r.sizeBytes + 4096 } : r,
    );
    const shifted = heaps(2).map((r) => ({ ...r, start: r.start + 0x1000n, end: r.end + 0x1000n }));
    assert.equal(finding(id, input(longer))?.evidence.heaps, 2);
    assert.equal(finding(id, input(shifted)), undefined);
  });

  it('does not take a Go heap arena (no MAP_NORESERVE) or, without VmFlags, a fully rw-p block', () => {
    const go = heaps(2).map((r) => ({ ...r, vmFlags: ['rd', 'wr', 'mr', 'mw', 'me', 'ac'] }));
    const noFlags = heaps(2).map((r) => ({ ...r, vmFlags: [] }));
    const solid = [0, 1].map((i) =>
      makeRegion({
        start: 0x7f0000000000n + BigInt(i) * 0x4000000n,
        end: 0x7f0004000000n + BigInt(i) * 0x4000000n,
      }),
    );
    assert.equal(finding(id, input(go)), undefined);
    assert.equal(finding(id, input(noFlags))?.evidence.heaps, 2);
    assert.equal(finding(id, input(solid)), undefined);
  });
});

describe('v8-code-range', () => {
  const id = 'v8-code-range';

  it('finds one per isolate in a node process', () => {
    const f = finding(id, input(nodeLikeLayout()));
    assert.ok(f);
    assert.equal(f.evidence.codeRanges, 2);
    assert.equal(f.evidence.sizeBytes, GiB);
    assert.match(f.summary, /^2 V8 code ranges reserve 1 GiB of address space/);
  });

  it('finds a range whose code is r-x (W^X) and a 128 MiB range of older V8', () => {
    assert.equal(
      finding(id, input(v8CodeRange(0x7f0000000000n, '/usr/bin/node', 'r-xp')))?.evidence.codeRanges,
      1,
    );
    const old = run(0x7f0000000000n, [
      { size: 512 * KiB, perms: 'rwxp' },
      { size: 128 * MiB - 512 * KiB, perms: '---p' },
    ]);
    const f = finding(id, input(old));
    assert.equal(f?.summary.startsWith('1 V8 code range reserves 128 MiB'), true, f?.summary);
  });

  it('needs an exact size and executable memory next to the reservation', () => {
    const bigger = run(0x7f0000000000n, [
      { size: 512 * KiB, perms: 'rwxp' },
      { size: 512 * MiB - 512 * KiB + 4096, perms: '---p' },
    ]);
    const dataOnly = run(0x7f0000000000n, [
      { size: 512 * KiB, perms: 'rw-p' },
      { size: 512 * MiB - 512 * KiB, perms: '---p' },
    ]);
    assert.equal(finding(id, input(bigger)), undefined);
    assert.equal(finding(id, input(dataOnly)), undefined);
  });
});

describe('wasm-guard-regions', () => {
  const id = 'wasm-guard-regions';
  const memory = (start: bigint, total: number, used = 64 * KiB) =>
    run(start, [
      { size: used, perms: 'rw-p', rssBytes: used },
      { size: total - used, perms: '---p' },
    ]);

  it('finds 8, 10 and 16 GiB reservations', () => {
    for (const size of [8, 10, 16]) {
      const f = finding(id, input(memory(0x7f0000000000n, size * GiB)));
      assert.equal(f?.evidence.sizeBytes, size * GiB, `${size} GiB`);
    }
  });

  it("counts V8's negative guard, memory and guard as one memory", () => {
    const f = finding(id, input(nodeLikeLayout()));
    assert.equal(f?.evidence.memories, 1);
    assert.equal(f?.evidence.sizeBytes, 10 * GiB);
    assert.equal(
      f?.summary,
      '1 WebAssembly memory reserves 10 GiB of address space with guard regions, of which 0 B is resident.',
    );
  });

  it('tells two adjacent 8 GiB memories from one 16 GiB', () => {
    const two = [...memory(0x7f0000000000n, 8 * GiB), ...memory(0x7f0200000000n, 8 * GiB)];
    assert.equal(finding(id, input(two))?.evidence.memories, 2);
  });

  it('needs an exact size, and no more than 4 GiB accessible', () => {
    assert.equal(finding(id, input(memory(0x7f0000000000n, 8 * GiB - 4096))), undefined);
    assert.equal(finding(id, input(memory(0x7f0000000000n, 8 * GiB, 4 * GiB + 4096))), undefined);
    assert.ok(finding(id, input(memory(0x7f0000000000n, 8 * GiB, 4 * GiB))));
  });
});

describe('pointer-compression-cage', () => {
  const id = 'pointer-compression-cage';
  const cage = (start: bigint, firstPerms = 'rw-p') =>
    run(start, [
      { size: 256 * KiB, perms: firstPerms, rssBytes: 256 * KiB },
      { size: 4 * GiB - 512 * KiB, perms: '---p' },
      { size: 256 * KiB, perms: 'rw-p', rssBytes: 4 * KiB },
    ]);

  it('finds a 4 GiB-aligned 4 GiB reservation made of several regions', () => {
    const f = finding(id, input(cage(0x3f00000000n)));
    assert.equal(f?.evidence.cages, 1);
    assert.equal(f?.evidence.rssBytes, 260 * KiB);
  });

  it('needs the 4 GiB alignment, the exact size, and some of it reserved', () => {
    assert.equal(finding(id, input(cage(0x3f00010000n))), undefined);
    const committed = [makeRegion({ start: 0x3f00000000n, end: 0x4000000000n })];
    assert.equal(finding(id, input(committed)), undefined);
    const longer = cage(0x3f00000000n).map((r, i) => (i === 2 ? { ...r, end: r.end + 4096n } : r));
    assert.equal(finding(id, input(longer)), undefined);
  });
});

describe('thread-stacks', () => {
  const id = 'thread-stacks';

  it('compares the stacks of a C program with its threads', () => {
    const f = finding(id, input(glibcThreadsLayout(), { threads: 7 }));
    assert.ok(f);
    assert.equal(f.summary, '7 thread stacks (48 MiB VIRT, 60 KiB resident) for 7 threads.');
    assert.match(f.detail, /6 guard regions \(24 KiB, 6 pages, ---p\)/);
    assert.doesNotMatch(f.detail, /no stack recognized|more stacks than threads/);
    assert.deepEqual([f.evidence.stacks, f.evidence.threads, f.evidence.guards], [7, 7, 6]);
  });

  it('says when threads have no recognizable stack, or stacks outnumber threads', () => {
    assert.match(
      finding(id, input(glibcThreadsLayout(), { threads: 9 }))?.detail ?? '',
      /2 threads have no stack/,
    );
    assert.match(
      finding(id, input(glibcThreadsLayout(), { threads: 5 }))?.detail ?? '',
      /more stacks than threads/,
    );
  });

  it('leaves the comparison out when Threads is unknown', () => {
    const f = finding(id, input(glibcThreadsLayout()));
    assert.equal(f?.summary, '7 thread stacks (48 MiB VIRT, 60 KiB resident).');
    assert.equal(f?.evidence.threads, null);
  });

  it('needs a stack besides the main one', () => {
    const main = makeRegion({ path: '[stack]', vmFlags: ['gd'] });
    assert.equal(finding(id, input([main], { threads: 1 })), undefined);
  });
});

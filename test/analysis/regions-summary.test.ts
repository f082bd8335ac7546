// Sums per category and the largest regions, over categorized regions.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CATEGORIES,
  categorizeRegions,
  summarizeCategories,
  topRegions,
} from '../../src/analysis/regions.js';
import { makeRegion, nodeLikeLayout } from '../helpers/regions.js';

describe('summarizeCategories', () => {
  it('sums each category, private and shared including hugetlb, and lists every category', () => {
    const regions = categorizeRegions(
      [
        makeRegion({
          start: 0x1000n,
          end: 0x5000n,
          path: '[heap]',
          rssBytes: 12288,
          pssBytes: 10240,
          privateCleanBytes: 1024,
          privateDirtyBytes: 4096,
          privateHugetlbBytes: 2048,
          sharedCleanBytes: 512,
          sharedDirtyBytes: 256,
          sharedHugetlbBytes: 128,
          swapBytes: 4096,
        }),
        makeRegion({
          start: 0x5000n,
          end: 0x6000n,
          path: '[heap]',
          rssBytes: 4096,
          pssBytes: 4096,
          privateDirtyBytes: 4096,
        }),
        makeRegion({ start: 0x9000n, end: 0xa000n, rssBytes: 4096 }),
      ],
      { exePath: null },
    );
    const summary = summarizeCategories(regions);
    assert.deepEqual(
      summary.map((s) => s.category),
      CATEGORIES.map((c) => c.category),
    );
    assert.deepEqual(
      summary.find((s) => s.category === 'heap'),
      {
        category: 'heap',
        label: 'heap',
        regions: 2,
        sizeBytes: 0x5000,
        rssBytes: 16384,
        pssBytes: 14336,
        privateBytes: 1024 + 4096 + 2048 + 4096,
        sharedBytes: 512 + 256 + 128,
        swapBytes: 4096,
      },
    );
    assert.equal(summary.find((s) => s.category === 'anonymous')?.rssBytes, 4096);
    assert.deepEqual(
      summary.find((s) => s.category === 'kernel'),
      {
        category: 'kernel',
        label: 'kernel-provided',
        regions: 0,
        sizeBytes: 0,
        rssBytes: 0,
        pssBytes: 0,
        privateBytes: 0,
        sharedBytes: 0,
        swapBytes: 0,
      },
    );
  });

  it('adds up to the whole of a real layout', () => {
    const regions = categorizeRegions(nodeLikeLayout(), { exePath: '/usr/bin/node' });
    const summary = summarizeCategories(regions);
    const total = (key: 'sizeBytes' | 'rssBytes') => regions.reduce((s, r) => s + r[key], 0);
    assert.equal(
      summary.reduce((s, c) => s + c.sizeBytes, 0),
      total('sizeBytes'),
    );
    assert.equal(
      summary.reduce((s, c) => s + c.rssBytes, 0),
      total('rssBytes'),
    );
    assert.equal(
      summary.reduce((s, c) => s + c.regions, 0),
      regions.length,
    );
  });
});

describe('topRegions', () => {
  const regions = [
    makeRegion({ start: 0x3000n, end: 0x5000n, rssBytes: 4096 }),
    makeRegion({ start: 0x1000n, end: 0x2000n, rssBytes: 4096 }),
    makeRegion({ start: 0x9000n, end: 0xc000n, rssBytes: 0 }),
    makeRegion({ start: 0x7000n, end: 0x8000n, rssBytes: 8192 }),
  ];

  it('orders by Size, then by address', () => {
    assert.deepEqual(
      topRegions(regions, 'size').map((r) => r.start),
      [0x9000n, 0x3000n, 0x1000n, 0x7000n],
    );
  });

  it('orders by RSS, then by address, and keeps n', () => {
    assert.deepEqual(
      topRegions(regions, 'rss', 2).map((r) => r.start),
      [0x7000n, 0x1000n],
    );
    assert.deepEqual(topRegions(regions, 'rss', 0), []);
  });

  it('returns 10 by default and does not reorder its input', () => {
    const many = Array.from({ length: 12 }, (_, i) =>
      makeRegion({ start: BigInt(i) * 0x10000n, end: BigInt(i) * 0x10000n + BigInt((i + 1) * 4096) }),
    );
    assert.equal(topRegions(many, 'size').length, 10);
    assert.equal(topRegions(many, 'size')[0]?.start, 0xb0000n);
    assert.equal(many[0]?.start, 0n);
  });
});

// The pure parts of the lab: tolerances and how they read, the --size parser, the step renderer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSize } from '../../src/cli/commands/demo.js';
import { UsageError } from '../../src/cli/errors.js';
import {
  atLeast,
  atMost,
  between,
  describeExpectation,
  exactly,
  reading,
  within,
} from '../../src/lab/expect.js';
import { renderStep, wrap } from '../../src/lab/render.js';

const MiB = 1024 * 1024;

test('within: the larger of the relative and the absolute slack, in words', () => {
  assert.deepEqual(within(100 * MiB, { relative: 0.01, absolute: 256 * 1024 }), {
    expected: 100 * MiB,
    min: 99 * MiB,
    max: 101 * MiB,
    tolerance: '±1% (at least 256 KiB)',
  });
  const small = within(1 * MiB, { relative: 0.01, absolute: 256 * 1024 });
  assert.equal(small.max - small.expected, 256 * 1024);
  assert.equal(within(-8 * MiB, { absolute: 64 * 1024 }).min, -8 * MiB - 64 * 1024);
  assert.equal(within(5, {}, 'count').tolerance, 'exactly');
  assert.equal(within(1000, { relative: 0.02 }, 'count').tolerance, '±2%');
});

test('a reading is met when its change (or value after) lies in the range, never when unknown', () => {
  const r = reading('rssBytes', 'RSS', 'bytes', '/proc/1/status VmRSS', 1, 10 * MiB, 20 * MiB);
  assert.equal(r.change(within(10 * MiB, { absolute: 1 })).build().expectation?.met, true);
  assert.equal(r.change(within(9 * MiB, { absolute: 1 })).build().expectation?.met, false);
  assert.equal(r.after(exactly(20 * MiB)).build().expectation?.met, true);
  const built = reading('x', 'x', 'count', 's', null, null, 5).change(atMost(10)).build();
  assert.equal(built.change, null);
  assert.equal(built.expectation?.met, false);
  assert.equal(reading('x', 'x', 'count', 's', null, 0, 3).build().expectation, null);
});

test('the expected column: signed for a change, "=" for a value to reach', () => {
  const show = (b: ReturnType<typeof reading>) => {
    const r = b.build();
    return describeExpectation(r.expectation as NonNullable<typeof r.expectation>, r.unit);
  };
  const bytes = reading('b', 'b', 'bytes', 's', null, 0, 0);
  const count = reading('c', 'c', 'count', 's', null, 0, 0);
  assert.equal(show(bytes.change(within(500 * MiB, { relative: 0.01 }))), '+500 MiB ±5 MiB');
  assert.equal(show(bytes.change(within(-500 * MiB, { absolute: 64 * 1024 }))), '-500 MiB ±64 KiB');
  assert.equal(show(bytes.after(within(8 * MiB, { absolute: 64 * 1024 }))), '= 8 MiB ±64 KiB');
  assert.equal(show(bytes.after(exactly(0))), '= 0');
  assert.equal(show(count.change(exactly(1))), '+1');
  assert.equal(show(count.change(atMost(64))), '≤ +64');
  assert.equal(show(count.after(atMost(163))), '≤ 163');
  assert.equal(show(count.change(atLeast(16056))), '≥ +16,056');
  assert.equal(show(count.change(between(1, 2048))), '+1 to +2,048');
  assert.equal(show(count.change(within(128000, { relative: 0.01 }, 'count'))), '+128,000 ±1,280');
});

test('--size: binary units, rounded up to whole 64 KiB; anything else is a usage error', () => {
  assert.equal(parseSize('500M'), 500 * MiB);
  assert.equal(parseSize('16MiB'), 16 * MiB);
  assert.equal(parseSize('1g'), 1024 * MiB);
  assert.equal(parseSize('1.5G'), 1536 * MiB);
  assert.equal(parseSize('64k'), 64 * 1024);
  assert.equal(parseSize('1000'), 64 * 1024);
  assert.equal(parseSize('100KB'), 128 * 1024);
  for (const bad of ['', 'M', '-1M', '0', '12X', '1e9', 'lots']) {
    assert.throws(() => parseSize(bad), UsageError, bad);
  }
});

test('a step renders as aligned columns with ✓ and ✗, then its explanation and notes', () => {
  const text = renderStep({
    step: 2,
    action: 'write one byte to each page',
    readings: [
      reading('rssBytes', 'RSS', 'bytes', '/proc/7/status VmRSS', 7, MiB, 501 * MiB)
        .change(within(500 * MiB, { relative: 0.01 }))
        .build(),
      reading('minorFaults', 'minor faults', 'count', '/proc/7/stat minflt', 7, 100, 100)
        .change(atLeast(1))
        .build(),
      reading(
        'anonHugePagesBytes',
        'AnonHugePages',
        'bytes',
        '/proc/7/smaps AnonHugePages',
        7,
        null,
        0,
      ).build(),
    ],
    explanation: 'Each first touch is a minor fault.',
    notes: ['No huge pages.'],
    pids: [7],
  });
  assert.equal(
    text,
    [
      'Step 2: write one byte to each page',
      '                   BEFORE    AFTER    CHANGE  EXPECTED            FROM',
      '    RSS             1 MiB  501 MiB  +500 MiB  +500 MiB ±5 MiB  ✓  /proc/7/status VmRSS',
      '    minor faults      100      100         0  ≥ +1             ✗  /proc/7/stat minflt',
      '    AnonHugePages       -        0                                /proc/7/smaps AnonHugePages',
      '    Each first touch is a minor fault.',
      '    Note: No huge pages.',
      '',
    ].join('\n'),
  );
});

test('explanations wrap at 100 columns and never split a size from its unit', () => {
  // "64" alone would still fit on the first line (99 columns); "64 MiB." would not.
  const long = 'x'.repeat(88);
  assert.deepEqual(wrap(`${long} use 64 MiB.`, '    ').split('\n'), [`    ${long} use`, '    64 MiB.']);
  for (const line of wrap('a '.repeat(200), '  ').split('\n')) assert.ok(line.length <= 100);
});

// The dashboard's number formatting (web/src/format.ts): IEC units, unknown as "–" and never 0.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bytes,
  count,
  duration,
  perSec,
  psiPercent,
  rate,
  signedBytes,
  UNKNOWN,
} from '../../web/src/format.js';

test('sizes are in IEC units with three significant digits', () => {
  const cases: [number, string][] = [
    [0, '0 B'],
    [1, '1 B'],
    [1023, '1023 B'],
    [1024, '1.00 KiB'],
    [1536, '1.50 KiB'],
    [52 * 1024 * 1024, '52.0 MiB'],
    [1.2 * 1024 ** 3, '1.20 GiB'],
    [16 * 1024 ** 3, '16.0 GiB'],
    [300 * 1024 ** 4, '300 TiB'],
    [-2048, '-2.00 KiB'],
  ];
  for (const [v, want] of cases) assert.equal(bytes(v), want, String(v));
  assert.equal(signedBytes(1024 * 1024), '+1.00 MiB');
  assert.equal(signedBytes(0), '0 B');
});

test('unknown values are shown as "–", never as 0', () => {
  for (const f of [bytes, signedBytes, rate, duration, count, perSec, psiPercent]) {
    assert.equal(f(null), UNKNOWN);
    assert.equal(f(undefined), UNKNOWN);
    assert.equal(f(Number.NaN), UNKNOWN);
  }
  assert.equal(UNKNOWN, '–');
});

test('growth rates pick a time unit that keeps the number readable', () => {
  assert.equal(rate(1024 * 1024), '+1.00 MiB/s');
  assert.equal(rate(2048), '+2.00 KiB/s');
  assert.equal(rate(100), '+5.86 KiB/min');
  assert.equal(rate(1), '+3.52 KiB/h');
  assert.equal(rate(0.001), '+86 B/d');
  assert.equal(rate(-1024 * 1024), '-1.00 MiB/s');
});

test('durations use the two largest units', () => {
  assert.equal(duration(0), '0 s');
  assert.equal(duration(45), '45 s');
  assert.equal(duration(200), '3 min 20 s');
  assert.equal(duration(3600), '1 h');
  assert.equal(duration(5 * 3600 + 12 * 60 + 7), '5 h 12 min');
  assert.equal(duration(2 * 86400 + 4 * 3600), '2 d 4 h');
});

test('rates and pressure', () => {
  assert.equal(perSec(0), '0/s');
  assert.equal(perSec(262), '262/s');
  assert.equal(perSec(1500), '1.50k/s');
  assert.equal(psiPercent(0.5), '0.50%');
  assert.equal(count(12345), '12,345');
});

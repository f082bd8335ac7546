// Exact number parsing and the "no limit" model.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  isUnlimited,
  limitBytes,
  pagesToBytes,
  parseHex,
  parseI64,
  parseSafeUint,
  parseU64,
  UNLIMITED_AT,
} from '../../src/procfs/numbers.js';
import { tableTests } from './_assert.js';

const P = '/proc/42/x';

tableTests('parseU64', P, (t) => parseU64(t, P), [
  ['zero', '0', 0n],
  ['2^64-1 exactly', '18446744073709551615', 2n ** 64n - 1n],
  ['leading zeros', '007', 7n],
  ['negative', '-1', 'error'],
  ['plus sign', '+1', 'error'],
  ['hex', '0x10', 'error'],
  ['spaces', ' 1', 'error'],
  ['empty', '', 'error'],
]);

tableTests('parseI64', P, (t) => parseI64(t, P), [
  ['int64 min', '-9223372036854775808', -(2n ** 63n)],
  ['int64 max', '9223372036854775807', 2n ** 63n - 1n],
  ['a lone minus', '-', 'error'],
  ['a decimal', '1.0', 'error'],
]);

tableTests('parseSafeUint', P, (t) => parseSafeUint(t, P), [
  ['small', '4096', 4096],
  ['2^53-1', '9007199254740991', Number.MAX_SAFE_INTEGER],
  ['2^53', '9007199254740992', 'error'],
  ['2^64-1', '18446744073709551615', 'error'],
  ['15 digits', '999999999999999', 999999999999999],
  ['not digits', '12a', 'error'],
]);

tableTests('parseHex', P, (t) => parseHex(t, P), [
  ['vsyscall', 'ffffffffff601000', 0xffffffffff601000n],
  ['upper case', 'DEADBEEF', 0xdeadbeefn],
  ['a prefix', '0xff', 'error'],
  ['empty', '', 'error'],
]);

test('limitBytes: past 2^53 bytes is unlimited (Infinity), so a limit is always an exact number', () => {
  assert.equal(limitBytes(2n ** 64n - 1n), Infinity);
  assert.equal(limitBytes(9223372036854771712n), Infinity, 'v1 PAGE_COUNTER_MAX * 4096');
  assert.equal(limitBytes(UNLIMITED_AT), Infinity);
  assert.equal(limitBytes(UNLIMITED_AT - 4096n), Number(UNLIMITED_AT - 4096n));
  assert.equal(limitBytes(2147483648n), 2147483648);
  assert.equal(limitBytes(BigInt(Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER);
  assert.equal(limitBytes(2n ** 53n + 1n), Infinity, 'would round to 2^53 as a number');
  assert.ok(isUnlimited(limitBytes(2n ** 63n)));
  assert.ok(!isUnlimited(limitBytes(0n)));
  assert.equal(JSON.stringify({ limit: Infinity }), '{"limit":null}', 'unlimited serialises to null');
});

test('pagesToBytes: exact, or null when beyond 2^53', () => {
  assert.equal(pagesToBytes(12547n, 4096), 12547 * 4096);
  assert.equal(pagesToBytes(2n ** 64n - 1n, 4096), null);
  assert.equal(pagesToBytes(BigInt(Number.MAX_SAFE_INTEGER), 1), Number.MAX_SAFE_INTEGER);
  assert.equal(pagesToBytes(BigInt(Number.MAX_SAFE_INTEGER), 2), null);
});

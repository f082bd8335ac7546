// The bounds on hostile input: the depth count agrees with the real nesting of any JSON value
// (brackets in strings, escaped quotes included), and reading stops one byte past the limit.
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { JsonDepthError, jsonDepth, parseBoundedJson, readAtMost } from '../../src/files/bounded-input.js';

/** The nesting of a parsed value, the way the text spells it. */
function depthOf(v: unknown): number {
  if (Array.isArray(v)) return 1 + Math.max(0, ...v.map(depthOf));
  if (v !== null && typeof v === 'object') return 1 + Math.max(0, ...Object.values(v).map(depthOf));
  return 0;
}

// Strings made of the characters that could confuse a scanner.
const tricky = fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a', ' ') });

test('jsonDepth is the nesting of any JSON value, whatever its strings hold', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 8 }), fc.array(tricky), (value, strings) => {
      const doc = [value, ...strings];
      const text = JSON.stringify(doc);
      assert.equal(jsonDepth(text), depthOf(JSON.parse(text)));
    }),
  );
});

test('parseBoundedJson: 64 levels parse, 65 are a JsonDepthError (a SyntaxError)', () => {
  assert.deepEqual(
    parseBoundedJson(`${'['.repeat(64)}${']'.repeat(64)}`),
    JSON.parse(`${'['.repeat(64)}${']'.repeat(64)}`),
  );
  assert.throws(
    () => parseBoundedJson(`${'['.repeat(65)}${']'.repeat(65)}`),
    (err: Error) => err instanceof JsonDepthError && err instanceof SyntaxError,
  );
});

test('readAtMost reads a whole file within the limit and stops one byte past it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memlens-bounded-'));
  try {
    const path = join(dir, 'f');
    writeFileSync(path, 'x'.repeat(10));
    for (const [limit, complete, length] of [
      [10, true, 10],
      [100, true, 10],
      [9, false, 10],
      [3, false, 4],
    ] as const) {
      const fd = openSync(path, 'r');
      try {
        const read = readAtMost(fd, limit);
        assert.deepEqual([read.complete, read.bytes.length], [complete, length], `limit ${limit}`);
      } finally {
        closeSync(fd);
      }
    }
    const zero = openSync('/dev/zero', 'r');
    try {
      assert.deepEqual(readAtMost(zero, 3 * 1024 * 1024).bytes.length, 3 * 1024 * 1024 + 1);
    } finally {
      closeSync(zero);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

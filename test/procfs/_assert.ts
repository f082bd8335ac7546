// Assertions shared by the parser tests.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProcParseError } from '../../src/procfs/errors.js';

/** `fn` throws a ProcParseError whose message names `path` (and matches `pattern`, if given). */
export function assertParseError(fn: () => unknown, path: string, pattern?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ProcParseError, `expected a ProcParseError, got ${String(err)}`);
    assert.ok(err instanceof SyntaxError, 'ProcParseError is a SyntaxError');
    assert.equal(err.path, path);
    assert.ok(err.message.includes(`"${path}"`), `the message names the path: ${err.message}`);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

/** A table row: a description, the input, and the expected value or 'error' (a ProcParseError). */
export type Row<T> = [name: string, input: string, expected: T | 'error'];

/**
 * One test per row: `parse(input)` deep-equals the expected value, or throws a ProcParseError
 * that names `path` when the row expects 'error'.
 */
export function tableTests<T>(title: string, path: string, parse: (text: string) => T, rows: Row<T>[]): void {
  describe(title, () => {
    for (const [name, input, expected] of rows) {
      test(name, () => {
        if (expected === 'error') assertParseError(() => parse(input), path);
        else assert.deepEqual(parse(input), expected);
      });
    }
  });
}

// Shared by the corpora tests: where the copied corpora live, reading their files, and reading
// the expected-value JSON without losing the integers at 2^53 and above.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createProcFs, type ProcFs } from '../../src/procfs/fs.js';

export const CORPORA = fileURLToPath(new URL('../fixtures/corpora/', import.meta.url));

/** Text of a corpora file, path relative to test/fixtures/corpora/. */
export function corpusText(rel: string): string {
  return readFileSync(CORPORA + rel, 'utf8');
}

/** A ProcFs rooted in a corpora folder (e.g. "procfs", "elastic-cgroup/docker"). */
export function corpusFs(rel: string): ProcFs {
  return createProcFs(CORPORA + rel);
}

const BIG = '__exact_int__:';

/**
 * JSON.parse, except that integers beyond Number.MAX_SAFE_INTEGER become bigint. Node 20's
 * reviver has no access to the source text, so such literals are first turned into tagged
 * strings. Only number tokens are touched: a literal counts when it follows ":", "[" or ",".
 * Inside a JSON string a digit run is preceded by other text (the corpora's notes say
 * "max -> 18446744073709551615"), so it does not match.
 */
export function parseJsonExact(text: string): unknown {
  const tagged = text.replace(/([:[,]\s*)(-?\d{16,})(?=\s*[,\]}])/g, (_m, lead: string, digits: string) => {
    return `${lead}"${BIG}${digits}"`;
  });
  return JSON.parse(tagged, (_key, value: unknown) => {
    if (typeof value === 'string' && value.startsWith(BIG)) {
      const big = BigInt(value.slice(BIG.length));
      const safe = big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= -BigInt(Number.MAX_SAFE_INTEGER);
      return safe ? Number(big) : big;
    }
    // A number that JSON.parse rounded would mean the regex above missed a literal.
    if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) {
      throw new Error(`unsafe integer ${value} reached JSON.parse: the exact reader missed it`);
    }
    return value;
  });
}

export type Json = null | boolean | number | bigint | string | Json[] | { [key: string]: Json };

export interface ExpectedFile {
  _meta?: Json;
  fixtures: Record<string, Record<string, Json>>;
}

export function loadExpected(name: 'procfs-expected.json' | 'external-expected.json'): ExpectedFile {
  return parseJsonExact(corpusText(name)) as ExpectedFile;
}

/** The `value` of an expectation object ({value, unit, test, ...}). */
export function expectedValue(entry: Json): Json {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry) || !('value' in entry)) {
    throw new Error(`expected an object with "value", found ${JSON.stringify(entry, bigReplacer)}`);
  }
  return entry.value as Json;
}

export function bigReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value}n` : value;
}

/** Thrown by a checker for a key it does not know: the entry is then neither checked nor skipped. */
export class NotChecked extends Error {}

/** A checker for one fixture: verifies `key`'s expectation or throws NotChecked. */
export type Checker = (key: string, payload: Json) => void;

// Keys that describe a fixture rather than expect a value of it.
const DESCRIPTIVE = new Set(['source', 'test', 'rule', 'unit', 'input']);

export interface Expectation {
  fixture: string;
  /** The key in the fixture's object; "group.sub" for an expanded group. */
  key: string;
  payload: Json;
}

/**
 * Every expectation of an expected-value file. Keys starting with "_" are notes (the corpora
 * README's convention) and descriptive strings (source, test, rule, unit, input) are not values.
 * With `expandGroups`, a key holding an object of sub-entries (external-expected.json's "fields",
 * "memory.stat", "files", ...) yields one expectation per sub-entry.
 */
export function expectationsOf(file: ExpectedFile, expandGroups: boolean): Expectation[] {
  const out: Expectation[] = [];
  for (const [fixture, entries] of Object.entries(file.fixtures)) {
    for (const [key, payload] of Object.entries(entries)) {
      if (key.startsWith('_')) continue;
      if (DESCRIPTIVE.has(key) && typeof payload === 'string') continue;
      const isGroup =
        expandGroups &&
        payload !== null &&
        typeof payload === 'object' &&
        !Array.isArray(payload) &&
        !('value' in payload);
      if (isGroup) {
        for (const [sub, subPayload] of Object.entries(payload as Record<string, Json>)) {
          out.push({ fixture, key: `${key}.${sub}`, payload: subPayload });
        }
      } else {
        out.push({ fixture, key, payload });
      }
    }
  }
  return out;
}

/**
 * Runs every expectation as its own test: checked by `checkers[fixture]`, or skipped with the
 * reason in `skipped[fixture][key]`. An expectation that is neither fails, and so does a skip
 * entry that names nothing in the file (the list must not outlive the data it describes).
 */
export function runExpectations(
  file: ExpectedFile,
  expandGroups: boolean,
  checkers: Record<string, Checker>,
  skipped: Record<string, Record<string, string>>,
): { checked: number; skipped: number } {
  const all = expectationsOf(file, expandGroups);
  const counts = { checked: 0, skipped: 0 };
  const byFixture = new Map<string, Expectation[]>();
  for (const e of all) byFixture.set(e.fixture, [...(byFixture.get(e.fixture) ?? []), e]);
  for (const [fixture, list] of byFixture) {
    describe(fixture, () => {
      for (const e of list) {
        const reason = skipped[fixture]?.[e.key];
        if (reason !== undefined) {
          counts.skipped++;
          test(e.key, { skip: reason }, () => {});
          continue;
        }
        counts.checked++;
        test(e.key, () => {
          const checker = checkers[fixture];
          if (!checker) throw new Error(`${fixture} :: ${e.key} is neither checked nor skipped`);
          try {
            checker(e.key, e.payload);
          } catch (err) {
            if (err instanceof NotChecked) {
              throw new Error(`${fixture} :: ${e.key} is neither checked nor skipped`);
            }
            throw err;
          }
        });
      }
    });
  }
  test('the skip list names only entries that exist', () => {
    const ids = new Set(all.map((e) => `${e.fixture} :: ${e.key}`));
    for (const [fixture, keys] of Object.entries(skipped)) {
      for (const key of Object.keys(keys)) {
        assert.ok(ids.has(`${fixture} :: ${key}`), `skipped "${fixture} :: ${key}" is not in the file`);
      }
    }
  });
  test('every fixture of the file has a checker or is wholly skipped', () => {
    for (const [fixture, list] of byFixture) {
      const allSkipped = list.every((e) => skipped[fixture]?.[e.key] !== undefined);
      assert.ok(allSkipped || checkers[fixture] !== undefined, `${fixture} has no checker`);
    }
  });
  return counts;
}

/** Compares a number from the JSON (number or bigint) with ours, exactly. */
export function assertExact(actual: number | bigint | null, expected: Json, what: string): void {
  if (typeof expected === 'bigint') {
    assert.equal(typeof actual, 'bigint', `${what}: ${expected} needs a bigint, found ${typeof actual}`);
    assert.equal(actual, expected, what);
    return;
  }
  assert.equal(typeof expected, 'number', `${what}: the JSON holds ${JSON.stringify(expected)}`);
  if (typeof actual === 'bigint') assert.equal(actual, BigInt(expected as number), what);
  else assert.equal(actual, expected, what);
}

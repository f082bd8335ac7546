// What `memlens diff` does with inputs that are not snapshots but try to exhaust it: a device
// that never ends, a file larger than any snapshot, and JSON nested deep enough to overflow
// V8's recursive parser. Each is refused with exit 2 and one line; a real snapshot still diffs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CLI, runCli } from '../helpers/cli.js';

let dir: string;
let snapshot: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'memlens-diff-inputs-'));
  snapshot = join(dir, 'a.json');
  // The test process itself: any live process makes a snapshot.
  const r = await runCli(['snapshot', String(process.pid), '-o', snapshot]);
  assert.equal(r.code, 0, r.stderr);
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** Asserts exit 2 and one line of stderr matching `message`. */
async function refused(args: string[], message: RegExp): Promise<void> {
  const r = await runCli(args);
  assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}, ${r.stderr.slice(0, 300)}`);
  assert.match(r.stderr, message);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr.slice(0, 300));
}

test('a real snapshot still diffs against itself', async () => {
  const r = await runCli(['diff', snapshot, snapshot]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Summary/);
});

test('/dev/zero is read only up to the limit, then refused as too large', async () => {
  await refused(
    ['diff', snapshot, '/dev/zero'],
    /^memlens: "\/dev\/zero" is not a memlens snapshot: it is larger than 64 MiB$/m,
  );
});

test('a pipe that never ends is read only up to the limit', async () => {
  // A shell's pipe (Node's own 'pipe' stdio is a socket, which /dev/stdin cannot open): `yes`
  // writes forever, and ends when memlens closes its side.
  const memlens = spawn(
    'sh',
    ['-c', 'yes [ | "$0" "$@"', process.execPath, CLI, 'diff', snapshot, '/dev/stdin'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  memlens.stderr.on('data', (d) => {
    stderr += d;
  });
  const code = await new Promise<number | null>((r) => memlens.on('close', r));
  assert.equal(code, 2, stderr);
  assert.match(stderr, /^memlens: "\/dev\/stdin" is not a memlens snapshot: it is larger than 64 MiB$/m);
});

test('a sparse file larger than the limit is refused unread', async () => {
  const big = join(dir, 'sparse.json');
  writeFileSync(big, '');
  truncateSync(big, 1.5 * 1024 ** 3);
  await refused(
    ['diff', big, snapshot],
    /"[^"]*sparse\.json" is not a memlens snapshot: it is larger than 64 MiB/,
  );
});

test('100,000 nested brackets are "not a snapshot", not a stack overflow', async () => {
  const deep = join(dir, 'deep.json');
  writeFileSync(deep, '['.repeat(100_000));
  await refused(
    ['diff', snapshot, deep],
    /"[^"]*deep\.json" is not a memlens snapshot: it nests arrays and objects more than 64 levels deep/,
  );
  // Valid JSON, closed as deep as it opens: refused the same way.
  const valid = join(dir, 'deep-valid.json');
  writeFileSync(valid, `${'['.repeat(100_000)}${']'.repeat(100_000)}`);
  await refused(['diff', valid, snapshot], /deep-valid\.json" is not a memlens snapshot: it nests/);
  // Brackets inside a string are text, not nesting: this is JSON, just not a snapshot.
  const inString = join(dir, 'in-string.json');
  writeFileSync(inString, JSON.stringify({ text: '['.repeat(100_000), quote: '\\"[' }));
  await refused(
    ['diff', inString, snapshot],
    /in-string\.json" is not a memlens snapshot: it has no "memlensSnapshot"/,
  );
});

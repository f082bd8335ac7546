// memoryBudget's heap snapshot in a folder others can write to: a link planted at the file's
// name (heap-PID-MS.heapsnapshot, predictable) is replaced by the snapshot, never written through.
import assert from 'node:assert/strict';
import {
  chmodSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { memoryBudget } from '../../src/runtime/index.js';

test('a symlink planted at the snapshot name is not followed; the snapshot lands as a file of its own', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memlens-budget-snap-'));
  chmodSync(dir, 0o1777);
  const victim = join(dir, 'victim');
  writeFileSync(victim, 'precious\n');
  try {
    // Every name the next two seconds could give: the budget names the file after Date.now().
    const from = Date.now();
    for (let t = from; t < from + 2000; t++)
      symlinkSync(victim, join(dir, `heap-${process.pid}-${t}.heapsnapshot`));
    const budget = memoryBudget({
      limit: () => process.memoryUsage().rss / 0.97,
      intervalMs: 60_000,
      heapSnapshot: { dir, threshold: 0.9 },
    });
    let written: string | null = null;
    budget.on('snapshot', (e: { path: string | null; error: unknown }) => {
      assert.equal(e.error, null);
      written = e.path;
    });
    budget.check();
    budget.stop();
    assert.ok(written, 'a snapshot was taken');
    assert.ok(Date.now() < from + 2000, 'the snapshot was named within the planted range');
    assert.equal(readFileSync(victim, 'utf8'), 'precious\n', 'the link target is untouched');
    const st = lstatSync(written);
    assert.ok(st.isFile(), 'the snapshot replaced the link with a regular file');
    assert.equal(st.mode & 0o077, 0, 'owner only');
    assert.match(readFileSync(written, 'utf8').slice(0, 20), /^\{"snapshot":/);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.startsWith('.heap-')),
      [],
      'no private work folder is left behind',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

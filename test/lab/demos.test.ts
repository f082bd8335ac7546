// Each demo run for real (memlens demo NAME --json --size small), its numbers checked against the
// size asked for and the tolerances the demo states, every expectation met, and nothing left behind.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DemoReport } from '../../src/lab/types.js';
import { CLI, runCli, runJson } from '../helpers/cli.js';
import { checkReport, find, leftoverFolders, MiB, noCgroup, noCompiler } from './_lab.js';

const SIZE = 16 * MiB;
const PAGE = 4096;

test('reserve: VIRT rises by the size and RSS does not; touching costs one minor fault per page', async (t) => {
  const why = noCompiler();
  if (why) return t.skip(why);
  const r = await runJson<DemoReport>(['demo', 'reserve', '--size', '16M']);
  checkReport(r, 'reserve', SIZE);
  assert.equal(r.pageSizeBytes, PAGE);
  const pages = SIZE / PAGE;
  assert.ok(Math.abs((find(r, 1, 'vszBytes').change as number) - SIZE) <= 64 * 1024);
  assert.ok(Math.abs(find(r, 1, 'rssBytes').change as number) <= 256 * 1024);
  assert.ok(Math.abs((find(r, 2, 'rssBytes').change as number) - SIZE) <= SIZE * 0.01 + 256 * 1024);
  // THP is "madvise" here: no huge pages unless asked for, so exactly one fault per page.
  const huge = find(r, 2, 'anonHugePagesBytes');
  const faults = find(r, 2, 'minorFaults');
  if ((huge.after ?? 0) === 0)
    assert.ok(Math.abs((faults.change as number) - pages) <= 64, `${faults.change}`);
  assert.ok(Math.abs((find(r, 3, 'vszBytes').change as number) + SIZE) <= 64 * 1024);
  assert.ok(Math.abs((find(r, 3, 'rssBytes').change as number) + SIZE) <= SIZE * 0.01 + 256 * 1024);
});

test('reserve --thp: with huge pages the faults are counted per 2 MiB, and the note says so', async (t) => {
  const why = noCompiler();
  if (why) return t.skip(why);
  const r = await runJson<DemoReport>(['demo', 'reserve', '--size', '16M', '--thp']);
  checkReport(r, 'reserve', SIZE);
  const huge = (find(r, 2, 'anonHugePagesBytes').change as number) ?? 0;
  const faults = find(r, 2, 'minorFaults').change as number;
  // What the kernel can give depends on free 2 MiB blocks: the count must follow what it gave.
  const expected = (SIZE - huge) / PAGE + huge / (2 * MiB);
  assert.ok(Math.abs(faults - expected) <= expected * 0.01 + 64, `${faults} faults, expected ${expected}`);
  if (huge > 0) {
    assert.ok(faults < SIZE / PAGE / 2, `${faults} faults for ${huge} bytes of huge pages`);
    assert.match(r.steps[1]?.notes.join(' ') ?? '', /transparent huge pages/);
  }
});

test('faults: one major fault per page from disk, none from the cache, minor ones for fresh memory', async (t) => {
  const why = noCompiler();
  if (why) return t.skip(why);
  const r = await runJson<DemoReport>(['demo', 'faults', '--size', '4M']);
  checkReport(r, 'faults', 4 * MiB);
  const pages = (4 * MiB) / PAGE;
  assert.ok(Math.abs((find(r, 2, 'majorFaults').change as number) - pages) <= pages * 0.02 + 2);
  assert.equal(find(r, 3, 'majorFaults').change, 0);
  assert.ok((find(r, 3, 'minorFaults').change as number) >= 1);
  const readahead = find(r, 4, 'majorFaults').change as number;
  assert.ok(readahead >= 1 && readahead <= pages / 8, `${readahead} major faults with readahead`);
  assert.equal(find(r, 5, 'majorFaults').change, 0);
  assert.ok(Math.abs((find(r, 5, 'minorFaults').change as number) - pages) <= 64);
});

test('cow: PSS halves at fork, the child copies page by page, and PSS comes back when it exits', async (t) => {
  const why = noCompiler();
  if (why) return t.skip(why);
  const r = await runJson<DemoReport>(['demo', 'cow', '--size', '16M']);
  checkReport(r, 'cow', SIZE);
  const [parent, child] = r.created.processes;
  assert.equal(parent?.role, 'parent');
  assert.equal(child?.role, 'child');
  const near = (x: number | null, want: number, tol = SIZE * 0.01 + 4 * PAGE) =>
    assert.ok(x !== null && Math.abs(x - want) <= tol, `${x} vs ${want}`);
  near(find(r, 2, 'parentPssBytes').after, SIZE / 2);
  near(find(r, 2, 'childPssBytes').after, SIZE / 2);
  near(find(r, 2, 'parentSharedDirtyBytes').after, SIZE);
  assert.equal(find(r, 3, 'childPrivateDirtyBytes').change, PAGE, 'one write, one page copied');
  const quarter = SIZE / 4;
  near(find(r, 4, 'childPrivateDirtyBytes').change, quarter);
  near(find(r, 4, 'childMinorFaults').change, quarter / PAGE, quarter / PAGE / 100 + 4);
  near(find(r, 4, 'pssTotalBytes').after, SIZE + PAGE + quarter);
  near(find(r, 5, 'parentPssBytes').after, SIZE);
  assert.equal(find(r, 5, 'parentSharedDirtyBytes').after, 0);
});

test('shared-libs: each copy counts the library in full in RSS, PSS divides it, the PSS total is real', async (t) => {
  const why = noCompiler();
  if (why) return t.skip(why);
  const r = await runJson<DemoReport>(['demo', 'shared-libs', '--size', '8M']);
  const size = 8 * MiB;
  checkReport(r, 'shared-libs', size);
  const copies = r.created.processes;
  assert.equal(copies.length, 4);
  for (const c of copies) {
    const rss = find(r, 2, 'libraryRssBytes', c.pid).after as number;
    const pss = find(r, 2, 'libraryPssBytes', c.pid).after as number;
    assert.ok(rss >= size && rss <= size + 128 * 1024, `copy ${c.pid} Rss ${rss}`);
    assert.ok(Math.abs(pss - size / 4) <= size * 0.01, `copy ${c.pid} Pss ${pss}`);
  }
  assert.ok(Math.abs((find(r, 2, 'libraryPssTotalBytes').after as number) - size) <= size * 0.01);
  assert.ok(Math.abs((find(r, 3, 'libraryPssTotalBytes').after as number) - size) <= size * 0.01);
  const survivor = find(r, 3, 'libraryPssBytes', copies[0]?.pid).after as number;
  assert.ok(Math.abs(survivor - size / 3) <= size * 0.01, `Pss ${survivor} after one copy left`);
});

test('free: RSS stays after free(), falls with malloc_trim and MADV_DONTNEED, MADV_FREE shows as LazyFree', async (t) => {
  const why = noCompiler();
  if (why) return t.skip(why);
  const r = await runJson<DemoReport>(['demo', 'free', '--size', '16M']);
  checkReport(r, 'free', SIZE);
  const close = (x: number | null, want: number) =>
    assert.ok(x !== null && Math.abs(x - want) <= SIZE * 0.02 + 512 * 1024, `${x} vs ${want}`);
  close(find(r, 1, 'rssBytes').change, SIZE);
  close(find(r, 2, 'rssBytes').change, 0);
  close(find(r, 3, 'rssBytes').change, -SIZE);
  close(find(r, 5, 'rssBytes').change, -SIZE);
  close(find(r, 6, 'rssBytes').change, 0);
  close(find(r, 6, 'lazyFreeBytes').change, SIZE);
  if (process.getuid?.() === 0) {
    // As root, the cgroup squeeze takes the LazyFree pages.
    close(find(r, 7, 'rssBytes').change, -SIZE);
    assert.equal(r.created.cgroups.length, 1);
  } else {
    assert.match(r.notes.join(' '), /Not shown/);
  }
});

test('oom: the helper grows to its cgroup limit and is OOM-killed; the kill is in the kernel log', async (t) => {
  const why = noCgroup();
  if (why) return t.skip(why);
  const r = await runJson<DemoReport>(['demo', 'oom', '--size', '32M']);
  checkReport(r, 'oom', 32 * MiB);
  const last = r.steps.length;
  assert.equal(find(r, 1, 'limitBytes').after, 32 * MiB);
  const [a, b, c] = [2, 3, 4].map((s) => find(r, s, 'cgroupOomScore').after as number);
  assert.ok(
    a !== undefined && b !== undefined && c !== undefined && a < b && b < c,
    `scores ${a}, ${b}, ${c}`,
  );
  assert.equal(find(r, last, 'helperKilled').after, 1);
  assert.equal(find(r, last, 'oomKills').change, 1);
  const kill = r.steps[last - 1]?.oomKill;
  assert.ok(kill, 'the kill as memlens oom reports it');
  assert.equal(kill.pid, r.created.processes[0]?.pid);
  assert.equal(kill.constraint, 'CONSTRAINT_MEMCG');
  assert.equal(kill.oomMemcg, r.created.cgroups[0]);
});

test('without a C compiler the demo says what to install, exits 1, and leaves no folder behind', async () => {
  const cache = mkdtempSync(join(tmpdir(), 'memlens-lab-nocc-'));
  try {
    const r = spawnSync(process.execPath, [CLI, 'demo', 'faults', '--size', '1M'], {
      env: { ...process.env, CC: '/nonexistent/cc', XDG_CACHE_HOME: cache },
      encoding: 'utf8',
    });
    assert.equal(r.status, 1);
    assert.equal(
      r.stderr,
      'memlens: memlens demo faults needs a C compiler (/nonexistent/cc) to build its helper; ' +
        'install gcc (e.g. apt install gcc) or set CC\n',
    );
    assert.deepEqual(leftoverFolders(r.pid), []);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

test('unknown demos, bad sizes and --root are usage errors; no name lists the demos', async () => {
  const unknown = await runCli(['demo', 'nope']);
  assert.equal(unknown.code, 2);
  assert.match(
    unknown.stderr,
    /^memlens: unknown demo "nope": expected one of reserve, faults, cow, shared-libs, free, oom\n$/,
  );
  const size = await runCli(['demo', 'reserve', '--size', 'lots']);
  assert.equal(size.code, 2);
  assert.match(size.stderr, /--size takes a size such as 16M/);
  const root = await runCli(['--root', '/tmp', 'demo', 'reserve']);
  assert.equal(root.code, 2);
  const huge = await runCli(['demo', 'reserve', '--size', '100T']);
  assert.equal(huge.code, 1);
  assert.match(huge.stderr, /pick a smaller --size/);
  const list = await runJson<{ name: string }[]>(['demo']);
  assert.deepEqual(
    list.map((d) => d.name),
    ['reserve', 'faults', 'cow', 'shared-libs', 'free', 'oom'],
  );
});

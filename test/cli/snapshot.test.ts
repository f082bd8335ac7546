// snapshot and diff against a real child that grows when told to (test/children/growth.c): a
// snapshot, then 32 MiB of new anonymous memory and 3 new threads, then a second snapshot.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { DiffableSnapshot, SnapshotDiff } from '../../src/analysis/diff.js';
import type { InspectReport } from '../../src/reports/inspect.js';
import type { MapsReport } from '../../src/reports/maps.js';
import type { Snapshot } from '../../src/reports/snapshot.js';
import { type Hex, type RunningChild, startChild } from '../helpers/children.js';
import { canDropPrivileges, runCli, runJson } from '../helpers/cli.js';

interface GrowthInfo {
  pid: number;
  pageSize: number;
}

/** What growth.c prints after each step. */
interface Grown {
  regionStart: Hex;
  regionEnd: Hex;
  regionBytes: number;
  threads: number;
  stackTouchedBytes: number;
}

const MIB = 32;
const THREADS = 3;

// Checked by tsc: what `snapshot` writes is what `diff` reads.
const _writesWhatDiffReads: (s: Snapshot) => DiffableSnapshot = (s) => s;

let child: RunningChild<GrowthInfo>;
let dir: string;
let grown: Grown;
let snapA: Snapshot;

/** Asks the child to grow and waits for its report line. */
async function grow(): Promise<Grown> {
  const seen = child.lines.length;
  child.proc.stdin?.write('grow\n');
  for (let waited = 0; child.lines.length === seen; waited += 20) {
    if (waited > 10_000) throw new Error('growth child did not report within 10 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  return JSON.parse(child.lines[seen] as string) as Grown;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'memlens-snapshot-'));
  child = await startChild<GrowthInfo>('growth', [String(MIB), String(THREADS)]);
  const a = await runCli(['snapshot', String(child.info.pid), '-o', join(dir, 'a.json')]);
  assert.equal(a.code, 0, a.stderr);
  snapA = JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8')) as Snapshot;
  grown = await grow();
  // The second one through stdout, the other way to take a snapshot.
  const b = await runCli(['snapshot', String(child.info.pid), '--json']);
  assert.equal(b.code, 0, b.stderr);
  writeFileSync(join(dir, 'b.json'), b.stdout);
});

after(async () => {
  await child?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('snapshot -o writes the identity, the inspect report and every region, and no .tmp file', async () => {
  const { pid } = child.info;
  assert.deepEqual(readdirSync(dir).sort(), ['a.json', 'b.json']);
  assert.equal(snapA.memlensSnapshot, 1);
  assert.equal(snapA.pid, pid);
  // The binary is growth-<hash>, and comm keeps its first 15 characters.
  assert.match(snapA.name, /^growth-/);
  assert.ok(snapA.startTimeTicks > 0);
  assert.ok(Math.abs(Date.parse(snapA.capturedAt) - Date.now()) < 60_000, snapA.capturedAt);
  assert.match(snapA.command ?? '', /growth/);
  // The same builders as inspect and maps: same keys, same regions (the child is idle meanwhile).
  const inspect = await runJson<InspectReport>(['inspect', String(pid)]);
  assert.deepEqual(Object.keys(snapA.inspect), Object.keys(inspect));
  assert.deepEqual(
    snapA.inspect.categories?.map((c) => c.category),
    inspect.categories?.map((c) => c.category),
  );
  const maps = await runJson<MapsReport>(['maps', String(pid)]);
  const b = JSON.parse(readFileSync(join(dir, 'b.json'), 'utf8')) as Snapshot;
  assert.deepEqual(
    b.regions.map((r) => [r.start, r.end, r.path]),
    maps.regions.map((r) => [r.start, r.end, r.path]),
  );
  assert.deepEqual(Object.keys(b.regions[0] ?? {}), Object.keys(maps.regions[0] ?? {}));
});

test('diff --json: the new region with +32 MiB RSS and three new thread stacks', async () => {
  const d = await runJson<SnapshotDiff>(['diff', join(dir, 'a.json'), join(dir, 'b.json')]);
  assert.equal(d.sameProcess, true);
  assert.deepEqual(d.warnings, []);
  assert.ok(d.elapsedSec >= 0 && d.elapsedSec < 60, String(d.elapsedSec));
  const bytes = MIB * 1024 * 1024;
  const region = d.regions.find((r) => BigInt(r.start) === BigInt(grown.regionStart));
  assert.ok(region, `a change at ${grown.regionStart} in ${JSON.stringify(d.regions)}`);
  assert.equal(region.change, 'new');
  assert.equal(region.category, 'anonymous');
  assert.equal(BigInt(region.end), BigInt(grown.regionEnd));
  assert.equal(region.sizeDeltaBytes, bytes);
  // Every page was written, no huge pages: resident to the page.
  assert.equal(region.rssDeltaBytes, bytes);
  assert.equal(d.regions[0]?.start, region.start, 'the largest change comes first');
  assert.equal(d.threadStacks.after - d.threadStacks.before, THREADS);
  assert.ok(
    d.threadStacks.rssDeltaBytes >= THREADS * grown.stackTouchedBytes,
    String(d.threadStacks.rssDeltaBytes),
  );
  // Each stack is RLIMIT_STACK (or glibc's 2 MiB default) plus a guard; small, but not nothing.
  assert.ok(d.threadStacks.sizeDeltaBytes >= THREADS * 64 * 1024, String(d.threadStacks.sizeDeltaBytes));
  // RSS grew by the region and the stacks, give or take a few pages of the C library's.
  const rss = d.totals.rssBytes.delta ?? 0;
  const expected = bytes + d.threadStacks.rssDeltaBytes;
  assert.ok(Math.abs(rss - expected) <= 256 * 1024, `RSS +${rss}, expected about ${expected}`);
  const anon = d.categories.find((c) => c.category === 'anonymous');
  assert.ok(anon && Math.abs(anon.rssDeltaBytes - bytes) <= 256 * 1024 && anon.regionsDelta >= 1);
  assert.equal(
    d.categories.find((c) => c.category === 'stacks')?.regionsDelta,
    2 * THREADS,
    'guard + body each',
  );
});

test('diff text: the totals, the region table and the summary sentence', async () => {
  const r = await runCli(['diff', join(dir, 'a.json'), join(dir, 'b.json')]);
  assert.equal(r.code, 0, r.stderr);
  const address = BigInt(grown.regionStart).toString(16);
  assert.match(r.stdout, /^growth-\w+ \(pid \d+\): \S+ -> \S+ \(.* apart\)$/m);
  assert.match(r.stdout, /^RSS +\S+ +\S+ +\+3\d\.\dM$/m);
  assert.match(r.stdout, new RegExp(`^new +${address} +\\S+ +anonymous +\\+32\\.0M +\\+32\\.0M`, 'm'));
  assert.match(r.stdout, /^Thread stacks: 1 -> 4 \(\+3\), /m);
  assert.match(
    r.stdout,
    new RegExp(
      `What changed: anonymous ${address} \\(new\\) \\+32 MiB RSS; 3 new thread stacks \\(\\+\\S+ \\S+ VIRT, \\+\\S+ KiB RSS\\)`,
    ),
  );
});

test('diff of two different processes says so and still compares', async () => {
  const other = await runCli(['snapshot', String(process.pid), '-o', join(dir, 'self.json'), '--json']);
  assert.equal(other.code, 0, other.stderr);
  assert.equal(other.stdout, '', 'with --json, -o prints nothing else');
  const r = await runCli(['diff', join(dir, 'a.json'), join(dir, 'self.json')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^warning: The snapshots are of different processes: A is pid \d+ \(growth-\w+\)/m);
  rmSync(join(dir, 'self.json'));
});

test('snapshot errors: one line, exit 1 for what cannot be done, 2 for a wrong argument', async (t) => {
  const gone = spawnSync('true').pid as number;
  const cases: [string[], number, RegExp][] = [
    [['snapshot', String(gone)], 1, /^memlens: no process \d+: it does not exist/],
    [['snapshot', '0'], 2, /is not a PID/],
    [
      ['snapshot', String(child.info.pid), '-o', join(dir, 'nowhere', 'a.json')],
      1,
      /cannot write ".*": its folder does not exist/,
    ],
    [['snapshot', String(child.info.pid), '-o', dir], 1, /cannot write ".*": it is a folder/],
  ];
  for (const [args, code, message] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  assert.ok(!existsSync(`${dir}.tmp`), 'a failed write leaves no .tmp behind');
  const kthread = findKernelThread();
  if (kthread === null)
    t.diagnostic('no kernel thread visible here (a pid namespace?): that case is not run');
  else {
    const r = await runCli(['snapshot', String(kthread)]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /is a kernel thread: it has no memory to snapshot/);
  }
});

test("snapshot as nobody of another user's process: permission denied, and why", async (t) => {
  const why = canDropPrivileges();
  if (why) return t.skip(why);
  const r = await runCli(['snapshot', String(child.info.pid)], { asNobody: true });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^memlens: cannot read the mappings .*permission denied.*run as root/);
});

test('diff errors: unreadable files exit 1, files that are not snapshots exit 2', async () => {
  const a = join(dir, 'a.json');
  writeFileSync(join(dir, 'text.json'), 'not json at all\n');
  writeFileSync(join(dir, 'maps.json'), JSON.stringify({ pid: 1, name: 'x', regions: [] }));
  writeFileSync(join(dir, 'newer.json'), JSON.stringify({ ...snapA, memlensSnapshot: 2 }));
  const cases: [string[], number, RegExp][] = [
    [['diff', a, join(dir, 'missing.json')], 1, /cannot read ".*missing\.json": no such file/],
    [['diff', dir, a], 1, /cannot read ".*": it is a folder/],
    [['diff', a, join(dir, 'text.json')], 2, /"[^"]*text\.json" is not a memlens snapshot: it is not JSON/],
    [
      ['diff', join(dir, 'maps.json'), a],
      2,
      /"[^"]*maps\.json" is not a memlens snapshot: it has no "memlensSnapshot"/,
    ],
    [['diff', a, join(dir, 'newer.json')], 2, /newer\.json" is not a memlens snapshot: it is format 2/],
    [['diff', a], 2, /missing required argument/],
  ];
  for (const [args, code, message] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

/** A kernel thread's pid (PF_KTHREAD in stat's flags), or null where none is visible. */
function findKernelThread(): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const flags = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[6]);
      if (flags & 0x00200000) return Number(entry);
    } catch {
      // Exited while we looked.
    }
  }
  return null;
}

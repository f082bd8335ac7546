// inspect and maps against a real child whose layout we know (test/children/layout.c): a 256 MiB
// reservation with 64 MiB touched, an 8 MiB file read in full, 1000 one-page mappings, and a
// forked child sharing all of it copy-on-write.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { InspectReport } from '../../src/reports/inspect.js';
import type { MapsRegion, MapsReport } from '../../src/reports/maps.js';
import { type LayoutInfo, type RunningChild, startChild } from '../helpers/children.js';
import { canDropPrivileges, runCli, runJson } from '../helpers/cli.js';

let child: RunningChild<LayoutInfo>;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'memlens-layout-'));
  child = await startChild<LayoutInfo>('layout', [dir]);
});

after(async () => {
  await child?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const big = (hex: string) => BigInt(hex);

function regionAt(regions: MapsRegion[], start: string): MapsRegion {
  const r = regions.find((x) => big(x.start) === big(start));
  assert.ok(r, `a region starts at ${start}`);
  return r;
}

/** Within `tolerance` (a fraction) of `expected`. */
function near(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= expected * tolerance,
    `${what}: ${actual} not within ${tolerance * 100}% of ${expected}`,
  );
}

test('maps: the reservation is 256 MiB with exactly the 64 MiB touched resident, half of it in PSS', async () => {
  const { info } = child;
  const report = await runJson<MapsReport>(['maps', String(info.pid)]);
  const reserve = regionAt(report.regions, info.reserveStart);
  assert.equal(big(reserve.end), big(info.reserveEnd));
  assert.equal(reserve.sizeBytes, info.reserveBytes);
  assert.equal(reserve.rssBytes, info.touchedBytes);
  assert.equal(reserve.category, 'anonymous');
  assert.equal(reserve.path, '');
  // Two processes map each touched page copy-on-write: each is charged half.
  near(reserve.pssBytes, info.touchedBytes / 2, 0.01, 'PSS of the shared reservation');
  assert.equal(reserve.sharedDirtyBytes, info.touchedBytes);
  assert.equal(reserve.privateDirtyBytes, 0);
  assert.equal(reserve.swapBytes, 0);
  assert.equal(typeof reserve.lazyFreeBytes, 'number', 'this kernel has LazyFree');
});

test('maps: the file mapping keeps its path and is resident in full', async () => {
  const { info } = child;
  const report = await runJson<MapsReport>(['maps', String(info.pid)]);
  const file = regionAt(report.regions, info.fileStart);
  assert.equal(file.path, info.filePath);
  assert.equal(file.deleted, false);
  assert.equal(file.sizeBytes, info.fileBytes);
  assert.equal(file.rssBytes, info.fileBytes);
  assert.equal(file.category, 'file');
  assert.ok(file.inode > 0);
  assert.match(file.device, /^[0-9a-f]+:[0-9a-f]+$/);
  assert.match(file.perms, /^r..s$/);
});

test('maps: the thousand small mappings are a thousand separate regions', async () => {
  const { info } = child;
  const report = await runJson<MapsReport>(['maps', String(info.pid)]);
  const inside = report.regions.filter(
    (r) => big(r.start) >= big(info.smallStart) && big(r.end) <= big(info.smallEnd) && r.perms[0] === 'r',
  );
  assert.equal(inside.length, info.smallMappings);
  for (const r of inside) assert.equal(r.sizeBytes, info.smallMappingBytes);
  // Region sizes are exact and add up to the span they cover.
  const covered = report.regions
    .filter((r) => big(r.start) >= big(info.smallStart) && big(r.end) <= big(info.smallEnd))
    .reduce((n, r) => n + r.sizeBytes, 0);
  assert.ok(covered >= info.smallMappings * info.smallMappingBytes);
});

test('maps --category, --sort and --top narrow the list', async () => {
  const { info } = child;
  const files = await runJson<MapsReport>(['maps', String(info.pid), '--category', 'file']);
  assert.ok(files.regions.length >= 1 && files.regions.every((r) => r.category === 'file'));
  const top = await runJson<MapsReport>(['maps', String(info.pid), '--sort', 'rss', '--top', '3']);
  assert.equal(top.regions.length, 3);
  assert.equal(
    big(top.regions[0]?.start ?? '0x0'),
    big(info.reserveStart),
    'the touched reservation has most RSS',
  );
});

test('inspect: the headline, categories and regions add up to what the child did', async () => {
  const { info } = child;
  const r = await runJson<InspectReport>(['inspect', String(info.pid)]);
  assert.equal(r.pid, info.pid);
  assert.ok(r.vszBytes !== null && r.vszBytes >= info.reserveBytes + info.fileBytes);
  assert.ok(r.rssBytes !== null && r.rssBytes >= info.touchedBytes + info.fileBytes);
  assert.ok(r.ussBytes !== null && r.pssBytes !== null);
  assert.ok(r.ussBytes <= r.pssBytes && r.pssBytes <= r.rssBytes);
  assert.ok(r.categories);
  const sum = (k: 'sizeBytes' | 'rssBytes' | 'pssBytes') =>
    (r.categories ?? []).reduce((n, c) => n + c[k], 0);
  // The breakdown partitions the process: categories add up to the smaps totals, and to VIRT
  // plus the [vsyscall] page (listed in maps, but the kernel's, so VmSize leaves it out).
  const extra = sum('sizeBytes') - r.vszBytes;
  assert.ok(extra === 0 || extra === 4096, `categories minus VIRT = ${extra}`);
  assert.equal(sum('pssBytes'), r.pssBytes);
  const anon = r.categories.find((c) => c.category === 'anonymous');
  assert.ok(anon && anon.sizeBytes >= info.reserveBytes && anon.rssBytes >= info.touchedBytes);
  const file = r.categories.find((c) => c.category === 'file');
  assert.ok(file && file.sizeBytes >= info.fileBytes);
  assert.ok(r.topRegions);
  assert.equal(big(r.topRegions.bySize[0]?.start ?? '0x0'), big(info.reserveStart));
  assert.ok(r.topRegions.bySize.length <= 10 && r.topRegions.byRss.length <= 10);
  assert.ok(r.threads === 1);
  assert.ok(r.faults.minor >= info.touchedBytes / info.pageSize, 'one minor fault per touched page at least');
  assert.ok(r.oomScore !== null && r.oomScoreAdj === 0);
  for (const f of r.findings) {
    assert.match(f.id, /^[a-z0-9-]+$/);
    assert.ok(f.summary.length > 0 && f.detail.length > 0);
  }
});

test('inspect: parent and forked child split the shared pages between them', async () => {
  const { info } = child;
  const parent = await runJson<MapsReport>(['maps', String(info.pid)]);
  const forked = await runJson<MapsReport>(['maps', String(info.childPid)]);
  const a = regionAt(parent.regions, info.reserveStart);
  const b = regionAt(forked.regions, info.reserveStart);
  near(a.pssBytes + b.pssBytes, info.touchedBytes, 0.01, 'PSS of parent + child');
  assert.equal(b.rssBytes, info.touchedBytes);
});

test('inspect text output reads as plain language', async () => {
  const r = await runCli(['inspect', String(child.info.pid)]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /virtual, .* resident \(RSS\), .* its own \(USS\), .* proportional \(PSS\)/);
  assert.match(r.stdout, /Where the memory is/);
  assert.match(r.stdout, /Largest regions by size/);
  assert.match(r.stdout, /page faults since start: \d+ minor, \d+ major/);
});

test("as nobody: another user's process shows what status allows and says why the rest is unknown", async (t) => {
  const why = canDropPrivileges();
  if (why) return t.skip(why);
  const { info } = child;
  const r = await runJson<InspectReport>(['inspect', String(info.pid)], { asNobody: true });
  assert.equal(r.categories, null);
  assert.equal(r.pssBytes, null);
  assert.equal(r.unknownReason, 'permission denied');
  assert.ok(r.rssBytes !== null && r.rssBytes >= info.touchedBytes);
  const maps = await runCli(['maps', String(info.pid)], { asNobody: true });
  assert.equal(maps.code, 1);
  assert.match(maps.stderr, /^memlens: .*permission denied.*run as root/);
});

test('as nobody: its own process is fully readable by inspect and maps', async (t) => {
  const why = canDropPrivileges();
  if (why) return t.skip(why);
  const own = spawn('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'sleep', '60']);
  try {
    await once(own, 'spawn');
    // setpriv execs sleep in place: same PID, now owned by nobody.
    await new Promise((r) => setTimeout(r, 200));
    const pid = String(own.pid);
    const r = await runJson<InspectReport>(['inspect', pid], { asNobody: true });
    assert.equal(r.user, 'nobody');
    assert.ok(r.categories && r.pssBytes !== null && r.unknownReason === null);
    const maps = await runJson<MapsReport>(['maps', pid], { asNobody: true });
    assert.ok(maps.regions.some((x) => x.path.endsWith('/sleep') && x.category === 'code'));
  } finally {
    own.kill('SIGKILL');
  }
});

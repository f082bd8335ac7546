// The commands on fixture trees captured from real processes on a machine like ours
// (test/fixtures/live, made by scripts/capture-fixtures.ts; READY.json is each child's own
// account of its layout). Unlike the live tests, these numbers are fixed, so they are exact.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { InspectReport } from '../../src/reports/inspect.js';
import type { MapsReport } from '../../src/reports/maps.js';
import type { PsReport } from '../../src/reports/ps.js';
import type { LayoutInfo, ManyMapsInfo } from '../helpers/children.js';
import { runJson } from '../helpers/cli.js';

const live = (name: string) => fileURLToPath(new URL(`../fixtures/live/${name}`, import.meta.url));
const ready = <T>(name: string): T => JSON.parse(readFileSync(`${live(name)}/READY.json`, 'utf8')) as T;
const manifest = (name: string): { pids: number[] } =>
  JSON.parse(readFileSync(`${live(name)}/MANIFEST.json`, 'utf8'));
const big = (hex: string) => BigInt(hex);

test('fork-shared: parent and forked child split the touched pages, and the file, exactly', async () => {
  const info = ready<LayoutInfo>('fork-shared');
  const root = ['--root', live('fork-shared')];
  const parent = await runJson<MapsReport>([...root, 'maps', String(info.pid)]);
  const child = await runJson<MapsReport>([...root, 'maps', String(info.childPid)]);
  const at = (r: MapsReport, start: string) => r.regions.find((x) => big(x.start) === big(start));
  const [pr, cr] = [at(parent, info.reserveStart), at(child, info.reserveStart)];
  assert.ok(pr && cr);
  assert.equal(pr.rssBytes, info.touchedBytes);
  assert.equal(cr.rssBytes, info.touchedBytes);
  // Every touched page is mapped by exactly two processes: PSS sums to the pages themselves.
  assert.ok(Math.abs(pr.pssBytes + cr.pssBytes - info.touchedBytes) <= 2 * 4096);
  const [pf, cf] = [at(parent, info.fileStart), at(child, info.fileStart)];
  assert.ok(pf && cf);
  assert.equal(pf.path, info.filePath);
  assert.equal(pf.sharedCleanBytes, info.fileBytes);
  assert.ok(Math.abs(pf.pssBytes + cf.pssBytes - info.fileBytes) <= 2 * 4096);
  const small = parent.regions.filter(
    (r) => big(r.start) >= big(info.smallStart) && big(r.end) <= big(info.smallEnd) && r.perms !== '---p',
  );
  assert.equal(small.length, info.smallMappings);
});

test('fork-shared: ps lists both processes with PSS below RSS', async () => {
  const info = ready<LayoutInfo>('fork-shared');
  const report = await runJson<PsReport>(['--root', live('fork-shared'), 'ps']);
  assert.deepEqual(report.processes.map((p) => p.pid).sort(), [info.pid, info.childPid].sort());
  for (const p of report.processes) {
    assert.ok(p.pssBytes !== null && p.rssBytes !== null && p.pssBytes < p.rssBytes * 0.6);
  }
  assert.equal(report.unreadable.count, 0);
});

test('manymaps: 3000 separate mappings are 3000 regions, each one page', async () => {
  const info = ready<ManyMapsInfo>('manymaps');
  const report = await runJson<MapsReport>(['--root', live('manymaps'), 'maps', String(info.pid)]);
  const inside = report.regions.filter(
    (r) => big(r.start) >= big(info.start) && big(r.end) <= big(info.end) && r.perms !== '---p',
  );
  assert.equal(inside.length, info.mappings);
  assert.ok(inside.every((r) => r.sizeBytes === info.mappingBytes && r.rssBytes === info.mappingBytes));
});

test('node: a captured Node process is explained (V8 code ranges, malloc arenas, thread stacks)', async () => {
  const [pid] = manifest('node').pids;
  const r = await runJson<InspectReport>(['--root', live('node'), 'inspect', String(pid)]);
  assert.equal(r.name, 'node');
  assert.ok(r.categories);
  // Categories add up to VIRT, plus the [vsyscall] page: maps lists it, but it is the kernel's
  // gate area rather than a mapping of the process, so VmSize leaves it out.
  const extra = r.categories.reduce((n, c) => n + c.sizeBytes, 0) - (r.vszBytes ?? 0);
  assert.ok(extra === 0 || extra === 4096, `categories minus VIRT = ${extra}`);
  const ids = r.findings.map((f) => f.id);
  for (const id of ['virt-mostly-untouched', 'v8-code-range', 'glibc-malloc-arenas', 'thread-stacks']) {
    assert.ok(ids.includes(id), `finding ${id} in ${ids.join(', ')}`);
  }
  // Command lines leave the machine scrubbed; the heap flag is kept because it explains memory.
  assert.match(r.command ?? '', /^node --max-old-space-size=256/);
});

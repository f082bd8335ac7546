// Proves that each test child starts and that the layout it reports is what the kernel shows in
// /proc. Reads /proc with a few lines of its own, on purpose: these children are how the project's
// parsers get checked, so they must not be checked with those parsers.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  buildChild,
  type ChurnInfo,
  hexToBigInt,
  type LayoutInfo,
  type ManyMapsInfo,
  type OdditiesInfo,
  startChild,
} from './children.js';

const KIB = 1024;
const MIB = 1024 * KIB;

interface Region {
  start: bigint;
  end: bigint;
  perms: string;
  path: string;
  /** smaps fields in bytes (kB x 1024); empty when read from maps. */
  fields: Map<string, number>;
}

const HEADER = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) [0-9a-f]+ \S+ \d+ ?\s*(.*)$/;

/** Reads /proc/PID/maps or /proc/PID/smaps into regions; smaps fields are converted to bytes. */
function readRegions(pid: number, file: 'maps' | 'smaps'): Region[] {
  const regions: Region[] = [];
  for (const line of readFileSync(`/proc/${pid}/${file}`, 'utf8').split('\n')) {
    const header = HEADER.exec(line);
    if (header) {
      const [, start = '', end = '', perms = '', path = ''] = header;
      regions.push({ start: hexToBigInt(start), end: hexToBigInt(end), perms, path, fields: new Map() });
      continue;
    }
    const field = /^(\w+):\s+(\d+) kB$/.exec(line);
    const current = regions.at(-1);
    if (field && current) current.fields.set(field[1] ?? '', Number(field[2]) * KIB);
  }
  return regions;
}

function regionAt(regions: Region[], start: string, end: string): Region {
  const found = regions.find((r) => r.start === hexToBigInt(start) && r.end === hexToBigInt(end));
  assert.ok(found, `no region ${start}-${end}`);
  return found;
}

function within(regions: Region[], start: string, end: string): Region[] {
  return regions.filter((r) => r.start >= hexToBigInt(start) && r.end <= hexToBigInt(end));
}

function field(region: Region, key: string): number {
  const value = region.fields.get(key);
  assert.notEqual(value, undefined, `smaps has no ${key} for ${region.start.toString(16)}`);
  return value ?? 0;
}

/** Fields of /proc/PID/stat after the comm, which ends at the last ')'. Null when the process is gone. */
function statFields(pid: number): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** Gone, or a zombie waiting for a reaper that is not ours: either way it holds no memory. */
function isGone(pid: number, startTime?: string): boolean {
  const stat = statFields(pid);
  if (!stat) return true;
  // Fields after the comm start at stat field 3 (state); starttime is field 22.
  if (startTime !== undefined && stat[19] !== startTime) return true;
  return stat[0] === 'Z' || stat[0] === 'X';
}

async function waitUntil(what: string, timeoutMs: number, check: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('buildChild compiles once per source version and rejects unknown names', () => {
  const first = buildChild('manymaps');
  assert.equal(buildChild('manymaps'), first);
  assert.ok(existsSync(first));
  assert.throws(() => buildChild('no-such-child'), /Unknown child "no-such-child"/);
  assert.throws(() => buildChild('../layout'), /Unknown child/);
});

test('startChild rejects with the child stderr when the child fails before its ready line', async () => {
  await assert.rejects(startChild('manymaps', ['0']), /exited \(code 2\).*N must be a positive count/s);
});

test('layout: reservation, touched pages, file, small mappings and the forked child are in /proc', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'memlens-layout-'));
  const child = await startChild<LayoutInfo>('layout', [dir]);
  t.after(async () => {
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const { info } = child;
  assert.equal(info.pid, child.proc.pid);
  assert.equal(info.reserveBytes, 256 * MIB);
  assert.equal(info.touchedBytes, 64 * MIB);

  const stat = statFields(info.childPid);
  assert.ok(stat, 'forked child is running');
  assert.equal(Number(stat[1]), info.pid, 'forked child is a child of the layout process');

  for (const pid of [info.pid, info.childPid]) {
    const regions = readRegions(pid, 'smaps');

    const reserve = regionAt(regions, info.reserveStart, info.reserveEnd);
    assert.equal(reserve.perms, 'rw-p');
    assert.equal(field(reserve, 'Size'), 256 * MIB);
    assert.equal(field(reserve, 'Rss'), 64 * MIB);
    assert.equal(field(reserve, 'AnonHugePages'), 0);
    // Every touched page is mapped by exactly two processes, so PSS is half of RSS; 1% for a stray COW.
    assert.ok(Math.abs(field(reserve, 'Pss') - 32 * MIB) <= 0.01 * 32 * MIB, `PSS of reserve in ${pid}`);
    assert.ok(field(reserve, 'Shared_Dirty') >= 63 * MIB);

    const file = regionAt(regions, info.fileStart, info.fileEnd);
    assert.equal(file.perms, 'r--s');
    assert.equal(file.path, info.filePath);
    assert.equal(field(file, 'Rss'), info.fileBytes);
    assert.equal(field(file, 'Shared_Clean'), info.fileBytes);
    assert.ok(Math.abs(field(file, 'Pss') - info.fileBytes / 2) <= 0.01 * info.fileBytes);

    const small = within(regions, info.smallStart, info.smallEnd);
    assert.equal(small.length, info.smallMappings);
    assert.equal(small.length, 1000);
    for (const [i, region] of small.entries()) {
      assert.equal(region.end - region.start, BigInt(info.smallMappingBytes));
      assert.equal(region.perms, i % 2 === 0 ? 'rw-p' : 'r--p');
      assert.equal(field(region, 'Rss'), info.smallMappingBytes);
    }
  }

  const childStart = statFields(info.childPid)?.[19];
  await child.stop();
  assert.ok(isGone(info.childPid, childStart), 'forked child ended with its parent');
  assert.equal(existsSync(info.filePath), false, 'mapped file removed on exit');
});

test('manymaps: every mapping it reports is a separate region in /proc/PID/maps', async (t) => {
  const child = await startChild<ManyMapsInfo>('manymaps', ['3000']);
  t.after(() => child.stop());
  const { info } = child;
  assert.equal(info.mappings, 3000);

  const mapped = within(readRegions(info.pid, 'maps'), info.start, info.end);
  assert.equal(mapped.length, 3000);
  assert.equal(hexToBigInt(info.end) - hexToBigInt(info.start), BigInt(3000 * info.mappingBytes));

  const resident = within(readRegions(info.pid, 'smaps'), info.start, info.end);
  assert.equal(
    resident.reduce((sum, r) => sum + field(r, 'Rss'), 0),
    3000 * info.mappingBytes,
  );
});

test('churn: children come and go, each holds what its name says, none outlives stop()', async (t) => {
  const child = await startChild<ChurnInfo>('churn');
  t.after(() => child.stop());
  const churnPid = child.info.pid;

  const seen = new Map<number, string>();
  let named = 0;
  // Until enough was seen, not for a fixed time: on a loaded machine one pass over /proc can be slow.
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && (seen.size < 20 || named < 3)) {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      const stat = statFields(pid);
      if (!stat || Number(stat[1]) !== churnPid) continue;
      seen.set(pid, stat[19] ?? '');
      let status: string;
      try {
        status = readFileSync(`/proc/${pid}/status`, 'utf8');
      } catch {
        continue; // exited between the two reads
      }
      // One read of status is one moment: its name and its RSS belong together.
      const name = /^Name:\s+churn-(\d+)m$/m.exec(status);
      const rss = /^VmRSS:\s+(\d+) kB$/m.exec(status);
      if (name && rss) {
        named++;
        assert.ok(Number(rss[1]) * KIB >= Number(name[1]) * MIB, `pid ${pid}: ${name[0]} with ${rss[0]}`);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.ok(seen.size >= 5, `saw ${seen.size} churn children`);
  assert.ok(named >= 1, 'saw a churn child after it touched its memory');

  await child.stop();
  const goodbye = JSON.parse(child.lines.at(-1) ?? '{}') as { forked?: number };
  assert.ok((goodbye.forked ?? 0) >= seen.size, `forked ${goodbye.forked}, saw ${seen.size}`);
  for (const [pid, startTime] of seen)
    assert.ok(isGone(pid, startTime), `churn child ${pid} outlived stop()`);
});

test('oddities: LazyFree, a deleted file with spaces in its name, and memfd shared memory', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'memlens-oddities-'));
  const child = await startChild<OdditiesInfo>('oddities', [dir]);
  t.after(async () => {
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const { info } = child;
  const regions = readRegions(info.pid, 'smaps');

  const lazy = regionAt(regions, info.lazyFreeStart, info.lazyFreeEnd);
  // Under memory pressure the kernel may already have taken some back; it still counts what is left.
  assert.ok(field(lazy, 'LazyFree') > 0, 'LazyFree shows');
  assert.ok(field(lazy, 'LazyFree') <= field(lazy, 'Rss'), 'LazyFree pages are still in RSS');

  const deleted = regionAt(regions, info.deletedStart, info.deletedEnd);
  assert.equal(deleted.path, `${info.deletedPath} (deleted)`);
  assert.equal(field(deleted, 'Rss'), info.deletedBytes);

  const memfd = regionAt(regions, info.memfdStart, info.memfdEnd);
  assert.equal(memfd.perms, 'rw-s');
  assert.equal(memfd.path, `${info.memfdPath} (deleted)`);
  assert.equal(field(memfd, 'Rss'), info.memfdBytes);
});

test('children die with the test process that started them, even when it is SIGKILLed', async () => {
  const helper = pathToFileURL(join(import.meta.dirname, 'children.ts')).href;
  const script = [
    `const { startChild } = await import(${JSON.stringify(helper)});`,
    `const child = await startChild('layout', [${JSON.stringify(tmpdir())}]);`,
    'console.log(JSON.stringify(child.info));',
    'setInterval(() => {}, 1000);',
  ].join('\n');
  const runner = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const info = await new Promise<LayoutInfo>((resolve, reject) => {
    let out = '';
    runner.stdout.setEncoding('utf8');
    runner.stdout.on('data', (chunk: string) => {
      out += chunk;
      const newline = out.indexOf('\n');
      if (newline >= 0) resolve(JSON.parse(out.slice(0, newline)) as LayoutInfo);
    });
    runner.on('exit', (code) => reject(new Error(`runner exited with ${code} before the child was ready`)));
  });
  const parentStart = statFields(info.pid)?.[19];
  const childStart = statFields(info.childPid)?.[19];
  runner.kill('SIGKILL');
  await waitUntil('layout and its forked child ended', 5_000, () => {
    return isGone(info.pid, parentStart) && isGone(info.childPid, childStart);
  });
  // Killed with the test process, the child still removed its file on the way out.
  await waitUntil('mapped file removed', 5_000, () => !existsSync(info.filePath));
});

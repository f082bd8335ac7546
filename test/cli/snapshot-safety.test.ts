// snapshot -o run by root in a folder other users can write to: what they planted there (a link at
// the old FILE.tmp name, a link or a device at FILE itself) is never written through or replaced.
// The devices and links are made inside a private temporary folder, so a regression cannot
// damage the machine's own /dev.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Snapshot } from '../../src/reports/snapshot.js';
import { runCli } from '../helpers/cli.js';

let dir: string;
const PRECIOUS = 'root:x:0:0:precious\n';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'memlens-snapsafe-'));
  // World-writable like /tmp, so the planting below is what any user could do.
  chmodSync(dir, 0o1777);
});

after(() => rmSync(dir, { recursive: true, force: true }));

function victim(name: string): string {
  const path = join(dir, name);
  writeFileSync(path, PRECIOUS, { mode: 0o644 });
  return path;
}

test('a symlink planted at FILE.tmp is not written through: the snapshot lands in FILE, mode 0600', async () => {
  const target = victim('victim-tmp');
  const out = join(dir, 'snap.json');
  symlinkSync(target, `${out}.tmp`);
  const old = process.umask(0);
  try {
    const r = await runCli(['snapshot', String(process.pid), '-o', out]);
    assert.equal(r.code, 0, r.stderr);
  } finally {
    process.umask(old);
  }
  assert.equal(readFileSync(target, 'utf8'), PRECIOUS, 'the file the link points to is untouched');
  assert.ok(lstatSync(`${out}.tmp`).isSymbolicLink(), 'the planted link is left alone');
  const snap = JSON.parse(readFileSync(out, 'utf8')) as Snapshot;
  assert.equal(snap.pid, process.pid);
  assert.equal(statSync(out).mode & 0o777, 0o600, 'a snapshot names processes and sizes: owner only');
  const strays = readdirSync(dir).filter((f) => f.startsWith('.snap.json.'));
  assert.deepEqual(strays, [], 'no temporary file is left behind');
});

test('-o naming a symlink, a device or a FIFO is refused, and the thing named is left as it was', async (t) => {
  const target = victim('victim-link');
  const link = join(dir, 'link.json');
  symlinkSync(target, link);
  const cases: [string, RegExp, () => boolean][] = [
    [link, /it is a symbolic link; name a regular file/, () => lstatSync(link).isSymbolicLink()],
  ];
  const nul = join(dir, 'null');
  const fifo = join(dir, 'fifo');
  if (spawnSync('mknod', [nul, 'c', '1', '3']).status === 0) {
    cases.push([nul, /it is a device/, () => lstatSync(nul).isCharacterDevice()]);
  } else t.diagnostic('mknod failed (not root?): the device case is not run');
  if (spawnSync('mkfifo', [fifo]).status === 0) {
    cases.push([fifo, /not a regular file/, () => lstatSync(fifo).isFIFO()]);
  }
  for (const [out, message, unchanged] of cases) {
    const r = await runCli(['snapshot', String(process.pid), '-o', out]);
    assert.equal(r.code, 1, `${out}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(unchanged(), `${out} is still what it was`);
  }
  assert.equal(readFileSync(target, 'utf8'), PRECIOUS);
});

test('an existing regular FILE is replaced by the new snapshot', async () => {
  const out = victim('old.json');
  const r = await runCli(['snapshot', String(process.pid), '-o', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(readFileSync(out, 'utf8')) as Snapshot).pid, process.pid);
  assert.equal(statSync(out).mode & 0o777, 0o600);
});

// snapshot -o run by root in a folder other users can write to: what they planted there (a link at
// the old FILE.tmp name, a link or a device at FILE itself) is never written through or replaced.
// The devices and links are made inside a private temporary folder, so a regression cannot
// damage the machine's own /dev.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  lchownSync,
  lstatSync,
  mkdirSync,
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

const NOBODY = 65534;
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

test('a folder on the way that another user linked, or can swap, is refused: root never writes where he chose', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to plant links and folders of another user');
  // The victim: a folder of root's, as /etc is, holding a file of root's.
  const victimDir = join(dir, 'victim-dir');
  mkdirSync(victimDir, { mode: 0o755 });
  const precious = join(victimDir, 'passwd');
  writeFileSync(precious, PRECIOUS, { mode: 0o644 });
  // In the sticky folder: his link to the victim's folder, and a folder of his (he may rename it).
  const link = join(dir, 'out');
  symlinkSync(victimDir, link);
  lchownSync(link, NOBODY, NOBODY);
  const his = join(dir, 'his');
  mkdirSync(join(his, 'sub'), { recursive: true });
  chownSync(his, NOBODY, NOBODY);
  const cases: [string, RegExp][] = [
    [join(link, 'passwd'), /out is a symbolic link of uid 65534/],
    [join(his, 'sub', 'passwd'), /the folder .*his belongs to uid 65534/],
    [join(his, 'passwd'), /the folder .*his belongs to uid 65534/],
  ];
  for (const [out, message] of cases) {
    const r = await runCli(['snapshot', String(process.pid), '-o', out]);
    assert.equal(r.code, 1, `${out}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /name a file in a folder only you or root can change$/m);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  assert.equal(readFileSync(precious, 'utf8'), PRECIOUS, "the victim's file is untouched");
  assert.deepEqual(readdirSync(victimDir), ['passwd'], "nothing was created in the victim's folder");
  // His own folder in a folder he cannot change (~bob in /home) is fine: only what it holds is his.
  const home = join(victimDir, 'bob');
  mkdirSync(home, { mode: 0o755 });
  chownSync(home, NOBODY, NOBODY);
  const r = await runCli(['snapshot', String(process.pid), '-o', join(home, 'snap.json')]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(readFileSync(join(home, 'snap.json'), 'utf8')) as Snapshot).pid, process.pid);
});

// demo run by root with no usable home keeps its helper in the shared temp dir: a folder another
// user made there first, with a program of theirs at the helper's name, must never be run. The
// temp dir is a private one (TMPDIR), so the planted folder is this test's alone.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { helperDirName } from '../../src/lab/build.js';
import { CLI } from '../helpers/cli.js';
import { noCompiler } from './_lab.js';

const NOBODY = 65534;
let tmp: string;

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'memlens-helper-trust-'));
  chmodSync(tmp, 0o1777);
});

after(() => rmSync(tmp, { recursive: true, force: true }));

/** `memlens demo reserve` as root with HOME=/ and no XDG_CACHE_HOME, temp dir = `tmp`. */
function demoWithoutHome() {
  // HOME=/ is one of the ways to have no home (unset falls back to the passwd entry's).
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: '/', TMPDIR: tmp };
  return spawnSync(process.execPath, [CLI, 'demo', 'reserve', '--size', '4M', '--json'], {
    env,
    encoding: 'utf8',
  });
}

/** Plants, as another user would, a cache folder and a "helper" that leaves a mark if run. */
function plant(mode: number, owner: number): string {
  const cache = join(tmp, `memlens-cache-${process.getuid?.()}`);
  const dir = join(cache, helperDirName());
  mkdirSync(dir, { recursive: true });
  const mark = join(tmp, `ran-${mode.toString(8)}-${owner}`);
  writeFileSync(join(dir, 'memlens-lab'), `#!/bin/sh\ntouch ${mark}\n`, { mode: 0o755 });
  for (const p of [cache, dir, join(dir, 'memlens-lab')]) chownSync(p, owner, owner);
  chmodSync(cache, mode);
  chmodSync(dir, mode);
  return mark;
}

test("a helper planted in another user's cache folder in /tmp is refused, never run", (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to plant a folder owned by another user');
  const mark = plant(0o755, NOBODY);
  const r = demoWithoutHome();
  assert.equal(existsSync(mark), false, 'the planted program did not run');
  assert.equal(r.status, 1, r.stderr);
  assert.match(
    r.stderr,
    /^memlens: refusing to use the demo helper's cache folder ".*memlens-cache-0": it belongs to uid 65534/,
  );
  assert.match(r.stderr, /set XDG_CACHE_HOME/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  rmSync(join(tmp, 'memlens-cache-0'), { recursive: true, force: true });
});

test('a cache folder of ours that others can write to is refused too', (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root');
  const mark = plant(0o777, 0);
  const r = demoWithoutHome();
  assert.equal(existsSync(mark), false, 'the planted program did not run');
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /other users can write to it/);
  rmSync(join(tmp, 'memlens-cache-0'), { recursive: true, force: true });
});

test('with no folder there yet, the demo makes its own (0700), builds its helper and runs', (t) => {
  const why = noCompiler();
  if (why) return t.skip(why);
  const r = demoWithoutHome();
  assert.equal(r.status, 0, r.stderr);
  const cache = join(tmp, `memlens-cache-${process.getuid?.()}`);
  assert.equal(statSync(cache).mode & 0o777, 0o700);
  const binary = join(cache, helperDirName(), 'memlens-lab');
  assert.equal(statSync(binary).uid, process.getuid?.());
  // The second run uses the helper it built.
  const again = demoWithoutHome();
  assert.equal(again.status, 0, again.stderr);
});

/** The demo with XDG_CACHE_HOME = a link to `target` that another user planted, named `name`. */
function demoThroughHisLink(name: string, target: string) {
  const link = join(tmp, name);
  symlinkSync(target, link);
  lchownSync(link, NOBODY, NOBODY);
  return spawnSync(process.execPath, [CLI, 'demo', 'reserve', '--size', '4M', '--json'], {
    env: { PATH: process.env.PATH, HOME: '/', TMPDIR: tmp, XDG_CACHE_HOME: link },
    encoding: 'utf8',
  });
}

test("XDG_CACHE_HOME reached through another user's link is refused: he could retarget it before the run", (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to plant a link of another user');
  // A cache of root's, with a program at the helper's name that leaves a mark if run.
  const real = join(tmp, 'root-cache');
  const dir = join(real, 'memlens', helperDirName());
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const mark = join(tmp, 'ran-through-link');
  writeFileSync(join(dir, 'memlens-lab'), `#!/bin/sh\ntouch ${mark}\n`, { mode: 0o755 });
  const r = demoThroughHisLink('his-cache', real);
  assert.equal(existsSync(mark), false, 'nothing was run through the link');
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /his-cache is a symbolic link of uid 65534/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});

test("nothing is made through another user's link before it is refused", (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to plant a link of another user');
  const target = join(tmp, 'empty-target');
  mkdirSync(target, { mode: 0o700 });
  const r = demoThroughHisLink('his-empty-cache', target);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /his-empty-cache is a symbolic link of uid 65534/);
  assert.deepEqual(readdirSync(target), [], 'no folder was made where the link points');
});

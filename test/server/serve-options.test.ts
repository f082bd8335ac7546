// serve's --db and --host, run for real: a history the user asked for is never silently put
// somewhere else or thrown away, a path that cannot be a history is a usage error (exit 2), and
// the history file and its folder are readable by their owner only.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, lchownSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CLI, runCli } from '../helpers/cli.js';
import { startServe, tempDir } from './serve-helper.js';

const tmp = tempDir('serve-options');
after(() => tmp.remove());

test('--db and --host that cannot work are usage errors: exit 2, one line, nothing created', async () => {
  const shared = join(tmp.dir, 'shared');
  mkdirSync(shared);
  chmodSync(shared, 0o1777);
  writeFileSync(join(tmp.dir, 'victim'), 'keep me\n');
  symlinkSync(join(tmp.dir, 'victim'), join(tmp.dir, 'link.db'));
  const cases: [string[], RegExp][] = [
    [
      ['--db', join(tmp.dir, 'missing', 'deeper', 'h.db')],
      /its folder .*missing\/deeper does not exist: create it first/,
    ],
    [['--db', ''], /--db takes the file to keep the history in, not ""/],
    [['--db', ':memory:'], /--db takes the file/],
    [['--db', '/dev/null'], /cannot use "\/dev\/null" as the history: it is a device/],
    [['--db', join(tmp.dir, 'link.db')], /cannot use ".*link\.db" as the history: it is a symbolic link/],
    [['--db', join(shared, 'h.db')], /refusing the folder .*shared: other users can write to it/],
    [['--host', '999.1.1.1'], /--host takes an IP address or a host name .*not "999\.1\.1\.1"/],
    [['--host', 'a b'], /--host takes an IP address/],
  ];
  for (const [args, message] of cases) {
    const full = [
      'serve',
      '--port',
      '0',
      ...(args[0] === '--db' ? [] : ['--db', join(tmp.dir, 'ok.db')]),
      ...args,
    ];
    const r = await runCli(full);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^memlens: (--\\w+ \\S*: )?${message.source}`), args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  assert.equal(statSync(join(tmp.dir, 'missing'), { throwIfNoEntry: false }), undefined);
  assert.equal(statSync(join(shared, 'h.db'), { throwIfNoEntry: false }), undefined);
  assert.equal(statSync('/dev/null').isCharacterDevice(), true);
});

test('an explicit --db file is created 0600, whatever the umask', async () => {
  const db = join(tmp.dir, 'h.db');
  const serve = await startServe(['--port', '0', '--db', db, '--interval', '1s']);
  try {
    assert.equal(statSync(db).mode & 0o777, 0o600);
  } finally {
    await serve.stop();
  }
  for (const f of [db, `${db}-wal`, `${db}-shm`]) {
    const st = statSync(f, { throwIfNoEntry: false });
    if (st) assert.equal(st.mode & 0o077, 0, `${f} is the owner's only`);
  }
});

test('the default history folder is made 0700 under XDG_STATE_HOME and the file 0600', async () => {
  const state = join(tmp.dir, 'state');
  const serve = await startServe(['--port', '0'], { XDG_STATE_HOME: state });
  try {
    for (let i = 0; serve.stdout.length < 2 && i < 200; i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(serve.stdout[1] ?? '', new RegExp(`^history: ${state}/memlens/history\\.db`));
    assert.equal(statSync(join(state, 'memlens')).mode & 0o777, 0o700);
    assert.equal(statSync(join(state, 'memlens', 'history.db')).mode & 0o777, 0o600);
  } finally {
    await serve.stop();
  }
});

test('a default history folder another user could write to is refused, exit 1, with what to do', () => {
  const state = join(tmp.dir, 'state-open');
  mkdirSync(join(state, 'memlens'), { recursive: true });
  chmodSync(join(state, 'memlens'), 0o777);
  const r = spawnSync(process.execPath, [CLI, 'serve', '--port', '0'], {
    env: { ...process.env, XDG_STATE_HOME: state },
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(r.status, 1, r.stderr);
  assert.match(
    r.stderr,
    /^memlens: refusing to use the history folder ".*state-open\/memlens": other users can write to it/,
  );
  assert.match(r.stderr, /pass --db FILE/);
});

test('a --db folder that is a link (systemd DynamicUser: /var/lib/NAME -> private/NAME) is resolved, then checked', async () => {
  const real = join(tmp.dir, 'private', 'memlens');
  mkdirSync(real, { recursive: true, mode: 0o700 });
  symlinkSync(real, join(tmp.dir, 'memlens-link'));
  const serve = await startServe(['--port', '0', '--db', join(tmp.dir, 'memlens-link', 'h.db')]);
  try {
    for (let i = 0; serve.stdout.length < 2 && i < 200; i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(serve.stdout[1] ?? '', new RegExp(`^history: ${real}/h\\.db `));
    assert.equal(statSync(join(real, 'h.db')).mode & 0o777, 0o600);
  } finally {
    await serve.stop();
  }
});

test("a --db folder reached through another user's link is refused: he would choose where the history goes", (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to plant a link of another user');
  const chosen = join(tmp.dir, 'chosen');
  mkdirSync(chosen, { mode: 0o700 });
  const shared = join(tmp.dir, 'shared-links');
  mkdirSync(shared);
  chmodSync(shared, 0o1777);
  const link = join(shared, 'state');
  symlinkSync(chosen, link);
  lchownSync(link, 65534, 65534);
  // Bounded: before the fix it served on, with its history where the link pointed.
  const r = spawnSync(process.execPath, [CLI, 'serve', '--port', '0', '--db', join(link, 'h.db')], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^memlens: --db \S+: refusing the folder .*state is a symbolic link of uid 65534/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.deepEqual(readdirSync(chosen), [], 'nothing was created where the link points');
});

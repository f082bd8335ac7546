// The runtime channel against its folder's owner, who is not trusted: root's `memlens inspect`
// reads and writes in a folder that user controls, and can swap for a link at any moment. What
// is checked is the folder that was opened, and everything goes through that open folder: a
// swap after the check cannot make root write or read elsewhere; a file planted as a link, a
// FIFO or a sparse giant is refused with its reason. The user here is a uid of no one on this
// machine, set up by root (chown) and, for the race, acted as with setpriv.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  CHANNEL_FORMAT,
  type ChannelDocument,
  findChannel,
  requestChannel,
} from '../../src/collect/runtime-channel.js';
import { openPrivateFolder, UntrustedError } from '../../src/files/private-folder.js';
import { enableRuntimeChannel } from '../../src/runtime/channel.js';
import { memoryStats } from '../../src/runtime/stats.js';
import { buildChild } from '../helpers/children.js';
import { canDropPrivileges } from '../helpers/cli.js';

const noRoot = canDropPrivileges();
/** A user of no one here: its folder is the one findChannel looks in, /tmp/memlens-<uid>. */
const USER = 64_123;
const userDir = `/tmp/memlens-${USER}`;
/** The forged channel is for this process: any live pid does. */
const pid = process.pid;

let scratch: string;
/** A folder only root may write to: where an attack would make root create a file. */
let rootOnly: string;

before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'memlens-channel-trust-'));
  rootOnly = mkdtempSync(join(tmpdir(), 'memlens-root-only-'));
  chmodSync(rootOnly, 0o700);
});
after(() => {
  for (const d of [scratch, rootOnly, userDir]) rmSync(d, { recursive: true, force: true });
});

/** The user's channel folder, fresh, holding a valid document for `pid` written by the user. */
function userChannel(): string {
  rmSync(userDir, { recursive: true, force: true });
  mkdirSync(userDir, { mode: 0o700 });
  chownSync(userDir, USER, USER);
  const doc: ChannelDocument = {
    memlensRuntimeChannel: CHANNEL_FORMAT,
    pid,
    startTimeTicks: null,
    uid: USER,
    writtenAtMs: Date.now(),
    answers: null,
    stats: memoryStats(),
  };
  userFile(join(userDir, `${pid}.json`), JSON.stringify(doc));
  return userDir;
}

function userFile(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chownSync(path, USER, USER);
}

/** A symbolic link owned by the user (it may then rename it in /tmp, which is sticky). */
function userLink(target: string, path: string): void {
  symlinkSync(target, path);
  lchownSync(path, USER, USER);
}

test("a folder open to others, someone else's, or a link to a good one is refused", () => {
  const open = join(scratch, 'open');
  mkdirSync(open, { mode: 0o755 });
  assert.throws(() => openPrivateFolder(open, 0), /open to other users \(mode 755\)/);
  const closed = join(scratch, 'closed');
  mkdirSync(closed, { mode: 0o700 });
  openPrivateFolder(closed, 0).close();
  assert.throws(() => openPrivateFolder(closed, 1), /belongs to uid 0, not 1/);
  const link = join(scratch, 'link');
  symlinkSync(closed, link);
  assert.throws(
    () => openPrivateFolder(link, 0),
    (err: Error) => err instanceof UntrustedError && /is not a folder \(a symbolic link/.test(err.message),
  );
});

test('a folder swapped for a link after the check: files are made and read in the folder checked', () => {
  const dir = join(scratch, 'swapped');
  mkdirSync(dir, { mode: 0o700 });
  writeFileSync(join(dir, 'doc'), 'kept', { mode: 0o600 });
  const folder = openPrivateFolder(dir, 0);
  try {
    renameSync(dir, `${dir}.moved`);
    symlinkSync(rootOnly, dir);
    closeSync(folder.create('made'));
    assert.equal(folder.readPrivate('doc', 100).toString(), 'kept');
    assert.deepEqual(readdirSync(`${dir}.moved`).sort(), ['doc', 'made']);
    assert.deepEqual(readdirSync(rootOnly), []);
  } finally {
    folder.close();
  }
});

test("inspect's request, when the folder became a link after it was found, makes no file there", {
  skip: noRoot ?? false,
}, async () => {
  userChannel();
  const found = findChannel(pid, USER, null);
  assert.ok(found.found, found.found ? '' : found.reason);
  renameSync(userDir, `${userDir}.moved`);
  userLink(rootOnly, userDir);
  try {
    const asking = requestChannel(found, USER, 300);
    // While the request waits for its answer, the file it made (if any) is still there.
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(readdirSync(rootOnly), [], 'a request file appeared in the root-only folder');
    const answer = await asking;
    assert.equal(answer.fresh, false);
    assert.deepEqual(readdirSync(rootOnly), []);
  } finally {
    rmSync(userDir, { force: true });
    rmSync(`${userDir}.moved`, { recursive: true, force: true });
  }
});

test('the folder and a link to a root-only folder exchanged in a loop: nothing is ever made there', {
  skip: noRoot ?? false,
}, async (t) => {
  userChannel();
  const link = `${userDir}.link`;
  userLink(rootOnly, link);
  // inotify sees a file that is made and removed at once, as a timed-out request is.
  const made: string[] = [];
  const watcher = watch(rootOnly, (_event, name) => made.push(String(name)));
  // The user swaps its own folder and its link: renameat2(RENAME_EXCHANGE), as fast as it can.
  const racer = spawn(
    'setpriv',
    [`--reuid=${USER}`, `--regid=${USER}`, '--clear-groups', buildChild('exchange'), userDir, link],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let out = '';
  racer.stdout.on('data', (d) => {
    out += d;
  });
  let err = '';
  racer.stderr.on('data', (d) => {
    err += d;
  });
  const done = new Promise<void>((r) => racer.on('close', () => r()));
  try {
    while (!out.includes('\n')) {
      if (racer.exitCode !== null) throw new Error(`exchange exited: ${err}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    let asked = 0;
    for (let i = 0; i < 2000 && asked < 300; i++) {
      const found = findChannel(pid, USER, null);
      if (!found.found) continue;
      asked++;
      await requestChannel(found, USER, 0);
    }
    t.diagnostic(`${asked} requests made while the folder was being swapped`);
    assert.ok(asked > 0, 'the channel was found at times: the race was run');
    await new Promise((r) => setTimeout(r, 50)); // inotify events still on their way
    assert.deepEqual(made, [], 'root made a file in the root-only folder');
    assert.deepEqual(readdirSync(rootOnly), []);
  } finally {
    watcher.close();
    racer.stdin.end();
    await done;
    rmSync(link, { force: true });
  }
  const swaps = JSON.parse(out.trim().split('\n').pop() as string).swaps as number;
  t.diagnostic(`the folder was swapped ${swaps} times`);
  assert.ok(swaps > 0);
});

test('a sparse 1.5 GB channel file is refused unread, with its size as the reason', {
  skip: noRoot ?? false,
}, () => {
  userChannel();
  truncateSync(join(userDir, `${pid}.json`), 1.5 * 1024 ** 3);
  const found = findChannel(pid, USER, null);
  assert.equal(found.found, false);
  assert.match(found.found ? '' : found.reason, /\.json" is larger than 1 MiB, the most it may hold/);
});

test('a channel file that is a link (to a good document) or a FIFO is refused', {
  skip: noRoot ?? false,
}, () => {
  userChannel();
  const real = join(userDir, `${pid}.json`);
  const elsewhere = join(userDir, 'elsewhere.json');
  renameSync(real, elsewhere);
  userLink(elsewhere, real);
  const linked = findChannel(pid, USER, null);
  assert.match(
    linked.found ? '' : linked.reason,
    /is not a regular file \(a symbolic link is never followed\)/,
  );
  rmSync(real);
  // Without O_NONBLOCK, opening a FIFO nobody writes to would hang inspect for ever.
  assert.equal(spawnSync('mkfifo', ['-m', '600', real]).status, 0);
  chownSync(real, USER, USER);
  const fifo = findChannel(pid, USER, null);
  assert.match(fifo.found ? '' : fifo.reason, /is not a regular file/);
});

test('the writer keeps publishing into the folder it checked when that is swapped for a link', async () => {
  const dir = join(scratch, 'writer');
  const channel = enableRuntimeChannel({ dir });
  const moved = `${dir}.moved`;
  try {
    renameSync(dir, moved);
    symlinkSync(rootOnly, dir);
    channel.publish();
    assert.ok(existsSync(join(moved, `${process.pid}.json`)));
    // A request dropped into the real folder is still seen and answered there.
    const request = join(moved, `${process.pid}.request-0123456789abcdef`);
    writeFileSync(request, '');
    for (let waited = 0; existsSync(request) && waited < 5000; waited += 20)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(existsSync(request), false, 'the request was answered');
    assert.deepEqual(readdirSync(rootOnly), []);
  } finally {
    channel.close();
  }
  assert.deepEqual(readdirSync(moved), [], 'close removed the file from the folder it wrote to');
});

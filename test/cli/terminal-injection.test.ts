// A process that names itself with terminal commands, runs with them in its argv, maps a file
// whose path holds them, and sits in a cgroup named with them: every text output of the built
// CLI must show them escaped and let none through raw (root's terminal would obey them).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cgroupUnavailable, createCgroup, type TestCgroup } from '../helpers/cgroup.js';
import { type HostileInfo, type RunningChild, startChild } from '../helpers/children.js';
import { CLI, runCli } from '../helpers/cli.js';
import { tempDir } from '../server/serve-helper.js';

/** What a terminal would obey: C0 but the line feed, DEL, C1. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters looked for
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

// prctl(PR_SET_NAME) keeps 15 bytes: an OSC that retitles the terminal fits.
const COMM = '\x1b]0;PWNED\x07';
const COMM_SHOWN = '\\x1b]0;PWNED\\x07';
const ARGS = ['\x1b[31mred', 'line\nbreak', 'tab\there', '\u009b2J'];
const ARGS_SHOWN = '\\x1b[31mred line\\x0abreak tab\\x09here \\u009b2J';
const MAP_NAME = 'evil\x1b[2J\u009bname.bin';
const MAP_SHOWN = 'evil\\x1b[2J\\u009bname.bin';

const tmp = tempDir('hostile');
let child: RunningChild<HostileInfo>;
let pid: number;

before(async () => {
  child = await startChild<HostileInfo>('hostile', ARGS, {
    env: { HOSTILE_COMM: COMM, HOSTILE_MAP: join(tmp.dir, MAP_NAME) },
  });
  pid = child.info.pid;
});

after(async () => {
  await child?.stop();
  tmp.remove();
});

function assertClean(out: string, what: string): void {
  const m = RAW_CONTROL.exec(out);
  assert.equal(
    m,
    null,
    `${what}: raw U+${m?.[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${m?.index}: ${JSON.stringify(out.slice(Math.max(0, (m?.index ?? 0) - 40), (m?.index ?? 0) + 40))}`,
  );
}

async function textOf(args: string[]): Promise<string> {
  const r = await runCli(args);
  assert.equal(r.code, 0, `memlens ${args.join(' ')}: ${r.stderr}`);
  assertClean(r.stdout, `memlens ${args.join(' ')} stdout`);
  assertClean(r.stderr, `memlens ${args.join(' ')} stderr`);
  return r.stdout;
}

test('ps shows a hostile name escaped, in a row of its own', async () => {
  const out = await textOf(['ps']);
  const row = out.split('\n').find((l) => new RegExp(`^\\s*${pid}\\s`).test(l));
  assert.ok(row?.includes(COMM_SHOWN), `the row names the process in its escaped form: ${row}`);
  const grouped = await textOf(['ps', '--group']);
  assert.ok(grouped.includes(COMM_SHOWN), 'the program row of --group too');
});

test('inspect keeps the command line on one line, its newline and tab escaped', async () => {
  const out = await textOf(['inspect', String(pid)]);
  const lines = out.split('\n');
  assert.ok(lines[0]?.startsWith(`${COMM_SHOWN} (pid ${pid}`), lines[0]);
  assert.ok(lines[1]?.endsWith(ARGS_SHOWN), `the command line is one line: ${lines[1]}`);
  assert.ok(out.includes(MAP_SHOWN), 'the mapped path is among the largest regions or categories');
});

test('maps shows the mapped path escaped in its row', async () => {
  const out = await textOf(['maps', String(pid)]);
  const row = out.split('\n').find((l) => l.includes(MAP_SHOWN));
  assert.ok(row, 'the region of the hostile file is listed, escaped');
  assert.match(row, /rw-s/);
  assert.ok(out.includes(`of ${COMM_SHOWN} (pid ${pid})`), 'the footer names the process escaped');
});

test('watch, one line per sample, shows the name escaped', async () => {
  const out = await textOf(['watch', String(pid), '--count', '2', '--interval', '100ms']);
  assert.ok(out.includes(`${COMM_SHOWN}(${pid})`), out);
});

test('watch on a terminal: the live view draws, and the name stays escaped', async (t) => {
  if (spawnSync('script', ['--version']).status !== 0) return t.skip('script (util-linux) is not installed');
  // script(1) gives watch a terminal, so it draws its live view (with its own cursor and colour
  // sequences); the hostile name must not add any. A terminal of no size would crop the view away.
  const watch = `${process.execPath} ${CLI} watch ${pid} --count 3 --interval 100ms`;
  const r = spawnSync('script', ['-qec', `stty rows 50 cols 200; exec ${watch}`, '/dev/null'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.includes(`memlens watch ${COMM_SHOWN} (pid ${pid})`), 'the live view was drawn');
  for (const raw of ['\x1b]', '\x07', '\x1b[2J', '\u009b']) {
    assert.ok(!r.stdout.includes(raw), `no raw ${JSON.stringify(raw)} in the live view`);
  }
});

test('oom shows a hostile cgroup name and process name escaped', async (t) => {
  const why = cgroupUnavailable();
  if (why) return t.skip(why);
  let cg: TestCgroup | null = null;
  const home = /^\d+:memory:(.*)$/m.exec(readFileSync(`/proc/${pid}/cgroup`, 'utf8'))?.[1] ?? '/';
  try {
    cg = createCgroup('cg\x1b]0;CG\x07\u009bx', { limitBytes: 1024 * 1024 * 1024 });
    cg.add(pid);
    const shown = cg.path.replace('\x1b]0;CG\x07\u009b', '\\x1b]0;CG\\x07\\u009b');
    const out = await textOf(['oom', '--cgroup', cg.path]);
    assert.ok(out.includes(`Kill order inside ${shown} (`), 'the kill order names the cgroup escaped');
    assert.ok(
      out.split('\n').some((l) => l.includes(COMM_SHOWN) && l.includes(String(pid))),
      out,
    );
  } finally {
    // Back where it was, so that the cgroup can go while the child lives on.
    writeFileSync(join('/sys/fs/cgroup/memory', home, 'cgroup.procs'), String(pid));
    await cg?.remove();
  }
});

test('diff of snapshot files that hold hostile names shows them escaped', async () => {
  const a = join(tmp.dir, 'a.json');
  const b = join(tmp.dir, 'b.json');
  const confirm = await textOf(['snapshot', String(pid), '-o', a]);
  assert.ok(confirm.startsWith(`Snapshot of ${COMM_SHOWN} (pid ${pid})`), confirm);
  // A snapshot file is anyone's: b is a's with another hostile name and the mapped file grown.
  const snap = JSON.parse(readFileSync(a, 'utf8'));
  snap.name = 'x\x1b[2J\ny';
  snap.pid += 1;
  const region = snap.regions.find((r: { path: string | null }) => r.path?.includes(MAP_NAME));
  assert.ok(region, 'the snapshot holds the hostile mapping');
  region.rssBytes += 64 * 1024 * 1024;
  region.pssBytes += 64 * 1024 * 1024;
  writeFileSync(b, JSON.stringify(snap));
  const out = await textOf(['diff', a, b]);
  assert.ok(out.startsWith(`${COMM_SHOWN} (pid ${pid}) -> x\\x1b[2J\\x0ay (pid ${pid + 1})`), out);
  assert.ok(
    out.split('\n').some((l) => l.includes(MAP_SHOWN) && l.includes('+64.0M')),
    out,
  );
});

test('an error message that quotes a hostile argument is one escaped line', async () => {
  const r = await runCli(['inspect', 'no\x1b]0;such\x07\nprocess']);
  assert.equal(r.code, 1);
  assertClean(r.stderr, 'stderr');
  assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
  assert.ok(r.stderr.includes('no process is named "no\\x1b]0;such\\x07\\x0aprocess"'), r.stderr);
});

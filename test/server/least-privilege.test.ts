// serve as its own unprivileged user with exactly the two capabilities the systemd unit grants
// (CAP_SYS_PTRACE, CAP_SYSLOG), run for real through setpriv: root's processes have PSS and the
// kernel log is read. Without them, what cannot be read is unknown, with the reason. And the unit
// itself passes `systemd-analyze verify` with no warning.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { canDropPrivileges } from '../helpers/cli.js';
import { getJson, startServe, tempDir, waitFor } from './serve-helper.js';

const UNIT = new URL('../../deploy/systemd/memlens.service', import.meta.url).pathname;
const NOBODY = 65534;
const tmp = tempDir('least-privilege');
let rootChild: ChildProcess;

before(() => {
  // nobody must reach its own folder inside (root's, writable by root only).
  chmodSync(tmp.dir, 0o755);
  // A process of root's with memory of its own, for PSS to be read or refused.
  rootChild = spawn('sleep', ['600'], { stdio: 'ignore' });
});
after(() => {
  rootChild?.kill('SIGKILL');
  tmp.remove();
});

/** The capability names the unit grants, from its CapabilityBoundingSet= line. */
function unitCapabilities(): string[] {
  const line = /^CapabilityBoundingSet=(.*)$/m.exec(readFileSync(UNIT, 'utf8'))?.[1] ?? '';
  return line.split(/\s+/).filter(Boolean);
}

function asNobody(caps: string[]): string[] {
  const list = caps.map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`).join(',');
  const base = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'];
  if (caps.length === 0) return [...base, '--bounding-set=-all'];
  return [...base, `--inh-caps=${list}`, `--ambient-caps=${list}`, `--bounding-set=-all,${list}`];
}

interface Row {
  pid: number;
  pssBytes: number | null;
  unknownReason: string | null;
}

async function serveAs(caps: string[], name: string) {
  const dir = join(tmp.dir, name);
  mkdirSync(dir);
  chownSync(dir, NOBODY, NOBODY);
  const serve = await startServe(
    ['--port', '0', '--db', join(dir, 'h.db'), '--interval', '1s'],
    {},
    20_000,
    asNobody(caps),
  );
  const row = await waitFor('the root child in /api/processes', async () => {
    const { body } = await getJson<{ processes: Row[] }>(`${serve.url}/api/processes?limit=1000`);
    const r = body.processes.find((p) => p.pid === rootChild.pid);
    return r && (r.pssBytes !== null || r.unknownReason !== null) ? r : undefined;
  });
  const { body: oom } = await getJson<{ killsUnknownReason: string | null }>(`${serve.url}/api/oom`);
  return { serve, row, oom };
}

test('the unit grants exactly CAP_SYS_PTRACE and CAP_SYSLOG, to a user of its own', () => {
  const text = readFileSync(UNIT, 'utf8');
  assert.deepEqual(unitCapabilities().sort(), ['CAP_SYSLOG', 'CAP_SYS_PTRACE']);
  assert.match(text, /^AmbientCapabilities=CAP_SYS_PTRACE CAP_SYSLOG$/m);
  assert.match(text, /^DynamicUser=yes$/m);
  assert.match(text, /^NoNewPrivileges=yes$/m);
  assert.match(text, /^ProtectSystem=strict$/m);
  assert.doesNotMatch(text, /^User=root$/m);
});

test('systemd-analyze verify passes on the unit, with no warning', (t) => {
  if (spawnSync('systemd-analyze', ['--version']).status !== 0)
    return t.skip('systemd-analyze is not installed');
  // verify checks that ExecStart's program exists, and needs the system's targets: an alternate
  // root with both, so the unit is checked as it is shipped.
  const root = join(tmp.dir, 'root');
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
  writeFileSync(join(root, 'usr/bin/memlens'), '#!/bin/sh\n', { mode: 0o755 });
  cpSync('/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true });
  cpSync(UNIT, join(root, 'etc/systemd/system/memlens.service'));
  const r = spawnSync('systemd-analyze', ['verify', `--root=${root}`, '--man=no', 'memlens.service'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '', 'an unknown or misspelt option is only a warning: none is allowed');
});

test('as nobody with CAP_SYS_PTRACE and CAP_SYSLOG: root processes have PSS, the kernel log is read', async (t) => {
  const why = canDropPrivileges();
  if (why) return t.skip(why);
  const { serve, row, oom } = await serveAs(unitCapabilities(), 'caps');
  try {
    assert.equal(row.unknownReason, null);
    assert.ok((row.pssBytes ?? 0) > 0, `PSS of root's pid ${row.pid}: ${row.pssBytes}`);
    assert.equal(oom.killsUnknownReason, null, 'the kernel log was read');
  } finally {
    await serve.stop();
  }
});

test('as nobody without them: root processes have PSS unknown with the reason, and so has the log', async (t) => {
  const why = canDropPrivileges();
  if (why) return t.skip(why);
  const { serve, row, oom } = await serveAs([], 'nocaps');
  try {
    assert.equal(row.pssBytes, null);
    assert.equal(row.unknownReason, 'permission denied');
    const restricted = readFileSync('/proc/sys/kernel/dmesg_restrict', 'utf8').trim() === '1';
    if (restricted) assert.match(oom.killsUnknownReason ?? '', /permission denied: .*CAP_SYSLOG/);
    else t.diagnostic('kernel.dmesg_restrict=0: anyone may read the log here, so that half is not judged');
  } finally {
    await serve.stop();
  }
});

// The runtime channel end to end: a real Node child publishes, memlens inspect (the built CLI)
// asks it for fresh figures and shows them beside the kernel's, memlens oom takes its heap
// limit, and the file goes when the process does.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { test } from 'node:test';
import { findChannel, requestChannel } from '../../src/collect/runtime-channel.js';
import { createProcFs } from '../../src/procfs/fs.js';
import { readStat } from '../../src/procfs/stat.js';
import { cgroupUnavailable, createCgroup } from '../helpers/cgroup.js';
import { runCli, runJson } from '../helpers/cli.js';
import { startNode } from './_child.js';

const MiB = 1024 * 1024;
const uid = process.getuid?.() ?? 0;
// Children publish where a service without XDG_RUNTIME_DIR would: /tmp/memlens-<uid>.
const env = { XDG_RUNTIME_DIR: '' };
const startTime = (pid: number) => readStat(createProcFs('/'), pid).startTimeTicks;

test('a published channel is private, answers requests, shows in inspect, and goes at exit', async (t) => {
  const child = startNode('channel.ts', [], { env });
  const ready = await child.waitFor((l) => l.ready === true, 30_000);
  const pid = ready.pid as number;
  const path = ready.path as string;
  try {
    assert.equal(path, `/tmp/memlens-${uid}/${pid}.json`);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(dirname(path)).mode & 0o777, 0o700);

    const found = findChannel(pid, uid, startTime(pid));
    assert.ok(found.found, found.found ? '' : found.reason);
    const started = Date.now();
    const answer = await requestChannel(found, uid, 2000);
    t.diagnostic(`the process answered a request in ${Date.now() - started} ms`);
    assert.equal(answer.fresh, true);
    assert.notEqual(answer.doc.answers, null);
    assert.equal(answer.doc.stats.pid, pid);
    // Another process with the same PID (a different start time) is not this one.
    const stale = findChannel(pid, uid, startTime(pid) + 1);
    assert.equal(stale.found, false);

    const report = await runJson<{
      runtime: {
        kind: string;
        fresh: boolean;
        heapUsedBytes: number;
        gap: { rssBytes: number; parts: { name: string }[] };
      };
    }>(['inspect', String(pid)]);
    assert.equal(report.runtime.kind, 'node');
    assert.equal(report.runtime.fresh, true);
    assert.ok(report.runtime.heapUsedBytes > 2 * MiB, 'the child keeps 50,000 objects');
    assert.ok(report.runtime.gap.parts.some((p) => p.name === 'other-native'));
    const text = await runCli(['inspect', String(pid)]);
    assert.match(text.stdout, /Runtime \(Node v20[^)]*just now\)/);
    assert.match(text.stdout, /RSS .* = heap in use .* outside it:/);
  } finally {
    await child.stop();
  }
  assert.throws(() => statSync(path), /ENOENT/, 'removed at exit');
});

test('SIGTERM: the file is removed and the process still dies of the signal', async () => {
  const child = startNode('channel.ts', [], { env });
  const ready = await child.waitFor((l) => l.ready === true, 30_000);
  const closed = new Promise<NodeJS.Signals | null>((r) =>
    child.proc.on('close', (_code, signal) => r(signal)),
  );
  child.proc.kill('SIGTERM');
  assert.equal(await closed, 'SIGTERM');
  assert.throws(() => statSync(ready.path as string), /ENOENT/);
});

const noCgroup = cgroupUnavailable();
test('memlens oom takes the heap limit from the channel (NODE_OPTIONS hides it from the command line)', {
  skip: noCgroup ?? false,
}, async () => {
  const cg = createCgroup('channel-oom', { limitBytes: 256 * MiB });
  const enter = { shellPrefix: `echo $$ > ${cg.dir}/cgroup.procs` };
  const published = startNode('channel.ts', [], {
    ...enter,
    env: { ...env, NODE_OPTIONS: '--max-old-space-size=512' },
  });
  const silent = startNode('behave.ts', ['steady'], {
    ...enter,
    env: { NODE_OPTIONS: '--max-old-space-size=512' },
  });
  try {
    const a = await published.waitFor((l) => l.ready === true, 30_000);
    const b = await silent.waitFor((l) => l.ready === true, 30_000);
    const report = await runJson<{ findings: { id: string; evidence: Record<string, number> }[] }>([
      'oom',
      '--cgroup',
      cg.path,
    ]);
    const flagged = report.findings
      .filter((f) => f.id === 'node-heap-above-limit')
      .map((f) => f.evidence.pid);
    assert.deepEqual(
      flagged,
      [a.pid],
      `only the publishing process is known to have a 512 MiB heap limit (not ${b.pid})`,
    );
  } finally {
    await Promise.all([published.stop(), silent.stop()]);
    await cg.remove();
  }
});

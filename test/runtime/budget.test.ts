// memoryBudget: the start-up warning under a real cgroup v1 limit, thresholds in order as a child
// grows toward its cgroup's limit, and (in this process, with a limit given) hysteresis, the
// rate-limited heap snapshot, the user's hook and the 503 middleware.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type MemoryStats, memoryBudget, type PressureEvent } from '../../src/runtime/index.js';
import { cgroupUnavailable, createCgroup } from '../helpers/cgroup.js';
import { type RunningChild, startChild } from '../helpers/children.js';
import { startNode } from './_child.js';

const MiB = 1024 * 1024;
const noCgroup = cgroupUnavailable();

test('--max-old-space-size above a real cgroup v1 limit draws the warning', {
  skip: noCgroup ?? false,
}, async (t) => {
  const cg = createCgroup('budget-warn', { limitBytes: 256 * MiB });
  try {
    const child = startNode('budget.ts', ['warn'], {
      nodeArgs: ['--max-old-space-size=512'],
      shellPrefix: `echo $$ > ${cg.dir}/cgroup.procs`,
    });
    const line = await child.waitFor((l) => 'warnings' in l, 30_000);
    await child.stop();
    const [w] = line.warnings as {
      code: string;
      message: string;
      suggestedMaxOldSpaceSizeMb: number;
      cgroupPath: string;
    }[];
    assert.ok(w, 'a warning');
    t.diagnostic(w.message);
    assert.equal(w.code, 'MEMLENS_HEAP_ABOVE_LIMIT');
    assert.equal(w.cgroupPath, cg.path);
    assert.equal(w.suggestedMaxOldSpaceSizeMb, 192, '75% of 256 MiB');
    assert.match(
      child.stderr(),
      /MemlensWarning: .*--max-old-space-size=192/,
      'emitted as a process warning',
    );
  } finally {
    await cg.remove();
  }
});

test('pressure thresholds fire in order as a child grows toward its cgroup limit', {
  skip: noCgroup ?? false,
}, async (t) => {
  const cg = createCgroup('budget-grow', { limitBytes: 320 * MiB });
  try {
    const child = startNode('budget.ts', ['grow'], { shellPrefix: `echo $$ > ${cg.dir}/cgroup.procs` });
    await child.waitFor((l) => l.ready === true, 30_000);
    await child.waitFor((l) => l.event === 'pressure' && l.threshold === 0.95, 60_000);
    await child.stop();
    const events = child.lines.filter((l) => l.event === 'pressure') as unknown as PressureEvent[];
    t.diagnostic(
      events.map((e) => `${e.threshold}: ${(e.ratio * 100).toFixed(1)}% (${e.measure})`).join(', '),
    );
    assert.deepEqual(
      events.map((e) => e.threshold),
      [0.8, 0.9, 0.95],
    );
    for (const e of events) {
      assert.equal(e.source, 'cgroup');
      assert.equal(e.measure, 'cgroup working set');
      assert.equal(e.limitBytes, 320 * MiB);
      assert.ok(
        e.ratio >= e.threshold && e.ratio < e.threshold + 0.05,
        `${e.ratio} just past ${e.threshold}`,
      );
    }
    assert.ok(events.every((e, i) => i === 0 || e.timeMs >= (events[i - 1] as PressureEvent).timeMs));
  } finally {
    await cg.remove();
  }
});

test("under a parent limit shared with 2 other cgroups, the budget measures the parent's working set", {
  skip: noCgroup ?? false,
}, async (t) => {
  // /parent (256 MiB) holds a and b (60 MiB each, real processes) and c, which has its own 200 MiB
  // limit (the lowest on its way up) and the Node process. The parent binds: it has less room left.
  const parent = createCgroup('budget-shared', { limitBytes: 256 * MiB });
  const held: RunningChild<{ pid: number }>[] = [];
  try {
    for (const name of ['a', 'b']) {
      const cg = createCgroup(name, { parent });
      const kid = await startChild<{ pid: number }>('growth', ['60', '0']);
      held.push(kid);
      cg.add(kid.info.pid);
      kid.proc.stdin?.write('\n');
      for (let i = 0; i < 200 && kid.lines.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(kid.lines.length, 1, 'growth touched its memory');
    }
    const c = createCgroup('c', { parent, limitBytes: 200 * MiB });
    const child = startNode('budget.ts', ['measure'], { shellPrefix: `echo $$ > ${c.dir}/cgroup.procs` });
    const line = await child.waitFor((l) => 'measure' in l, 30_000);
    const parentUsage = Number(parent.read('memory.usage_in_bytes').trim());
    await child.stop();
    const m = line.measure as Omit<PressureEvent, 'threshold'>;
    const limit = line.limit as MemoryStats['limit'];
    t.diagnostic(
      `budget: ${(m.usageBytes / MiB).toFixed(1)} of ${(m.limitBytes / MiB).toFixed(0)} MiB (${m.measure}); ` +
        `parent usage after: ${(parentUsage / MiB).toFixed(1)} MiB; ${limit.reason}`,
    );
    assert.equal(m.source, 'cgroup');
    assert.equal(m.measure, 'cgroup working set');
    assert.equal(m.limitBytes, 256 * MiB, "the parent's limit, not c's own 200 MiB");
    // The parent's working set holds both siblings' 120 MiB and the Node process; it was read just
    // before the test's own read of usage_in_bytes (fuzzy by a per-cpu charge batch), while Node idles.
    assert.ok(m.usageBytes >= 120 * MiB, `usage ${m.usageBytes} counts the siblings`);
    assert.ok(m.usageBytes <= parentUsage + 2 * MiB, `usage ${m.usageBytes} vs the parent's ${parentUsage}`);
    assert.equal(limit.cgroupPath, parent.path);
    assert.equal(limit.cgroupLimitBytes, 256 * MiB);
    assert.equal(limit.cgroupSharedWith, 2);
    assert.ok(limit.cgroupHeadroomBytes !== null && limit.cgroupHeadroomBytes < 256 * MiB - 120 * MiB);
    assert.match(limit.reason, new RegExp(`shared with 2 other cgroups under ${parent.path}`));
  } finally {
    for (const k of held) await k.stop();
    await parent.remove();
  }
});

test('hysteresis, the snapshot (once per interval), the hook and the 503 middleware', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'memlens-budget-'));
  let limit = process.memoryUsage().rss / 0.97;
  const hooked: number[] = [];
  const budget = memoryBudget({
    limit: () => limit,
    intervalMs: 60_000,
    onPressure: (e) => hooked.push(e.threshold),
    heapSnapshot: { dir, threshold: 0.9, minIntervalMs: 60_000 },
  });
  const relief: number[] = [];
  budget.on('relief', (e) => relief.push(e.threshold));
  const server = createServer((req, res) =>
    budget.middleware({ retryAfterSec: 7 })(req, res, () => res.end('ok')),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  try {
    budget.check();
    assert.deepEqual(hooked, [0.8, 0.9, 0.95]);
    assert.equal(budget.level, 0.95);
    assert.equal(readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot')).length, 1);
    const shed = await fetch(url);
    assert.equal(shed.status, 503);
    assert.equal(shed.headers.get('retry-after'), '7');
    // 93% of the limit: below 95% but not by the 5% hysteresis, so still shedding.
    limit = process.memoryUsage().rss / 0.93;
    budget.check();
    assert.deepEqual(relief, []);
    // 50%: every threshold left, highest first; requests pass again.
    limit = process.memoryUsage().rss / 0.5;
    budget.check();
    assert.deepEqual(relief, [0.95, 0.9, 0.8]);
    assert.equal((await fetch(url)).status, 200);
    // Crossing again within the snapshot interval: events, but no second snapshot.
    limit = process.memoryUsage().rss / 0.96;
    budget.check();
    assert.deepEqual(hooked, [0.8, 0.9, 0.95, 0.8, 0.9, 0.95]);
    assert.equal(readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot')).length, 1);
  } finally {
    budget.stop();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

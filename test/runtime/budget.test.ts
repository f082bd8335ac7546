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
import { memoryBudget, type PressureEvent } from '../../src/runtime/index.js';
import { cgroupUnavailable, createCgroup } from '../helpers/cgroup.js';
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

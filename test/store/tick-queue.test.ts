// The writer's queue on a real history file, with a real second connection holding the write
// lock: failed ticks wait (oldest dropped past the bound, and counted), and land in order once
// the lock is released; a close under the lock counts what it could not write.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { History } from '../../src/store/history.js';
import { type QueueStatus, TickQueue } from '../../src/store/tick-queue.js';
import type { WriteFailure } from '../../src/store/write-failure.js';
import { proc, T0, tempDir } from './_helpers.js';

function setup(t: Parameters<typeof tempDir>[0], maxRows: number, retryAfterMs = 0) {
  const path = join(tempDir(t), 'h.db');
  const history = History.open(path, { busyTimeoutMs: 0 });
  const failed: { kind: string; step: string }[] = [];
  const resumed: { after: WriteFailure; status: QueueStatus }[] = [];
  const queue = new TickQueue(
    history,
    {
      failed: (f, step) => failed.push({ kind: f.kind, step }),
      resumed: (after, status) => resumed.push({ after, status }),
    },
    maxRows,
    path,
    retryAfterMs,
  );
  const other = new Database(path);
  t.after(() => other.close());
  // One process: two rows a tick.
  const tick = () => ({ machine: null, processes: [proc(1, 1)], cgroups: [] });
  return { history, queue, other, failed, resumed, tick };
}

test('ticks that meet a held lock wait, the oldest past the bound are dropped and counted, and the rest land in order', (t) => {
  const { history, queue, other, failed, resumed, tick } = setup(t, 6);
  queue.push(T0, tick());
  other.exec('BEGIN IMMEDIATE');
  for (let i = 1; i <= 5; i++) queue.push(T0 + i, tick());
  assert.deepEqual(queue.status(), {
    queued: 3,
    written: 1,
    dropped: 2,
    failing: queue.status().failing,
  });
  assert.equal(queue.status().failing?.kind, 'busy');
  assert.equal(failed.length, 5, 'each failed attempt is reported (the server logs the first)');
  assert.ok(failed.every((f) => f.kind === 'busy' && f.step === 'write'));
  queue.compact(T0 + 5);
  assert.equal(failed.at(-1)?.step, 'write', 'no compaction before the queue is written');
  other.exec('COMMIT');

  // The bound holds as the tick joins the queue: T0 + 3 makes room for it.
  queue.push(T0 + 6, tick());
  assert.deepEqual(queue.status(), { queued: 0, written: 4, dropped: 3, failing: null });
  assert.equal(resumed.length, 1);
  assert.equal(resumed[0]?.after.kind, 'busy');
  assert.equal(resumed[0]?.status.dropped, 3);
  assert.deepEqual(history.machineSeries(T0 - 1, T0 + 10).t, [T0, T0 + 4, T0 + 5, T0 + 6]);
  queue.close();
});

test('close under a held lock: what cannot be written is counted as dropped, and the history closes', (t) => {
  const { history, queue, other, tick } = setup(t, 100);
  queue.push(T0, tick());
  other.exec('BEGIN IMMEDIATE');
  queue.push(T0 + 1, tick());
  queue.push(T0 + 2, tick());
  const status = queue.close();
  other.exec('COMMIT');
  assert.equal(status.written, 1);
  assert.equal(status.dropped, 2);
  assert.equal(status.queued, 0);
  assert.throws(() => history.machineSeries(T0, T0 + 3), /not open/, 'the history is closed');
});

test('after a failure, ticks only queue until retryAfterMs has passed; close still tries', (t) => {
  const { history, queue, other, failed, tick } = setup(t, 100, 3_600_000);
  other.exec('BEGIN IMMEDIATE');
  for (let i = 0; i < 4; i++) queue.push(T0 + i, tick());
  assert.equal(failed.length, 1, 'one attempt, then the ticks wait without a try each');
  queue.compact(T0 + 4);
  assert.equal(failed.length, 1, 'nor does a compaction try');
  other.exec('COMMIT');
  const status = queue.close();
  assert.deepEqual([status.written, status.dropped], [4, 0], 'close writes what waited');
  const reopened = History.open(history.path);
  t.after(() => reopened.close());
  assert.deepEqual(reopened.machineSeries(T0 - 1, T0 + 10).t, [T0, T0 + 1, T0 + 2, T0 + 3]);
});

// The writer's side of a history that can fail: ticks wait in a bounded queue, oldest first, and are
// written in order as soon as a write succeeds again. A failure (disk full, lock held, read-only,
// I/O error) stops the drain until a later tick (at most one try per retryAfterMs), so a full disk
// costs one failed transaction now and then, not one per queued tick.
//
// Kept rather than dropped, because the usual failures pass (a lock held by a backup or a VACUUM,
// space freed by someone): the queued ticks then land and the history has no gap. The queue is
// bounded by rows (a tick is 1 + processes + cgroups rows), since a tick of 300 processes is ~50 kB
// of objects: past the bound the oldest ticks are dropped and counted, and a long outage leaves
// one gap before the newest ticks rather than a hole in memory.

import { classifyWriteFailure, type WriteFailure } from './write-failure.js';
import type { Tick } from './writer.js';

/** ~12 MB of queued rows: at 300 processes, 200 ticks (over 3 minutes at 1 s). */
export const MAX_QUEUED_ROWS = 60_000;

export interface TickTarget {
  writeTick(t: number, tick: Tick): void;
  compact(now: number): void;
  close(): void;
}

export type WriteStep = 'write' | 'compact' | 'close';

export interface QueueStatus {
  queued: number;
  written: number;
  dropped: number;
  /** The failure that stopped the last attempt; null once a write succeeded since. */
  failing: WriteFailure | null;
}

export interface QueueEvents {
  /** A step failed (every time: the caller decides what to log). */
  failed(failure: WriteFailure, step: WriteStep): void;
  /** Writing succeeded again after `after` had failed. */
  resumed(after: WriteFailure, status: QueueStatus): void;
}

interface Queued {
  t: number;
  tick: Tick;
  rows: number;
}

export class TickQueue {
  private readonly queue: Queued[] = [];
  private rows = 0;
  private written = 0;
  private dropped = 0;
  private failing: WriteFailure | null = null;

  constructor(
    private readonly target: TickTarget,
    private readonly events: QueueEvents,
    private readonly maxRows = MAX_QUEUED_ROWS,
    /** The history's file, to tell a read-only file system from an I/O error. */
    private readonly path?: string,
    /**
     * After a failure, how long pushes only queue (ms). A failing write may wait out the busy
     * timeout: retried for every tick of a short interval, ticks would pile up unbounded in
     * front of the queue, in the thread's message port.
     */
    private readonly retryAfterMs = 0,
  ) {}

  private failedAt = 0;

  status(): QueueStatus {
    return { queued: this.queue.length, written: this.written, dropped: this.dropped, failing: this.failing };
  }

  /** Queues the tick and writes what the queue holds, oldest first, until one fails. */
  push(t: number, tick: Tick): void {
    const rows = 1 + tick.processes.length + tick.cgroups.length;
    this.queue.push({ t, tick, rows });
    this.rows += rows;
    while (this.rows > this.maxRows && this.queue.length > 1) {
      this.rows -= (this.queue.shift() as Queued).rows;
      this.dropped++;
    }
    if (this.mayRetry()) this.drain();
  }

  /** Compacts once the queue is written (a failing history compacts at a later call). */
  compact(now: number): void {
    if (!this.mayRetry() || !this.drain()) return;
    const before = this.failing;
    if (this.attempt('compact', () => this.target.compact(now)) && before !== null)
      this.events.resumed(before, this.status());
  }

  /** Writes what it can of the queue, counts the rest as dropped, and closes the target. */
  close(): QueueStatus {
    this.drain();
    this.dropped += this.queue.length;
    this.queue.length = 0;
    this.rows = 0;
    this.attempt('close', () => this.target.close());
    return this.status();
  }

  private mayRetry(): boolean {
    return this.failing === null || Date.now() - this.failedAt >= this.retryAfterMs;
  }

  /** Writes the queue, oldest first; false when a write failed (the rest waits). */
  private drain(): boolean {
    const before = this.failing;
    for (;;) {
      const head = this.queue[0];
      if (head === undefined) break;
      if (!this.attempt('write', () => this.target.writeTick(head.t, head.tick))) return false;
      this.queue.shift();
      this.rows -= head.rows;
      this.written++;
    }
    if (before !== null && this.failing === null) this.events.resumed(before, this.status());
    return true;
  }

  private attempt(step: WriteStep, run: () => void): boolean {
    try {
      run();
    } catch (err) {
      this.failing = classifyWriteFailure(err, this.path);
      this.failedAt = Date.now();
      this.events.failed(this.failing, step);
      return false;
    }
    this.failing = null;
    return true;
  }
}

// The history's writer, run in a worker thread (write-worker.ts) with its own connection: the
// sampler posts each tick and returns at once, so SQLite's busy timeout, a full disk's failing
// transactions and compaction never run where ticks are taken and requests answered. Reads stay
// on the caller's own connection: in WAL mode a reader does not wait for a writer.
import { Worker } from 'node:worker_threads';
import { HistoryError, type HistoryErrorCode } from './errors.js';
import type { RetentionTier } from './retention.js';
import { MAX_QUEUED_ROWS, type QueueStatus, type WriteStep } from './tick-queue.js';
import type { WriteFailure } from './write-failure.js';
import type { Tick } from './writer.js';

/**
 * How long the writer waits for another connection's lock before a write counts as failed (and
 * its tick stays queued for the next one): about a tick, so a close is never held long either.
 */
const WRITER_BUSY_TIMEOUT_MS = 1000;

export interface WriterSetup {
  path: string;
  retention?: RetentionTier[];
  busyTimeoutMs: number;
  maxQueuedRows: number;
}

export type ToWriter = { op: 'tick'; t: number; tick: Tick } | { op: 'compact'; t: number } | { op: 'close' };

export type FromWriter =
  | { op: 'ready' }
  | { op: 'open-failed'; code: HistoryErrorCode; message: string }
  | { op: 'failed'; failure: WriteFailure; step: WriteStep }
  | { op: 'resumed'; after: WriteFailure; status: QueueStatus }
  | { op: 'closed'; status: QueueStatus };

export interface WriterEvents {
  failed(failure: WriteFailure, step: WriteStep | 'thread'): void;
  resumed(after: WriteFailure, status: QueueStatus): void;
}

// From the sources (the tests run them through tsx) the worker is a .ts file, which a worker
// thread only loads once tsx is registered in it; the build runs the .js beside this file.
function spawnWorker(setup: WriterSetup): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSource ? './write-worker.ts' : './write-worker.js', import.meta.url);
  if (!fromSource) return new Worker(entry, { workerData: setup });
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const boot = `import(${tsx}).then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { eval: true, workerData: setup });
}

export class WriterThread {
  private gone = false;
  private closing: Promise<QueueStatus | null> | null = null;

  private constructor(
    private readonly worker: Worker,
    events: WriterEvents,
  ) {
    worker.on('message', (m: FromWriter) => {
      if (m.op === 'failed') events.failed(m.failure, m.step);
      else if (m.op === 'resumed') events.resumed(m.after, m.status);
    });
    worker.on('error', (err) => {
      this.gone = true;
      events.failed({ kind: 'other', message: err.message }, 'thread');
    });
    worker.on('exit', (code) => {
      // An exit we did not ask for (no close()) and that no 'error' reported: said all the same,
      // or every later tick would be dropped without a word.
      if (!this.gone && this.closing === null) {
        events.failed({ kind: 'other', message: `it exited with code ${code}` }, 'thread');
      }
      this.gone = true;
    });
  }

  /** Starts the thread and opens the history there; rejects with its HistoryError. */
  static start(
    path: string,
    events: WriterEvents,
    opts: { retention?: RetentionTier[]; maxQueuedRows?: number } = {},
  ): Promise<WriterThread> {
    const worker = spawnWorker({
      path,
      retention: opts.retention,
      busyTimeoutMs: WRITER_BUSY_TIMEOUT_MS,
      maxQueuedRows: opts.maxQueuedRows ?? MAX_QUEUED_ROWS,
    });
    return new Promise((resolve, reject) => {
      const fail = (err: Error) => {
        worker.off('message', first);
        worker.off('exit', exited);
        void worker.terminate();
        reject(err);
      };
      const first = (m: FromWriter) => {
        if (m.op === 'open-failed') return fail(new HistoryError(m.code, m.message));
        if (m.op !== 'ready') return;
        worker.off('message', first);
        worker.off('error', fail);
        worker.off('exit', exited);
        resolve(new WriterThread(worker, events));
      };
      const exited = () =>
        fail(new HistoryError('E_OPEN', `The history writer for "${path}" exited before opening it`));
      worker.on('message', first);
      worker.once('error', fail);
      worker.once('exit', exited);
    });
  }

  /** Queues the tick (t in unix seconds) for writing; never throws, never waits. */
  writeTick(t: number, tick: Tick): void {
    this.post({ op: 'tick', t, tick });
  }

  compact(now: number): void {
    this.post({ op: 'compact', t: now });
  }

  /**
   * Writes what is queued if it can, closes the history and ends the thread. Resolves with what
   * was written and dropped (null if the thread had died). Idempotent.
   */
  close(): Promise<QueueStatus | null> {
    this.closing ??= new Promise((resolve) => {
      if (this.gone) return resolve(null);
      let status: QueueStatus | null = null;
      this.worker.on('message', (m: FromWriter) => {
        if (m.op === 'closed') status = m.status;
      });
      this.worker.once('exit', () => resolve(status));
      this.worker.postMessage({ op: 'close' } satisfies ToWriter);
    });
    return this.closing;
  }

  private post(m: ToWriter): void {
    if (!this.gone && this.closing === null) this.worker.postMessage(m);
  }
}

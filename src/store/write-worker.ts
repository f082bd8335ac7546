// The history's writer thread (started by writer-thread.ts): its own SQLite connection, whose busy
// timeout and disk waits hold up only this thread, never a tick or an HTTP request. Ticks arrive
// as messages and go through a TickQueue; failures and recoveries go back as messages.
import { parentPort, workerData } from 'node:worker_threads';
import { HistoryError } from './errors.js';
import { History } from './history.js';
import { TickQueue } from './tick-queue.js';
import type { FromWriter, ToWriter, WriterSetup } from './writer-thread.js';

const port = parentPort;
if (port === null) throw new Error('write-worker.ts runs as a worker thread (see writer-thread.ts)');
const post = (m: FromWriter) => port.postMessage(m);
const setup = workerData as WriterSetup;

let history: History | null = null;
try {
  history = History.open(setup.path, { retention: setup.retention, busyTimeoutMs: setup.busyTimeoutMs });
} catch (err) {
  const code = err instanceof HistoryError ? err.code : 'E_OPEN';
  post({ op: 'open-failed', code, message: (err as Error).message });
  port.close();
}

if (history !== null) {
  const queue = new TickQueue(
    history,
    {
      failed: (failure, step) => post({ op: 'failed', failure, step }),
      resumed: (after, status) => post({ op: 'resumed', after, status }),
    },
    setup.maxQueuedRows,
    setup.path,
    // Retry no sooner than a write may itself wait on a lock: tries at every tick of a short
    // interval would each block the thread that long and pile ticks up in its message queue.
    setup.busyTimeoutMs,
  );
  post({ op: 'ready' });
  port.on('message', (m: ToWriter) => {
    if (m.op === 'tick') queue.push(m.t, m.tick);
    else if (m.op === 'compact') queue.compact(m.t);
    else {
      post({ op: 'closed', status: queue.close() });
      port.close();
    }
  });
}

// What serve says on stderr when its history cannot be written: one line per kind of failure
// (disk full, lock held, read-only, ...) with what to do, when an outage of that kind begins, and
// one when writing resumes after it. A disk that stays full fails every tick; the log says so once,
// and again only if it fills again after writing had resumed.
import type { QueueStatus, WriteStep } from '../store/tick-queue.js';
import { describeWriteFailure, type WriteFailure, type WriteFailureKind } from '../store/write-failure.js';
import type { WriterEvents } from '../store/writer-thread.js';

/** What went wrong, for the line that says writing works again. */
const AFTER: Record<WriteFailureKind, string> = {
  full: 'a full disk',
  busy: 'a lock held by another program',
  readonly: 'a read-only file system',
  io: 'I/O errors',
  other: 'errors',
};

const STEPS: Record<WriteStep | 'thread', string> = {
  write: 'cannot write a tick to the history',
  compact: 'cannot compact the history',
  close: 'cannot close the history cleanly',
  thread: 'the history writer stopped',
};

export interface HistoryLog extends WriterEvents {
  /** After the writer closed: says how many ticks were lost, if any. */
  closed(status: QueueStatus | null): void;
}

export function historyLog(path: string, write: (line: string) => void): HistoryLog {
  const failed = new Set<WriteFailureKind>();
  const line = (text: string) => write(`memlens serve: ${text}\n`);
  return {
    failed(f: WriteFailure, step: WriteStep | 'thread') {
      if (step === 'thread') {
        line(
          `${STEPS.thread} (${f.message}): the live figures are still served but the history no longer grows; restart memlens serve`,
        );
        return;
      }
      if (failed.has(f.kind)) return;
      failed.add(f.kind);
      line(
        `${STEPS[step]} (${f.message}): ${describeWriteFailure(f.kind, path)}. The live figures are still served; ticks wait in memory and are written once it works (not logged again)`,
      );
    },
    resumed(after: WriteFailure, status: QueueStatus) {
      // Once per outage: a later failure of the same kind is logged again.
      if (!failed.delete(after.kind)) return;
      const lost =
        status.dropped > 0 ? `; ${status.dropped} ticks dropped so far, more than memory holds` : '';
      line(`the history is written again, after ${AFTER[after.kind]}${lost}`);
    },
    closed(status: QueueStatus | null) {
      if (status === null || status.dropped === 0) return;
      const why = status.failing ? ` (${status.failing.message})` : '';
      line(`${status.dropped} ticks could not be written to the history and were dropped${why}`);
    },
  };
}

// enableRuntimeChannel(): publishes this process's memoryStats for `memlens inspect <pid>` and
// `memlens oom`, run from any shell on the machine by the same user or root. The writer side of
// the mechanism described in collect/runtime-channel.ts: one file written at start, rewritten
// only when a reader drops a request file next to it, removed at exit. While nobody asks, it
// costs one idle inotify watch: no timer, no writes.
import {
  closeSync,
  constants,
  type FSWatcher,
  mkdirSync,
  openSync,
  renameSync,
  watch,
  writeSync,
} from 'node:fs';
import {
  CHANNEL_FORMAT,
  type ChannelDocument,
  channelDir,
  channelFile,
  REQUEST_PATTERN,
} from '../collect/runtime-channel.js';
import { openPrivateFolder, type PrivateFolder, UntrustedError } from '../files/private-folder.js';
import { createProcFs } from '../procfs/fs.js';
import { readStat } from '../procfs/stat.js';
import { memoryStats } from './stats.js';

export interface RuntimeChannelOptions {
  /** The folder (default: $XDG_RUNTIME_DIR/memlens, else /tmp/memlens-<uid>). */
  dir?: string;
  /** Publish PSS/USS too (smaps_rollup on every request). */
  detail?: boolean;
}

export interface RuntimeChannel {
  /** The file readers read. */
  readonly path: string;
  /** Writes the latest figures now (they are also written whenever a reader asks). */
  publish(): void;
  /** Stops answering and removes the file (done at exit too). */
  close(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, but someone else's (a reused PID).
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const removeQuietly = (folder: PrivateFolder, name: string) => {
  try {
    folder.remove(name);
  } catch {
    // nothing more to do: the file stays
  }
};

/** Files of processes that died without removing theirs (SIGKILL, a crash). */
function sweep(folder: PrivateFolder): void {
  for (const name of folder.list()) {
    const m = /^(\d+)\.(?:json|request-[0-9a-f]+)$/.exec(name);
    if (m && Number(m[1]) !== process.pid && !alive(Number(m[1]))) removeQuietly(folder, name);
  }
}

const EXIT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export function enableRuntimeChannel(options: RuntimeChannelOptions = {}): RuntimeChannel {
  const uid = process.getuid?.() ?? 0;
  const dir = options.dir ?? channelDir(uid, process.env.XDG_RUNTIME_DIR);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  // A folder someone else made (in /tmp, say) must not receive our figures nor be trusted. It is
  // used only through the descriptor that was checked, as readers do (files/private-folder.ts).
  let folder: PrivateFolder;
  try {
    folder = openPrivateFolder(dir, uid);
  } catch (err) {
    if (!(err instanceof UntrustedError)) throw err;
    throw new Error(`Cannot publish the memlens runtime channel: ${err.message}; expected a private folder`);
  }
  const own = `${process.pid}.json`;
  const path = channelFile(dir, process.pid);
  let startTimeTicks: number | null = null;
  try {
    startTimeTicks = readStat(createProcFs('/'), process.pid).startTimeTicks;
  } catch {
    // No /proc: readers cannot check it either.
  }

  const write = (answers: string | null) => {
    const doc: ChannelDocument = {
      memlensRuntimeChannel: CHANNEL_FORMAT,
      pid: process.pid,
      startTimeTicks,
      uid,
      writtenAtMs: Date.now(),
      answers,
      stats: memoryStats({ detail: options.detail === true }),
    };
    // Write aside, then rename: a reader never sees half a file.
    const tmp = folder.entry(`${own}.tmp`);
    const fd = openSync(
      tmp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
      0o600,
    );
    try {
      writeSync(fd, JSON.stringify(doc));
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, folder.entry(own));
  };

  const answer = (name: string) => {
    const m = REQUEST_PATTERN.exec(name);
    if (!m || Number(m[1]) !== process.pid) return;
    try {
      // The watch also reports the request's removal: only a request still there is answered.
      if (!folder.remove(name)) return;
    } catch {
      return;
    }
    write(m[2] as string);
  };

  let watcher: FSWatcher | null = null;
  try {
    sweep(folder);
    write(null);
    // The folder's fd path: inotify watches the folder that was checked, wherever `dir` points now.
    watcher = watch(folder.at, { persistent: false }, (_event, name) => {
      if (name) answer(name.toString());
    });
    // Requests made before the watch began.
    for (const name of folder.list()) answer(name);
  } catch (err) {
    watcher?.close();
    folder.close();
    throw err;
  }

  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    watcher?.close();
    watcher = null;
    removeQuietly(folder, own);
    folder.close();
    process.removeListener('exit', close);
    for (const sig of EXIT_SIGNALS) process.removeListener(sig, onSignal);
  };
  // On a signal with no other listener, Node would have died without 'exit': clean up, then die
  // of the same signal as if we had not listened. With the app's own listener, it decides.
  function onSignal(sig: NodeJS.Signals) {
    const others = process.listenerCount(sig) > 1;
    close();
    if (!others) process.kill(process.pid, sig);
  }
  process.on('exit', close);
  for (const sig of EXIT_SIGNALS) process.on(sig, onSignal);
  return {
    path,
    publish: () => {
      if (!closed) write(null);
    },
    close,
  };
}

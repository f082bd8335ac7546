// The floor: the same kernel files a memlens scan reads, read with plain open/read/close into one
// reused buffer, never decoded or parsed. Nothing that reads these files can be faster in Node.
// A recording ProcFs checks that the floor reads what memlens really reads.
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import type { ProcFs } from '../src/procfs/fs.js';

let buf = Buffer.allocUnsafe(1 << 16);

/** Reads fd to its end (from offset 0 when fromStart) and returns the byte count. */
function drain(fd: number, fromStart: boolean): number {
  let used = 0;
  for (;;) {
    if (used === buf.length) {
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, used);
      buf = bigger;
    }
    const n = readSync(fd, buf, used, buf.length - used, fromStart ? used : null);
    if (n === 0) return used;
    used += n;
  }
}

/** Reads a whole file; -1 when it cannot be read (exited, permission denied), as a scan skips those. */
export function readRaw(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return -1;
  }
  try {
    return drain(fd, false);
  } catch {
    return -1;
  } finally {
    closeSync(fd);
  }
}

/** Files a memlens scan reads for each process besides stat, which is opened first and re-read last. */
export const SCAN_FILES = ['status', 'smaps_rollup', 'oom_score', 'oom_score_adj'];
/** What `memlens ps` adds per process: the cgroup, for the %MEM limit. */
export const PS_FILES = [...SCAN_FILES, 'cgroup'];

/**
 * One pass over every process: list /proc, then per PID open stat, read it, read `files`, re-read
 * stat through the same fd (memlens's identity check) and close. Returns the bytes read.
 */
export function floorScan(files: readonly string[]): number {
  let bytes = 0;
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const dir = `/proc/${name}/`;
    let fd: number;
    try {
      fd = openSync(`${dir}stat`, 'r');
    } catch {
      continue;
    }
    try {
      bytes += drain(fd, true);
      for (const f of files) bytes += readRaw(dir + f);
      bytes += drain(fd, true);
    } catch {
      // Exited between two reads: skipped, as memlens skips it.
    } finally {
      closeSync(fd);
    }
  }
  return bytes;
}

/** Reads each file once (meminfo, mountinfo, passwd, cgroup limit files). */
export function floorOnce(paths: readonly string[]): number {
  let bytes = 0;
  for (const p of paths) bytes += readRaw(p);
  return bytes;
}

export interface Recording {
  /** Per-process file names read, with how many times per process on average ("stat" counts its re-read). */
  perProcess: Map<string, number>;
  /** Absolute paths read that do not belong to one process, in order, without repeats. */
  once: string[];
  pids: number;
}

/** Wraps a ProcFs and records what it reads, to derive and check the floor's file list. */
export function recordingFs(inner: ProcFs): { fs: ProcFs; recording: () => Recording } {
  const perPid = new Map<string, number>();
  const once = new Set<string>();
  const pids = new Set<string>();
  const note = (rel: string, times = 1) => {
    const m = /^proc\/(\d+)\/(.+)$/.exec(rel);
    if (m) {
      pids.add(m[1] as string);
      perPid.set(m[2] as string, (perPid.get(m[2] as string) ?? 0) + times);
    } else if (rel !== 'proc') {
      once.add(inner.path(rel));
    }
  };
  const fs: ProcFs = {
    root: inner.root,
    path: (...parts) => inner.path(...parts),
    readText(rel, pid) {
      note(rel);
      return inner.readText(rel, pid);
    },
    list(rel) {
      return inner.list(rel);
    },
    readLink(rel, pid) {
      note(rel);
      return inner.readLink(rel, pid);
    },
    openPinned(rel, pid) {
      const pinned = inner.openPinned(rel, pid);
      return {
        read() {
          note(rel);
          return pinned.read();
        },
        close: () => pinned.close(),
      };
    },
  };
  const recording = (): Recording => {
    const perProcess = new Map<string, number>();
    for (const [name, n] of perPid)
      perProcess.set(name, Math.round((n / Math.max(1, pids.size)) * 100) / 100);
    return { perProcess, once: [...once], pids: pids.size };
  };
  return { fs, recording };
}

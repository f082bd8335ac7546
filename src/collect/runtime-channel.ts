// The runtime channel, reader side: what a Node process using memlens/runtime publishes about its
// heap (src/runtime/channel.ts is the writer), and a Go service's expvar memstats.
//
// The mechanism, which the writer and README describe too:
//   - A process opts in (enableRuntimeChannel). It writes <dir>/<pid>.json once, mode 0600 in a
//     0700 folder: dir is $XDG_RUNTIME_DIR/memlens, or /tmp/memlens-<uid> without it.
//   - A reader wanting fresh figures creates <dir>/<pid>.request-<nonce>. The writer watches the
//     folder (inotify: no cost until something changes there), rewrites <pid>.json with
//     "answers": "<nonce>" and removes the request. The reader polls the file for that nonce and
//     falls back, after a timeout, to the figures last written, saying how old they are.
//   - The file goes when the process exits. One left by a killed process is told apart by the
//     process start time it records, and the writer sweeps such files when it starts.
// Readers look in /run/user/<uid>/memlens (systemd's XDG_RUNTIME_DIR), /tmp/memlens-<uid> and,
// for their own user, their own $XDG_RUNTIME_DIR/memlens. They trust a folder and file only when
// owned by the process's user and closed to everyone else: /tmp is shared, and a folder
// someone else made there could hold figures forged for another user's process. The check is
// made on the open folder, and its files are reached through it (files/private-folder.ts), so
// a folder swapped for a link after the check cannot make root write or read elsewhere; a
// document is read only up to CHANNEL_MAX_BYTES.
import { randomBytes } from 'node:crypto';
import { closeSync } from 'node:fs';
import { join } from 'node:path';
import { parseBoundedJson } from '../files/bounded-input.js';
import { openPrivateFolder, type PrivateFolder, UntrustedError } from '../files/private-folder.js';
import type { MemoryStats } from '../runtime/types.js';

export const CHANNEL_FORMAT = 1;

export interface ChannelDocument {
  memlensRuntimeChannel: typeof CHANNEL_FORMAT;
  pid: number;
  /** The process's start time (clock ticks after boot, /proc/PID/stat field 22): PIDs are reused. */
  startTimeTicks: number | null;
  uid: number;
  writtenAtMs: number;
  /** The nonce of the request this write answers; null for the first write. */
  answers: string | null;
  stats: MemoryStats;
}

/** The folder a writer with this uid and XDG_RUNTIME_DIR publishes into. */
export function channelDir(uid: number, xdgRuntimeDir: string | undefined): string {
  return xdgRuntimeDir ? join(xdgRuntimeDir, 'memlens') : `/tmp/memlens-${uid}`;
}

/** Where a reader looks for a process of user `uid`, most likely first. */
export function candidateDirs(uid: number): string[] {
  const dirs = [`/run/user/${uid}/memlens`, `/tmp/memlens-${uid}`];
  const own = process.env.XDG_RUNTIME_DIR;
  if (own && process.getuid?.() === uid) dirs.unshift(join(own, 'memlens'));
  return [...new Set(dirs)];
}

export const channelFile = (dir: string, pid: number) => join(dir, `${pid}.json`);
export const REQUEST_PATTERN = /^(\d+)\.request-([0-9a-f]{16})$/;

/** The most a channel document may be: it is a few KiB; more is refused unread. */
export const CHANNEL_MAX_BYTES = 1024 * 1024;

export type FoundChannel =
  | { found: true; dir: string; path: string; doc: ChannelDocument }
  | { found: false; reason: string };

/** The document of `pid` in this folder; throws UntrustedError when it is not one. */
function readDoc(folder: PrivateFolder, pid: number): ChannelDocument {
  const text = folder.readPrivate(`${pid}.json`, CHANNEL_MAX_BYTES).toString('utf8');
  const notOne = `"${channelFile(folder.path, pid)}" is not a memlens runtime channel for pid ${pid}`;
  let doc: Partial<ChannelDocument> | null;
  try {
    doc = parseBoundedJson(text) as Partial<ChannelDocument> | null;
  } catch (err) {
    throw new UntrustedError(`${notOne}: ${(err as Error).message}`);
  }
  if (doc?.memlensRuntimeChannel !== CHANNEL_FORMAT || doc.pid !== pid) throw new UntrustedError(notOne);
  return doc as ChannelDocument;
}

/** Why the folder cannot be used, from what opening it threw; null when it does not exist. */
function refusal(err: unknown, path: string, uid: number): string | null {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return null;
  if (err instanceof UntrustedError) return err.message;
  return code === 'EACCES'
    ? `permission denied reading "${path}": only uid ${uid} and root can`
    : (err as Error).message;
}

/**
 * The channel of process `pid` (user `uid`, started at `startTimeTicks`), or why there is none:
 * not published, published by an earlier process with that PID, or not trustworthy.
 */
export function findChannel(pid: number, uid: number, startTimeTicks: number | null): FoundChannel {
  const reasons: string[] = [];
  for (const dir of candidateDirs(uid)) {
    const path = channelFile(dir, pid);
    let folder: PrivateFolder | null = null;
    try {
      folder = openPrivateFolder(dir, uid);
      const doc = readDoc(folder, pid);
      if (startTimeTicks !== null && doc.startTimeTicks !== null && doc.startTimeTicks !== startTimeTicks) {
        reasons.push(`"${path}" was left by an earlier process with pid ${pid}`);
      } else {
        return { found: true, dir, path, doc };
      }
    } catch (err) {
      const why = refusal(err, folder ? path : dir, uid);
      if (why) reasons.push(why);
    } finally {
      folder?.close();
    }
  }
  return { found: false, reason: reasons[0] ?? 'the process does not publish a memlens runtime channel' };
}

export interface ChannelAnswer {
  doc: ChannelDocument;
  /** True when the process answered this request; false when these are the last figures it wrote. */
  fresh: boolean;
  ageSec: number;
}

/**
 * Asks the process for fresh figures (see the top of this file) and waits up to timeoutMs. The
 * folder is opened and checked again, and the request made and the answer read through that one
 * descriptor: the folder found a moment ago may have been swapped for a link since.
 */
export async function requestChannel(
  found: Extract<FoundChannel, { found: true }>,
  uid: number,
  timeoutMs = 1000,
): Promise<ChannelAnswer> {
  const nonce = randomBytes(8).toString('hex');
  const request = `${found.doc.pid}.request-${nonce}`;
  let doc = found.doc;
  const last = () => ({ doc, fresh: false, ageSec: (Date.now() - doc.writtenAtMs) / 1000 });
  let folder: PrivateFolder;
  try {
    folder = openPrivateFolder(found.dir, uid);
  } catch {
    return last(); // no longer the folder that was checked: the last figures are all there is
  }
  try {
    try {
      closeSync(folder.create(request));
    } catch {
      return last(); // cannot ask (a read-only view of the folder)
    }
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
      try {
        doc = readDoc(folder, found.doc.pid);
      } catch {
        continue; // between the writer's write and rename there is always a whole file: retry
      }
      if (doc.answers === nonce) return { doc, fresh: true, ageSec: (Date.now() - doc.writtenAtMs) / 1000 };
    }
    try {
      folder.remove(request); // false: the writer took it after all
    } catch {
      // a request left there is harmless, and swept once the process is gone
    }
    return last();
  } finally {
    folder.close();
  }
}

/** PIDs with a channel file in the folders of these users: one readdir per folder, for `oom`. */
export function listChannelPids(uids: Iterable<number>): Map<number, number> {
  const out = new Map<number, number>();
  for (const uid of new Set(uids)) {
    for (const dir of candidateDirs(uid)) {
      let names: string[];
      try {
        const folder = openPrivateFolder(dir, uid);
        try {
          names = folder.list();
        } finally {
          folder.close();
        }
      } catch {
        continue;
      }
      for (const name of names) {
        const m = /^(\d+)\.json$/.exec(name);
        if (m) out.set(Number(m[1]), uid);
      }
    }
  }
  return out;
}

/** A Go service's runtime.MemStats as expvar serves them at /debug/vars, in bytes. */
export interface GoMemStats {
  heapAllocBytes: number;
  heapSysBytes: number;
  heapIdleBytes: number;
  heapInuseBytes: number;
  heapReleasedBytes: number;
  heapObjects: number;
  stackInuseBytes: number;
  stackSysBytes: number;
  sysBytes: number;
  /** Runtime metadata: MSpan, MCache, GC, profiling buckets and other off-heap structures. */
  runtimeMetadataBytes: number;
  nextGcBytes: number;
  numGc: number;
  pauseTotalNs: number;
  gcCpuFraction: number;
  /** os.Args as expvar's "cmdline" gives them, to check the URL belongs to the process. */
  cmdline: string[] | null;
}

const GO_FIELDS = [
  'HeapAlloc',
  'HeapSys',
  'HeapIdle',
  'HeapInuse',
  'HeapReleased',
  'StackInuse',
  'Sys',
] as const;

/** Parses the JSON of a Go expvar endpoint. Throws a SyntaxError naming what is missing. */
export function parseGoExpvar(text: string, source: string): GoMemStats {
  let body: { memstats?: Record<string, unknown>; cmdline?: unknown };
  try {
    body = JSON.parse(text);
  } catch {
    throw new SyntaxError(`Cannot parse "${source}": expected expvar JSON, found "${text.slice(0, 40)}"`);
  }
  const m = body?.memstats;
  if (!m || typeof m !== 'object')
    throw new SyntaxError(`Cannot parse "${source}": expected a "memstats" object (import _ "expvar")`);
  const num = (key: string): number => {
    const v = m[key];
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new SyntaxError(`Cannot parse "${source}": expected a number at memstats.${key}`);
    return v;
  };
  for (const key of GO_FIELDS) num(key);
  const opt = (key: string) => (typeof m[key] === 'number' ? (m[key] as number) : 0);
  return {
    heapAllocBytes: num('HeapAlloc'),
    heapSysBytes: num('HeapSys'),
    heapIdleBytes: num('HeapIdle'),
    heapInuseBytes: num('HeapInuse'),
    heapReleasedBytes: num('HeapReleased'),
    heapObjects: opt('HeapObjects'),
    stackInuseBytes: num('StackInuse'),
    stackSysBytes: opt('StackSys'),
    sysBytes: num('Sys'),
    runtimeMetadataBytes:
      opt('MSpanInuse') + opt('MCacheInuse') + opt('GCSys') + opt('BuckHashSys') + opt('OtherSys'),
    nextGcBytes: opt('NextGC'),
    numGc: opt('NumGC'),
    pauseTotalNs: opt('PauseTotalNs'),
    gcCpuFraction: opt('GCCPUFraction'),
    cmdline: Array.isArray(body.cmdline) ? body.cmdline.map(String) : null,
  };
}

/** Fetches and parses a Go expvar endpoint (http://127.0.0.1:PORT/debug/vars). */
export async function fetchGoExpvar(url: string, timeoutMs = 2000): Promise<GoMemStats> {
  const res = await fetch(url, {
    signal: AbortSignal.timeout(timeoutMs),
    headers: { accept: 'application/json' },
  });
  if (!res.ok) throw new Error(`"${url}" answered ${res.status} ${res.statusText}`);
  return parseGoExpvar(await res.text(), url);
}

/**
 * The heap_size_limit each of these processes publishes through the channel, by PID: V8's real
 * limit, which --max-old-space-size on the command line does not always show (NODE_OPTIONS,
 * defaults sized from RAM). No request is made: the limit is fixed at start, so the file written
 * then is enough. Processes without a channel are absent.
 */
export function publishedHeapLimits(
  processes: readonly { pid: number; uid: number | null; startTimeTicks: number; kernelThread: boolean }[],
): Map<number, number> {
  const out = new Map<number, number>();
  const users = processes.filter((p) => !p.kernelThread && p.uid !== null).map((p) => p.uid as number);
  const published = listChannelPids(users);
  if (published.size === 0) return out;
  for (const p of processes) {
    if (p.uid === null || published.get(p.pid) !== p.uid) continue;
    const found = findChannel(p.pid, p.uid, p.startTimeTicks);
    if (found.found) out.set(p.pid, found.doc.stats.heap.heapSizeLimitBytes);
  }
  return out;
}

// One process read from /proc in tiers, with its identity checked.
// Identity is (pid, start time). stat is opened first and kept open: a /proc/PID file stays bound
// to its task, so if re-reading it at the end still works, every file read in between belonged
// to the same process; if the process exited or the PID was reused meanwhile, the read fails
// and the process is dropped rather than reported with another process's numbers.

import { readCmdline } from '../procfs/cmdline.js';
import { isNoProcess, ProcReadError } from '../procfs/errors.js';
import type { PinnedFile, ProcFs } from '../procfs/fs.js';
import { readOomScore, readOomScoreAdj } from '../procfs/oom.js';
import { readSmaps, type Smaps } from '../procfs/smaps.js';
import {
  readSmapsRollup,
  rollupFromSmaps,
  type SmapsRollup,
  swapBytes,
  ussBytes,
} from '../procfs/smaps_rollup.js';
import { parseStat, type Stat } from '../procfs/stat.js';
import { readStatus, type Status } from '../procfs/status.js';

export interface ProcessIdentity {
  pid: number;
  /** Clock ticks after boot (stat field 22). */
  startTimeTicks: number;
}

/** Why a figure is unknown. */
export type UnknownReason = 'permission denied' | 'kernel thread' | 'exited' | 'not supported';

export interface ProcessSample extends ProcessIdentity {
  name: string;
  uid: number | null;
  kernelThread: boolean;
  state: string;
  threads: number | null;
  vszBytes: number | null;
  rssBytes: number | null;
  rssAnonBytes: number | null;
  rssFileBytes: number | null;
  rssShmemBytes: number | null;
  /** RssFile + RssShmem: what top calls SHR. Not "shared with other processes". */
  sharedBytes: number | null;
  /** From smaps_rollup; null when it could not be read (see rollupUnknown). */
  pssBytes: number | null;
  ussBytes: number | null;
  /** SwapPss when the kernel has it, else VmSwap (from the rollup, or status as a fallback). */
  swapBytes: number | null;
  lazyFreeBytes: number | null;
  rollup: SmapsRollup | null;
  /** Every region, when asked for (ReadOptions.smaps); null when not asked or unreadable. */
  smaps: Smaps | null;
  cmdline: string[] | null;
  /** Target of /proc/PID/exe; null when unreadable (another user's process, kernel thread). */
  exePath: string | null;
  /** Why the rollup (or smaps) figures are null, when they are. */
  rollupUnknown: UnknownReason | null;
  oomScore: number | null;
  oomScoreAdj: number | null;
  minorFaults: number;
  majorFaults: number;
  status: Status;
  stat: Stat;
}

export interface ReadOptions {
  /** Read smaps_rollup (PSS, USS, SwapPss): costs a page-table walk in proportion to RSS. */
  rollup?: boolean;
  /** Read oom_score and oom_score_adj. */
  oom?: boolean;
  /**
   * Read the full smaps instead of the rollup, and derive the rollup from it, so that per-region
   * figures add up exactly to the headline. Also reads cmdline and the exe link.
   */
  smaps?: boolean;
  /**
   * With `smaps`: do not derive the rollup, so pssBytes, ussBytes, swapBytes and rollup stay
   * null. For callers that list regions and show no totals (`maps`): summing 50,000 regions
   * costs tens of ms.
   */
  skipRollup?: boolean;
  /**
   * An earlier sample of the same process. When stat shows the same RSS, VIRT and threads, its
   * status is used again instead of being read: what a sampler of every process each second
   * saves on the idle ones (status costs the kernel more than stat, and most processes sit
   * still). RSS is one counter in both files, so the memory figures stay exact; what can go
   * stale is only what status alone shows (VmSwap, the split into anon/file/shmem at the same
   * total, uid), so the caller passes none now and then to refresh those.
   */
  previous?: ProcessSample;
  /**
   * /proc/PID/stat opened by the caller and kept across reads (a sampler of every process each
   * second saves an open and a close per process and tick this way). It is read from the start,
   * not closed; once its task is gone it fails to read, and the caller should close it.
   */
  stat?: PinnedFile;
}

/** Whether stat shows nothing that status would show differently from `previous`'s status. */
function unchanged(stat: Stat, previous: ProcessSample | undefined): previous is ProcessSample {
  const p = previous?.stat;
  return (
    p !== undefined &&
    p.pid === stat.pid &&
    p.startTimeTicks === stat.startTimeTicks &&
    p.rssPages === stat.rssPages &&
    p.vsizeBytes === stat.vsizeBytes &&
    p.threads === stat.threads &&
    p.state === stat.state
  );
}

/** PF_EXITING in stat's flags: the task has begun to exit (set before its memory is released). */
const PF_EXITING = 0x00000004;

function reasonOf(err: unknown): UnknownReason {
  if (err instanceof ProcReadError) {
    if (err.code === 'E_PERMISSION') return 'permission denied';
    if (err.code === 'E_NO_PROCESS') return 'exited';
  }
  return 'not supported';
}

/** Reads a value that may be unreadable (EACCES): null with no error. Exits still propagate. */
function tolerant<T>(read: () => T): T | null {
  try {
    return read();
  } catch (err) {
    if (isNoProcess(err)) throw err;
    if (err instanceof ProcReadError) return null;
    throw err;
  }
}

function optional<T>(read: () => T): T | null {
  try {
    return read();
  } catch (err) {
    if (err instanceof ProcReadError) return null;
    throw err;
  }
}

/**
 * Reads one process. Throws ProcReadError E_NO_PROCESS when it exited (or its PID was reused)
 * at any point of the read; a scan skips those, `inspect` reports "process N exited".
 * Reads: stat (pinned), status, and as asked smaps_rollup, oom_score, oom_score_adj.
 */
export function readProcess(fs: ProcFs, pid: number, opts: ReadOptions = {}): ProcessSample {
  const statRel = `proc/${pid}/stat`;
  const pinned = opts.stat ?? fs.openPinned(statRel, pid);
  try {
    const stat = parseStat(pinned.read(), fs.path(statRel));
    const previous = opts.previous;
    const reuse = unchanged(stat, previous);
    const status = reuse ? previous.status : readStatus(fs, pid);
    const more = !reuse || opts.rollup || opts.smaps || opts.oom;
    let rollup: SmapsRollup | null = null;
    let smaps: Smaps | null = null;
    let rollupUnknown: UnknownReason | null = null;
    if (opts.rollup || opts.smaps) {
      if (stat.kernelThread) {
        rollupUnknown = 'kernel thread';
      } else {
        try {
          if (opts.smaps) {
            smaps = readSmaps(fs, pid);
            if (!opts.skipRollup) rollup = rollupFromSmaps(smaps);
          } else {
            rollup = readSmapsRollup(fs, pid);
          }
        } catch (err) {
          if (isNoProcess(err) || !(err instanceof ProcReadError)) throw err;
          rollupUnknown = reasonOf(err);
        }
      }
    }
    const oomScore = opts.oom ? tolerant(() => readOomScore(fs, pid)) : null;
    const oomScoreAdj = opts.oom ? tolerant(() => readOomScoreAdj(fs, pid)) : null;
    // Nice to have, never a reason to fail: a captured tree has no exe link, and an exit in
    // between is caught by the identity check below anyway.
    const cmdline = opts.smaps ? optional(() => readCmdline(fs, pid)) : null;
    const exePath =
      opts.smaps && !stat.kernelThread ? optional(() => fs.readLink(`proc/${pid}/exe`, pid)) : null;
    // The identity check: the task we opened stat for must still be there. When stat was all
    // that was read, it carries the identity (the start time) itself.
    if (more) {
      const again = parseStat(pinned.read(), fs.path(statRel));
      // Still there, but it began to exit during the read: its memory may have been released
      // between status and smaps_rollup (a rollup of 0 next to an RSS of megabytes), so its
      // figures belong to no single moment. It is reported as exited. A zombie from the start
      // keeps being listed, with the memory it no longer has shown as such.
      if (again.flags & PF_EXITING && stat.state !== 'Z') {
        throw new ProcReadError('E_NO_PROCESS', fs.path(statRel), `process ${pid} exited while it was read`);
      }
    }
    const sample = assemble(stat, status, rollup, rollupUnknown, oomScore, oomScoreAdj);
    sample.smaps = smaps;
    sample.cmdline = cmdline;
    sample.exePath = exePath;
    return sample;
  } finally {
    if (pinned !== opts.stat) pinned.close();
  }
}

function sum(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : a + b;
}

function assemble(
  stat: Stat,
  status: Status,
  rollup: SmapsRollup | null,
  rollupUnknown: UnknownReason | null,
  oomScore: number | null,
  oomScoreAdj: number | null,
): ProcessSample {
  // A zombie has released its memory: status prints no Vm* lines, and the rollup is empty.
  const kernelThread = stat.kernelThread;
  return {
    pid: stat.pid,
    startTimeTicks: stat.startTimeTicks,
    name: status.name,
    uid: status.uids[0] ?? null,
    kernelThread,
    state: stat.state,
    threads: status.threads ?? stat.threads,
    vszBytes: status.vmSizeBytes,
    rssBytes: status.vmRssBytes,
    rssAnonBytes: status.rssAnonBytes,
    rssFileBytes: status.rssFileBytes,
    rssShmemBytes: status.rssShmemBytes,
    sharedBytes: sum(status.rssFileBytes, status.rssShmemBytes),
    pssBytes: rollup ? rollup.pssBytes : null,
    ussBytes: rollup ? ussBytes(rollup) : null,
    swapBytes: rollup ? swapBytes(rollup) : null,
    lazyFreeBytes: rollup ? rollup.lazyFreeBytes : null,
    rollup,
    smaps: null,
    cmdline: null,
    exePath: null,
    rollupUnknown: rollup ? null : rollupUnknown,
    oomScore,
    oomScoreAdj,
    minorFaults: stat.minorFaults,
    majorFaults: stat.majorFaults,
    status,
    stat,
  };
}

// Samples one process over time in tiers, so that watching costs little even at many GB of RSS:
// status and stat (a few µs, no page walk) on every tick; smaps_rollup (a page-table walk in
// proportion to RSS) only every `rollupEverySec`, or sooner when RSS moved by more than
// `rollupOnChange` since the last one. PSS/USS in between are the last rollup's.
import { isNoProcess, ProcReadError } from '../procfs/errors.js';
import type { ProcFs } from '../procfs/fs.js';
import { readSmapsRollup, type SmapsRollup, swapBytes, ussBytes } from '../procfs/smaps_rollup.js';
import { type ProcessSample, readProcess } from './process.js';

export interface WatchSample {
  /** Seconds since the epoch. */
  t: number;
  pid: number;
  name: string;
  vszBytes: number | null;
  rssBytes: number | null;
  rssAnonBytes: number | null;
  rssFileBytes: number | null;
  rssShmemBytes: number | null;
  /** From the latest rollup (see rollupAgeSec); null when smaps_rollup is unreadable. */
  pssBytes: number | null;
  ussBytes: number | null;
  swapBytes: number | null;
  /** Seconds since PSS/USS/swap were read; 0 when read at this sample. */
  rollupAgeSec: number | null;
  minorFaults: number;
  majorFaults: number;
  /** Null on the first sample: a rate needs two. */
  minorFaultsPerSec: number | null;
  majorFaultsPerSec: number | null;
}

export interface SamplerOptions {
  rollupEverySec: number;
  /** A relative RSS change (0.05 = 5%) that triggers an early rollup. */
  rollupOnChange: number;
}

export const DEFAULT_SAMPLER_OPTIONS: SamplerOptions = { rollupEverySec: 10, rollupOnChange: 0.05 };

export class ProcessSampler {
  private last: { t: number; minor: number; major: number } | null = null;
  private rollup: { t: number; rss: number | null; value: SmapsRollup | null } | null = null;
  private readonly startTimeTicks: number;
  readonly first: ProcessSample;

  constructor(
    private readonly fs: ProcFs,
    readonly pid: number,
    private readonly opts: SamplerOptions = DEFAULT_SAMPLER_OPTIONS,
  ) {
    this.first = readProcess(fs, pid, { oom: true });
    this.startTimeTicks = this.first.startTimeTicks;
  }

  /**
   * Takes one sample at `nowSec`. Throws ProcReadError E_NO_PROCESS once the process is gone,
   * including when its PID now belongs to another process (different start time).
   */
  sample(nowSec: number): WatchSample {
    const p = readProcess(this.fs, this.pid, {});
    if (p.startTimeTicks !== this.startTimeTicks) {
      throw new ProcReadError('E_NO_PROCESS', `/proc/${this.pid}`, `process ${this.pid} exited (PID reused)`);
    }
    const due =
      this.rollup === null ||
      nowSec - this.rollup.t >= this.opts.rollupEverySec ||
      movedBy(this.rollup.rss, p.rssBytes, this.opts.rollupOnChange);
    if (due && !p.kernelThread) {
      let value: SmapsRollup | null = null;
      try {
        value = readSmapsRollup(this.fs, this.pid);
      } catch (err) {
        if (isNoProcess(err) || !(err instanceof ProcReadError)) throw err;
      }
      this.rollup = { t: nowSec, rss: p.rssBytes, value };
    }
    const r = this.rollup?.value ?? null;
    const prev = this.last;
    const dt = prev ? nowSec - prev.t : 0;
    this.last = { t: nowSec, minor: p.minorFaults, major: p.majorFaults };
    return {
      t: nowSec,
      pid: this.pid,
      name: p.name,
      vszBytes: p.vszBytes,
      rssBytes: p.rssBytes,
      rssAnonBytes: p.rssAnonBytes,
      rssFileBytes: p.rssFileBytes,
      rssShmemBytes: p.rssShmemBytes,
      pssBytes: r ? r.pssBytes : null,
      ussBytes: r ? ussBytes(r) : null,
      swapBytes: r ? swapBytes(r) : p.status.vmSwapBytes,
      rollupAgeSec: r && this.rollup ? nowSec - this.rollup.t : null,
      minorFaults: p.minorFaults,
      majorFaults: p.majorFaults,
      minorFaultsPerSec: prev && dt > 0 ? (p.minorFaults - prev.minor) / dt : null,
      majorFaultsPerSec: prev && dt > 0 ? (p.majorFaults - prev.major) / dt : null,
    };
  }
}

function movedBy(before: number | null, now: number | null, share: number): boolean {
  if (before === null || now === null) return before !== now;
  return Math.abs(now - before) > Math.max(before, 1) * share;
}

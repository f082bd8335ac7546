// The floor of a memory series: the minima of consecutive, equal, non-overlapping time windows.
// A leak is memory that stays after every collection, so the question is whether the floor
// rises, not the peaks: a collector's sawtooth lifts the peaks and the mean for a while, but not
// the minima, as long as each window holds a trough. Pure: no clock, no fs.
//
// Window length: minWindowSec (5 s, five samples at 1 Hz, so the minimum is a floor), or more when
// the series has allocation cycles: at least CYCLE_WINDOW_SHARE of their length, rounded up to
// whole multiples of minWindowSec. A window much shorter than a cycle can miss the trough, and the
// minima of such windows climb with each ramp, which the trend test would read as a rising floor.
// The length then doubles while there would be more than targetWindows windows: more, shorter
// windows add little power and ride the ramps more.
//
// The windows are laid from the first sample, and only complete ones count. So the grid stays put
// from one tick to the next, a complete window keeps its minimum, and successive verdicts test
// nearly the same minima rather than fresh ones each time, which would multiply the chances of a
// false alarm over a long watch. All windows have the same length, since minima over different
// lengths do not compare (the minimum of more noisy samples is lower). Windows without a sample
// (gaps, or sparse samples such as one per major GC) are left out rather than invented.
//
// A series whose every point is a floor already (pointsAreFloors: the heap after each major GC)
// has no ramps to ride and no troughs to miss: its windows only bound how many points the tests
// see. There, windows are not stretched to cycles, and the newest window counts before it closes,
// since one post-GC point is a whole measurement; waiting for the window to close would hold back
// every verdict by one collection, and collections can be tens of seconds apart.

import type { SeriesPoint } from './leak.js';
import { median } from './stats.js';

/** One window of the floor. */
export interface FloorWindow {
  startSec: number;
  /** Mean time of the window's samples: where its minimum is placed on the time axis. */
  t: number;
  /** Lowest and highest sample. */
  min: number;
  max: number;
}

export interface FloorPlan {
  /** From the first sample to the last. */
  observedSec: number;
  /** Typical length of the allocation cycles (a ramp, then a drop back); 0 when none are seen. */
  cycleSec: number;
  /** How many cycles cycleSec was measured on. */
  cycles: number;
  windowSec: number;
  /** The complete windows that hold a sample, in time order. */
  windows: FloorWindow[];
}

export interface FloorOptions {
  minWindowSec: number;
  targetWindows: number;
  /** Every point is a floor already (see the top of this file). */
  pointsAreFloors: boolean;
}

/**
 * A drop back to the floor exceeds this many standard deviations of the sample-to-sample
 * differences (from their median absolute deviation): noise almost never falls that far in one
 * run of decreasing samples, while a collection or the free() of a big block does.
 */
export const DROP_NOISE_SIGMAS = 6;
/** ...and this share of the series' median: a cycle under 2% of the level cannot move the floor. */
export const DROP_MIN_FRACTION = 0.02;
/** ...and this many bytes, so a series without any noise (exact page counts) has a threshold. */
export const DROP_MIN_BYTES = 64 * 1024;
/**
 * Two drops in a row bound one allocation cycle when the series spent the time between them well
 * above the earlier trough: its median there was at least this share of the later drop above it.
 * A sawtooth's ramp sits about half its swing up; a steady series with a spike now and then sits
 * on its floor between spikes, and spikes need no longer windows.
 */
export const CYCLE_RAMP_SHARE = 0.25;
/**
 * Windows span at least this share of a cycle: nearly every one then holds a trough, and the few
 * that miss one are scattered, not climbing; requiring a whole cycle would only delay the verdict.
 */
export const CYCLE_WINDOW_SHARE = 0.8;

/** Finite points in time order; several samples at one time become one, their minimum. */
export function cleanSeries(points: readonly SeriesPoint[]): SeriesPoint[] {
  // The usual input, a sampler's series, is clean already: spare it the sort.
  let clean = true;
  for (let i = 0; i < points.length && clean; i++) {
    const p = points[i] as SeriesPoint;
    clean =
      Number.isFinite(p.t) && Number.isFinite(p.v) && (i === 0 || p.t > (points[i - 1] as SeriesPoint).t);
  }
  if (clean) return points.slice();
  const sorted = points.filter((p) => Number.isFinite(p.t) && Number.isFinite(p.v)).sort((a, b) => a.t - b.t);
  const out: SeriesPoint[] = [];
  for (const p of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && last.t === p.t) {
      if (p.v < last.v) out[out.length - 1] = { t: p.t, v: p.v };
    } else {
      out.push({ t: p.t, v: p.v });
    }
  }
  return out;
}

/**
 * The typical length of the series' allocation cycles: the median time between consecutive drops
 * (runs of decreasing samples past the thresholds above) that enclose a ramp (CYCLE_RAMP_SHARE);
 * 0 when there are none. Spikes, steps and noise give no cycles. Points from cleanSeries().
 */
export function estimateCycles(points: readonly SeriesPoint[]): { cycleSec: number; cycles: number } {
  const n = points.length;
  if (n < 3) return { cycleSec: 0, cycles: 0 };
  const v = points.map((p) => p.v);
  const diffs: number[] = [];
  for (let i = 1; i < n; i++) diffs.push((v[i] as number) - (v[i - 1] as number));
  const mid = median(diffs);
  const sigma = 1.4826 * median(diffs.map((d) => Math.abs(d - mid)));
  const threshold = Math.max(
    DROP_NOISE_SIGMAS * sigma,
    DROP_MIN_FRACTION * Math.abs(median(v)),
    DROP_MIN_BYTES,
  );
  const lengths: number[] = [];
  let trough: number | null = null; // index where the last drop ended
  let i = 0;
  while (i < n - 1) {
    if ((v[i + 1] as number) >= (v[i] as number)) {
      i++;
      continue;
    }
    const top = i;
    while (i < n - 1 && (v[i + 1] as number) < (v[i] as number)) i++;
    const drop = (v[top] as number) - (v[i] as number);
    if (drop < threshold) continue;
    if (
      trough !== null &&
      median(v.slice(trough, top + 1)) >= (v[trough] as number) + CYCLE_RAMP_SHARE * drop
    ) {
      lengths.push((points[i] as SeriesPoint).t - (points[trough] as SeriesPoint).t);
    }
    trough = i;
  }
  return { cycleSec: lengths.length > 0 ? median(lengths) : 0, cycles: lengths.length };
}

/** The floor windows of a series (see the top of this file). Points from cleanSeries(). */
export function floorWindows(points: readonly SeriesPoint[], opts: FloorOptions): FloorPlan {
  const first = points[0];
  const last = points[points.length - 1];
  const observedSec = first !== undefined && last !== undefined ? last.t - first.t : 0;
  const { cycleSec, cycles } = estimateCycles(points);
  const unit = opts.minWindowSec;
  const stretch = opts.pointsAreFloors ? 1 : Math.ceil((CYCLE_WINDOW_SHARE * cycleSec) / unit - 1e-9);
  let windowSec = unit * Math.max(1, stretch);
  while (windowSec * opts.targetWindows < observedSec) windowSec *= 2;
  const plan: FloorPlan = { observedSec, cycleSec, cycles, windowSec, windows: [] };
  if (first === undefined) return plan;
  // The epsilon keeps a sample at exactly 30 s in the 7th window of 5 s despite rounding.
  const slot = (t: number) => Math.floor((t - first.t) / windowSec + 1e-9);
  const count = slot(first.t + observedSec) + (opts.pointsAreFloors ? 1 : 0);
  const acc: { min: number; max: number; sumT: number; n: number }[] = [];
  for (const p of points) {
    const k = slot(p.t);
    if (k >= count) break;
    const a = acc[k];
    if (a === undefined) {
      acc[k] = { min: p.v, max: p.v, sumT: p.t, n: 1 };
    } else {
      a.min = Math.min(a.min, p.v);
      a.max = Math.max(a.max, p.v);
      a.sumT += p.t;
      a.n++;
    }
  }
  acc.forEach((a, k) => {
    plan.windows.push({ startSec: first.t + k * windowSec, t: a.sumT / a.n, min: a.min, max: a.max });
  });
  return plan;
}

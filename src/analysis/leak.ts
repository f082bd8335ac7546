// The leak verdict: is the floor of a memory series rising, how fast, with what confidence, and
// how long until a limit at that rate. Shared by `memlens watch` (RSS/PSS sampled at 1 Hz) and
// memlens/runtime's watchHeap (heapUsed after each major GC: irregular, one point per GC).
// Pure: the input is a series of (seconds, bytes); no clock, no fs.
//
// The method, in order:
//   1. The floor: minima of equal time windows (leak-floor.ts), each long enough to hold a
//      trough of the series' own allocation cycles.
//   2. Not enough data (under minObservedSec, or fewer than minWindows windows): no verdict yet.
//   3. A step (leak-step.ts): the floor jumped clearly and has been flat since, for 3+ windows.
//   4. Growing: Mann-Kendall on the minima is significant at alpha, the Theil-Sen slope's
//      confidence interval lies above 0, and the slope clears a practical floor; all of this with
//      and without the newest window. If the rise is a jump with too few windows after it to
//      tell a step from the start of a leak, not enough data yet instead.
//   5. Otherwise a sawtooth when the series swings far above its floor within windows, else steady.
// Time to limit: withTimeToLimit() (leak-limit.ts).

import { formatBytes } from './format.js';
import { cleanSeries, type FloorPlan, floorWindows } from './leak-floor.js';
import { formatDuration, formatP, formatRate, formatRateRange } from './leak-format.js';
import { findStep } from './leak-step.js';

export { withTimeToLimit } from './leak-limit.js';

import {
  MANN_KENDALL_EXACT_MAX_N,
  type MannKendall,
  mannKendall,
  median,
  type TheilSen,
  theilSen,
} from './stats.js';

export interface SeriesPoint {
  /** Seconds, from any origin. */
  t: number;
  /** Bytes. */
  v: number;
}

export type VerdictKind = 'steady' | 'sawtooth' | 'growing' | 'step' | 'not enough data yet';

export interface Verdict {
  kind: VerdictKind;
  /**
   * The floor's Theil-Sen slope and its confidence interval (LeakOptions.confidence); for a step,
   * the slope since the jump. Null when there is not enough data.
   */
  slopeBytesPerSec: number | null;
  slopeLowBytesPerSec: number | null;
  slopeHighBytesPerSec: number | null;
  /** Two-sided Mann-Kendall p-value of the floor over the whole time observed. */
  pValue: number | null;
  /** From the first sample to the last. */
  observedSec: number;
  /** Set by withTimeToLimit(), for a growing floor only. */
  timeToLimitSec: number | null;
  limitBytes: number | null;
  limitSource: string | null;
  /** For 'not enough data yet': how much longer to watch (an estimate when samples have gaps). */
  needMoreSec: number | null;
  /** The floor now: the fitted line at the last sample when growing, the recent minima's median else. */
  baselineBytes: number | null;
  /** One line in plain language, with the evidence. */
  summary: string;
}

export interface LeakOptions {
  /** Significance of the Mann-Kendall test for a rising floor. */
  alpha: number;
  /** Coverage of the slope's confidence interval. */
  confidence: number;
  /** No verdict before this much time and this many windows. */
  minObservedSec: number;
  minWindows: number;
  /** Windows: at least this long, doubled while there would be more than targetWindows. */
  minWindowSec: number;
  targetWindows: number;
  /** Every point is a floor already, such as the heap after each major GC (leak-floor.ts). */
  pointsAreFloors: boolean;
  /** A rising floor is growth only above both of these slopes. */
  minSlopeBytesPerSec: number;
  minSlopeFractionPerMin: number;
  /** A step: at least this many windows after the jump... */
  stepMinTailWindows: number;
  /** ...a jump of at least these bytes, this share of the floor, and this many times the scatter... */
  stepMinJumpBytes: number;
  stepMinJumpFraction: number;
  stepMinJumpScatter: number;
  /** ...two levels fitting with at most this share of a line's scatter... */
  stepFitRatio: number;
  /** ...and a rise after the jump under this share of it. */
  stepFlatRatio: number;
  /** Swings within a window, as a share of the floor and in bytes, that make a sawtooth. */
  sawtoothMinSwingFraction: number;
  sawtoothMinSwingBytes: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

export const DEFAULT_LEAK_OPTIONS: Readonly<LeakOptions> = Object.freeze({
  // 1%, not 5%: the verdict is recomputed on every tick, and each new window is one more look at
  // noise. A real leak drives p down fast: 6 windows rising in a row give 0.0085.
  alpha: 0.01,
  // The interval users see ("95% CI"); growth also needs its lower bound above 0.
  confidence: 0.95,
  // Half a minute and six windows: fewer windows cannot reach p < 0.01 even when every one is
  // higher than the last (5 give 0.027). A 1 MiB/s leak at 1 Hz is named at 35 s: six windows,
  // confirmed by the seventh.
  minObservedSec: 30,
  minWindows: 6,
  // Five samples at 1 Hz in each window at least, so its minimum is a floor. At most about 20
  // windows: Mann-Kendall's normal approximation is good there and Theil-Sen has 190 slopes,
  // while more, shorter windows would let their minima ride the allocation ramps.
  minWindowSec: 5,
  targetWindows: 20,
  pointsAreFloors: false,
  // 1 KiB/s is 84 MiB a day, the slowest drift worth waking someone for; a page or two over a
  // minute (~100 B/s) is allocator noise. Relative: 0.05%/min of the floor is 3%/hour, 72%/day;
  // below that a big process's floor drifts, it does not leak (for a 1 GiB floor: 8.7 KiB/s).
  minSlopeBytesPerSec: KiB,
  minSlopeFractionPerMin: 0.0005,
  // Three windows after the jump give that part a slope of its own, to show it held; one before
  // is enough, since windows double as a watch goes on and an early jump soon has one before it.
  stepMinTailWindows: 3,
  // A jump under 1 MiB or 5% of the floor does not change how anyone reads the process; one under
  // 6 times the minima's scatter around the two levels could be noise.
  stepMinJumpBytes: MiB,
  stepMinJumpFraction: 0.05,
  stepMinJumpScatter: 6,
  // A jump fits the minima of a step far better than a line does, while a leak's minima fit the
  // line and two levels miss them by about a quarter of the rise: half separates the two.
  stepFitRatio: 0.5,
  // After the jump the floor rose less than a quarter of it, at the upper end of its slope's
  // interval: so a leak that only just began is not flat, nor a tail too short to tell.
  stepFlatRatio: 0.25,
  // A sawtooth is pressure that returns to its floor: swings of a fifth of the floor are what a
  // collector's heap growth looks like, while RSS noise of a steady process stays within a few %.
  sawtoothMinSwingFraction: 0.2,
  // Below 1 MiB a swing is not worth a name, whatever the floor.
  sawtoothMinSwingBytes: MiB,
});

/**
 * The verdict on a series of (seconds, bytes) samples: steady, sawtooth, growing, step, or not
 * enough data yet. Samples may come at any intervals, unsorted, or several at one time (the
 * lowest counts); non-finite ones are ignored. The time to limit is left null: withTimeToLimit().
 */
export function analyzeSeries(points: readonly SeriesPoint[], opts: Partial<LeakOptions> = {}): Verdict {
  const o: LeakOptions = { ...DEFAULT_LEAK_OPTIONS, ...opts };
  const series = cleanSeries(points);
  const plan = floorWindows(series, o);
  const { observedSec, windows } = plan;
  if (observedSec < o.minObservedSec || windows.length < o.minWindows) return notEnough(plan, o);

  const t0 = series[0]?.t ?? 0;
  // Each minimum stands at the mean time of its window's samples, not at its own time: at 1 Hz
  // that is the window's middle, and two minima at the adjoining edges of two windows, a second
  // apart, would give noise a huge slope. For a leak the offset is alike in every window, so the
  // slope stays; for sparse samples (one a window) it is the sample's own time.
  const t = windows.map((w) => w.t - t0);
  const m = windows.map((w) => w.min);
  const exact = { exact: o.pointsAreFloors };
  const mk = mannKendall(m, exact);
  const fit = theilSen(t, m, o.confidence);
  const floorNow = median(m.slice(Math.floor(m.length / 2)));
  const over = `over ${formatDuration(observedSec)}`;
  const sinceSec = (k: number) => observedSec - ((windows[k]?.startSec ?? t0) - t0);
  const base = {
    slopeBytesPerSec: fit.slope,
    slopeLowBytesPerSec: fit.low,
    slopeHighBytesPerSec: fit.high,
    pValue: mk.pValue,
    observedSec,
    timeToLimitSec: null,
    limitBytes: null,
    limitSource: null,
    needMoreSec: null,
  };

  const step = findStep(t, m, fit, o);
  if (step?.since) {
    return {
      ...base,
      kind: 'step',
      slopeBytesPerSec: step.since.slope,
      slopeLowBytesPerSec: step.since.low,
      slopeHighBytesPerSec: step.since.high,
      baselineBytes: step.after,
      summary:
        `step: the floor rose from ${formatBytes(m[0] ?? step.before)} to ${formatBytes(step.after)} and ` +
        `has held there for the last ${formatDuration(sinceSec(step.from))} of ${formatDuration(observedSec)}`,
    };
  }

  const practical = Math.max(o.minSlopeBytesPerSec, (o.minSlopeFractionPerMin * Math.max(median(m), 0)) / 60);
  const rising = (mk: MannKendall, fit: TheilSen) =>
    mk.pValue < o.alpha && mk.s > 0 && fit.low > 0 && fit.slope > practical;
  // The newest window alone must not make a leak: the floor must also have been rising without it.
  // That halves the false alarms of a long watch or better, for one window of delay. A short
  // series of floors (one point per major GC, few enough for exact p-values) is spared that delay:
  // its newest point is what survived a full collection, not the minimum of a few noisy samples,
  // and the next one can be many seconds away. Simulated on floors of pure noise, one every 8 s,
  // this costs 1 false alarm in 300 minute-long watches, and over 10 minutes about twice the false
  // alarms of the confirmed rule (4% against 2%, for noise of 1% of the floor).
  const confirmed = () =>
    (o.pointsAreFloors && m.length <= MANN_KENDALL_EXACT_MAX_N) ||
    rising(mannKendall(m.slice(0, -1), exact), theilSen(t.slice(0, -1), m.slice(0, -1), o.confidence));
  if (rising(mk, fit) && confirmed()) {
    if (step !== null) {
      // The floor jumped just now: a step or the start of a leak, which the next windows will tell.
      const needMoreSec = (o.stepMinTailWindows - (m.length - step.from)) * plan.windowSec;
      return {
        ...notEnough(plan, o),
        needMoreSec,
        summary:
          `not enough data yet: the floor jumped from ${formatBytes(step.before)} to ${formatBytes(step.after)} ` +
          `in the last ${formatDuration(sinceSec(step.from))}; ${formatDuration(needMoreSec)} more tell a step from a leak`,
      };
    }
    const now = fit.intercept + fit.slope * observedSec;
    const across = plan.cycles >= 2 ? ` across ${plan.cycles} cycles` : '';
    return {
      ...base,
      kind: 'growing',
      baselineBytes: now,
      summary:
        `growing ${formatRate(fit.slope)} (${Math.round(o.confidence * 100)}% CI ` +
        `${formatRateRange(fit.low, fit.high, fit.slope)}), ${formatP(mk.pValue)} ${over}: ` +
        `the floor keeps rising${across}, from ${formatBytes(m[0] ?? 0)} to ${formatBytes(m[m.length - 1] ?? 0)}`,
    };
  }

  const significantDown = mk.pValue < o.alpha && mk.s < 0 && fit.high < 0;
  const swing = median(windows.map((w) => w.max - w.min));
  if (swing > Math.max(o.sawtoothMinSwingBytes, o.sawtoothMinSwingFraction * Math.max(floorNow, 0))) {
    const floor = significantDown ? 'a falling floor' : 'a flat floor';
    const cycles = plan.cycles >= 2 ? `, ${plan.cycles} cycles of ~${formatDuration(plan.cycleSec)}` : '';
    return {
      ...base,
      kind: 'sawtooth',
      baselineBytes: floorNow,
      summary: `sawtooth: swings of ${formatBytes(swing)} return to ${floor} of ${formatBytes(floorNow)} ${over}${cycles}`,
    };
  }
  let trend = `no rising trend ${over} (${formatP(mk.pValue)})`;
  if (rising(mk, fit)) {
    trend = `rising ${formatRate(fit.slope)} ${over} (${formatP(mk.pValue)}), not yet confirmed by a second window`;
  } else if (mk.pValue < o.alpha && mk.s > 0 && fit.low > 0) {
    trend = `drifting up ${formatRate(fit.slope)} ${over}, under the ${formatRate(practical)} that counts as growth`;
  } else if (significantDown) {
    trend = `falling ${formatRate(-fit.slope)} ${over}`;
  }
  return {
    ...base,
    kind: 'steady',
    baselineBytes: floorNow,
    summary: `steady: floor ${formatBytes(floorNow)}, ${trend}`,
  };
}

function notEnough(plan: FloorPlan, o: LeakOptions): Verdict {
  const { observedSec, windowSec } = plan;
  let needMoreSec = Math.max(o.minObservedSec, o.minWindows * windowSec) - observedSec;
  // Time enough, but gaps in the samples left windows empty: one more window per missing one.
  if (needMoreSec <= 0) needMoreSec = (o.minWindows - plan.windows.length) * windowSec;
  const why =
    windowSec > o.minWindowSec && plan.cycles > 0 && o.minWindows * windowSec > o.minObservedSec
      ? ` (${o.minWindows} windows of ${formatDuration(windowSec)}, each holding one of the ~${formatDuration(plan.cycleSec)} allocation cycles)`
      : '';
  return {
    kind: 'not enough data yet',
    slopeBytesPerSec: null,
    slopeLowBytesPerSec: null,
    slopeHighBytesPerSec: null,
    pValue: null,
    observedSec,
    timeToLimitSec: null,
    limitBytes: null,
    limitSource: null,
    needMoreSec,
    baselineBytes: null,
    summary: `not enough data yet: ${formatDuration(observedSec)} observed, need ${formatDuration(observedSec + needMoreSec)}${why}`,
  };
}

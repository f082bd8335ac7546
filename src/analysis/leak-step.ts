// A step in the floor: it rose once, then held. Warm-up, a cache filled once, a pool sized up:
// memory that grew and stopped is not a leak, even though a trend test on the window minima can
// call it significant (every window after the jump is above every window before it). Pure.

import { median, theilSen } from './stats.js';

export interface StepOptions {
  confidence: number;
  stepMinTailWindows: number;
  stepMinJumpBytes: number;
  stepMinJumpFraction: number;
  stepMinJumpScatter: number;
  stepFitRatio: number;
  stepFlatRatio: number;
}

export interface Step {
  /** Index of the first window after the jump. */
  from: number;
  /** Median floor before and after the jump. */
  before: number;
  after: number;
  /**
   * The floor's slope since the jump, with its confidence interval; null while fewer than
   * stepMinTailWindows windows followed it, too few to tell a step from a leak that just began.
   */
  since: { slope: number; low: number; high: number } | null;
}

/**
 * Where the floor (window minima m at times t) jumped and then held, if it did: the earliest
 * window `from`, with at least one window before it, where
 *   - the jump, the rise of the median floor after `from` over the median before, is at least
 *     stepMinJumpBytes, stepMinJumpFraction of the floor before, and stepMinJumpScatter times the
 *     minima's scatter around those two levels (so the jump stands out of the noise by itself);
 *   - two levels fit the minima better than the Theil-Sen line does: their scatter is at most
 *     stepFitRatio of the line's (a leak's minima fit its line, and two levels leave them about a
 *     quarter of the rise off);
 *   - the floor after the jump is flat, over stepMinTailWindows windows or more: the upper bound
 *     of its slope's confidence interval, times the time it spans, is under stepFlatRatio of the
 *     jump (so a leak that only just began, or a tail too noisy to tell, is not flat).
 * Failing that, a jump that passes the first two tests with fewer windows after it is returned
 * with `since` null: a step so far, that the next windows will confirm or turn into a leak.
 * Scatter is the mean absolute deviation, not the median: a line through a long flat part would
 * fit most windows and hide how far it misses the few before the jump.
 */
export function findStep(
  t: readonly number[],
  m: readonly number[],
  line: { slope: number; intercept: number },
  o: StepOptions,
): Step | null {
  const n = m.length;
  const lineScatter = mean(m.map((mi, i) => Math.abs(mi - line.intercept - line.slope * (t[i] as number))));
  let fresh: Step | null = null;
  for (let from = 1; from < n; from++) {
    const before = median(m.slice(0, from));
    const after = median(m.slice(from));
    const jump = after - before;
    if (jump < Math.max(o.stepMinJumpBytes, o.stepMinJumpFraction * before)) continue;
    const levelScatter = mean(m.map((mi, i) => Math.abs(mi - (i < from ? before : after))));
    if (jump < o.stepMinJumpScatter * levelScatter || levelScatter > o.stepFitRatio * lineScatter) continue;
    if (n - from < o.stepMinTailWindows) {
      fresh ??= { from, before, after, since: null };
      continue;
    }
    const fit = theilSen(t.slice(from), m.slice(from), o.confidence);
    const span = (t[n - 1] as number) - (t[from] as number);
    if (fit.high * span < o.stepFlatRatio * jump) {
      return { from, before, after, since: { slope: fit.slope, low: fit.low, high: fit.high } };
    }
  }
  return fresh;
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, x) => sum + x, 0) / values.length;
}

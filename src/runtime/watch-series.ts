// One watched series of watchHeap (the post-GC heap, or external memory): its points, bounded in
// age and number, and the leak state that turns successive verdicts into onLeak/onRecover.
// The verdict itself is analyzeSeries, the same analysis `memlens watch` runs on RSS.
import { analyzeSeries, type LeakOptions, type SeriesPoint, type Verdict } from '../analysis/leak.js';

export interface SeriesLimits {
  /** Points older than this (seconds before the newest) are dropped. */
  maxAgeSec: number;
  /** Past this many points, neighbours are merged two by two, keeping the lower: the floor. */
  maxPoints: number;
}

export type Transition = 'leak' | 'recover' | null;

export class WatchedSeries {
  points: SeriesPoint[] = [];
  verdict: Verdict | null = null;
  leaking = false;

  constructor(
    private readonly limits: SeriesLimits,
    private readonly options: Partial<LeakOptions>,
  ) {}

  add(t: number, v: number): void {
    this.points.push({ t, v });
    const oldest = t - this.limits.maxAgeSec;
    let drop = 0;
    while (drop < this.points.length && (this.points[drop] as SeriesPoint).t < oldest) drop++;
    if (drop > 0) this.points.splice(0, drop);
    if (this.points.length > this.limits.maxPoints) this.points = halve(this.points);
  }

  /**
   * Analyzes the points and returns the change of state, if any: 'leak' when the floor is found
   * growing while it was not, 'recover' when a growing floor is found steady, a sawtooth or a
   * step (it rose, but has stopped). 'not enough data yet' changes nothing.
   */
  analyze(): Transition {
    const v = analyzeSeries(this.points, this.options);
    this.verdict = v;
    if (v.kind === 'growing' && !this.leaking) {
      this.leaking = true;
      return 'leak';
    }
    if (this.leaking && (v.kind === 'steady' || v.kind === 'sawtooth' || v.kind === 'step')) {
      this.leaking = false;
      return 'recover';
    }
    return null;
  }
}

/** Pairs of neighbours become their lower point: the floor survives, the count halves. */
function halve(points: SeriesPoint[]): SeriesPoint[] {
  const out: SeriesPoint[] = [];
  for (let i = 0; i < points.length; i += 2) {
    const a = points[i] as SeriesPoint;
    const b = points[i + 1];
    out.push(b === undefined || a.v <= b.v ? a : b);
  }
  return out;
}

/**
 * Detached contexts are a count, not bytes, and few: they leak when the count after each of the
 * last `gcs` major GCs never fell and ended higher than it began, so contexts keep surviving
 * full collections while more detach. They recover once a major GC finds none.
 */
export class DetachedContexts {
  counts: number[] = [];
  leaking = false;

  constructor(private readonly gcs: number) {}

  add(count: number): Transition {
    this.counts.push(count);
    if (this.counts.length > this.gcs + 1) this.counts.shift();
    if (this.leaking) {
      if (count === 0) {
        this.leaking = false;
        return 'recover';
      }
      return null;
    }
    if (this.counts.length <= this.gcs) return null;
    const first = this.counts[0] as number;
    let rising = count > first;
    for (let i = 1; i < this.counts.length && rising; i++) {
      rising = (this.counts[i] as number) >= (this.counts[i - 1] as number);
    }
    if (rising) {
      this.leaking = true;
      return 'leak';
    }
    return null;
  }
}

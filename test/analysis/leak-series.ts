// Memory series built in code for the leak tests: seeded noise (mulberry32, Box-Muller) and the
// shapes the verdicts are about. Values are bytes, times seconds.
import type { SeriesPoint } from '../../src/analysis/leak.js';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

/** mulberry32: a tiny, well-mixed 32-bit PRNG; the same seed gives the same series everywhere. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box-Muller). */
export function gaussian(rand: () => number): number {
  const u = 1 - rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** Sample times: every `step` seconds from 0 to `duration` inclusive. */
export function regularTimes(duration: number, step = 1): number[] {
  const out: number[] = [];
  for (let t = 0; t <= duration + 1e-9; t += step) out.push(t);
  return out;
}

/** Sample times at random intervals in [minGap, maxGap] (one per major GC, say). */
export function irregularTimes(duration: number, rand: () => number, minGap = 1, maxGap = 10): number[] {
  const out: number[] = [0];
  for (;;) {
    const t = (out[out.length - 1] as number) + minGap + rand() * (maxGap - minGap);
    if (t > duration) return out;
    out.push(t);
  }
}

/**
 * A sawtooth: rises linearly by `swing` over each cycle, then drops back at once. Cycle lengths
 * vary by +-jitter around `period`, and the series starts at a random phase.
 */
export function sawtooth(
  rand: () => number,
  swing: number,
  period: number,
  jitter = 0.2,
): (t: number) => number {
  const starts: number[] = [-rand() * period];
  return (t: number) => {
    while ((starts[starts.length - 1] as number) <= t) {
      starts.push((starts[starts.length - 1] as number) + period * (1 + jitter * (2 * rand() - 1)));
    }
    let i = starts.length - 2;
    while (i > 0 && (starts[i] as number) > t) i--;
    const from = starts[i] as number;
    const to = starts[i + 1] as number;
    return (swing * (t - from)) / (to - from);
  };
}

/** A series: f(t) plus Gaussian noise of the given standard deviation, at the given times. */
export function build(
  times: readonly number[],
  f: (t: number) => number,
  noise: number,
  rand: () => number,
): SeriesPoint[] {
  return times.map((t) => ({ t, v: Math.round(f(t) + noise * gaussian(rand)) }));
}

/** The first `sec` seconds of a series. */
export function upTo(points: readonly SeriesPoint[], sec: number): SeriesPoint[] {
  const t0 = points[0]?.t ?? 0;
  return points.filter((p) => p.t - t0 <= sec + 1e-9);
}

// The leak verdict over many seeded, noisy series, each judged as `memlens watch` would judge it:
// again every 5 s as the samples come in. Counts of false alarms and detection times are printed
// as test diagnostics; the assertions hold them to the bounds the issue sets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeSeries, type SeriesPoint, type Verdict } from '../../src/analysis/leak.js';
import { build, irregularTimes, MiB, mulberry32, regularTimes, sawtooth, upTo } from './leak-series.js';

const SEEDS = 200;

/** The verdicts a watch would show every `step` seconds from 30 s to the end of the series. */
function watch(points: readonly SeriesPoint[], until: number, step = 5): { at: number; v: Verdict }[] {
  const out: { at: number; v: Verdict }[] = [];
  for (let at = 30; at <= until; at += step) out.push({ at, v: analyzeSeries(upTo(points, at)) });
  return out;
}

function firstGrowing(points: readonly SeriesPoint[], until: number): number | null {
  return watch(points, until).find((x) => x.v.kind === 'growing')?.at ?? null;
}

function spread(values: number[]): string {
  const s = [...values].sort((a, b) => a - b);
  return `min ${s[0]}, median ${s[Math.floor(s.length / 2)]}, max ${s[s.length - 1]}`;
}

/** How many of SEEDS runs were ever called growing; prints the count and the first few. */
function falseAlarms(
  t: { diagnostic(message: string): void },
  name: string,
  make: (seed: number) => SeriesPoint[],
  until: number,
): number {
  const flagged: string[] = [];
  for (let seed = 1; seed <= SEEDS; seed++) {
    const hit = watch(make(seed), until).find((x) => x.v.kind === 'growing');
    if (hit) flagged.push(`seed ${seed} at ${hit.at} s: ${hit.v.summary}`);
  }
  t.diagnostic(
    `${name}: called growing in ${flagged.length} of ${SEEDS} runs of ${until} s, judged every 5 s`,
  );
  for (const line of flagged.slice(0, 3)) t.diagnostic(`  ${line}`);
  return flagged.length;
}

describe('a leak of 1 MiB/s', () => {
  it('at 1 Hz with 1 MiB of noise: growing within 60 s, slope within 10% at 60 s', (t) => {
    const times: number[] = [];
    const errors: number[] = [];
    for (let seed = 1; seed <= 50; seed++) {
      const points = build(regularTimes(60), (s) => 100 * MiB + MiB * s, MiB, mulberry32(seed));
      const at = firstGrowing(points, 60);
      assert.ok(at !== null && at <= 60, `seed ${seed} not growing within 60 s`);
      times.push(at);
      const v = analyzeSeries(points);
      const error = ((v.slopeBytesPerSec ?? 0) - MiB) / MiB;
      assert.ok(Math.abs(error) <= 0.1, `seed ${seed}: slope off by ${(100 * error).toFixed(1)}%`);
      errors.push(Math.round(1000 * error) / 10);
    }
    t.diagnostic(`first growing at (s): ${spread(times)}; slope error at 60 s (%): ${spread(errors)}`);
  });

  it('with a GC sawtooth on top (30 MiB swings every ~10 s): still growing', (t) => {
    const times: number[] = [];
    const errors: number[] = [];
    for (let seed = 1; seed <= 50; seed++) {
      const rand = mulberry32(seed);
      const gc = sawtooth(rand, 30 * MiB, 10);
      const points = build(regularTimes(120), (s) => 50 * MiB + MiB * s + gc(s), MiB, rand);
      const at = firstGrowing(points, 120);
      assert.ok(at !== null && at <= 90, `seed ${seed} not growing within 90 s`);
      times.push(at);
      const v = analyzeSeries(points);
      assert.equal(v.kind, 'growing', `seed ${seed} at 120 s: ${v.summary}`);
      const error = ((v.slopeBytesPerSec ?? 0) - MiB) / MiB;
      assert.ok(Math.abs(error) <= 0.15, `seed ${seed}: slope off by ${(100 * error).toFixed(1)}%`);
      errors.push(Math.round(1000 * error) / 10);
    }
    t.diagnostic(`first growing at (s): ${spread(times)}; slope error at 120 s (%): ${spread(errors)}`);
  });

  it('after each major GC only (irregular, 1-10 s apart): growing within 70 s', (t) => {
    const times: number[] = [];
    const errors: number[] = [];
    for (let seed = 1; seed <= 50; seed++) {
      const rand = mulberry32(seed);
      const points = build(irregularTimes(120, rand), (s) => 20 * MiB + MiB * s, MiB / 2, rand);
      const at = firstGrowing(points, 120);
      assert.ok(at !== null && at <= 70, `seed ${seed} not growing within 70 s`);
      times.push(at);
      const v = analyzeSeries(points);
      const error = ((v.slopeBytesPerSec ?? 0) - MiB) / MiB;
      assert.ok(Math.abs(error) <= 0.1, `seed ${seed}: slope off by ${(100 * error).toFixed(1)}%`);
      errors.push(Math.round(1000 * error) / 10);
    }
    t.diagnostic(`first growing at (s): ${spread(times)}; slope error at 120 s (%): ${spread(errors)}`);
  });
});

describe('false alarms', () => {
  it('a sawtooth of 70 MiB swings over a flat 10 MiB floor, cycles of 4-15 s: growing in at most 2% of runs', (t) => {
    const make = (seed: number) => {
      const rand = mulberry32(seed);
      const saw = sawtooth(rand, 70 * MiB, 4 + 11 * rand());
      return build(regularTimes(180), (s) => 10 * MiB + saw(s), MiB, rand);
    };
    assert.ok(falseAlarms(t, 'sawtooth', make, 180) <= 0.02 * SEEDS);
    let sawtooth180 = 0;
    for (let seed = 1; seed <= SEEDS; seed++)
      if (analyzeSeries(make(seed)).kind === 'sawtooth') sawtooth180++;
    t.diagnostic(`sawtooth at 180 s in ${sawtooth180} of ${SEEDS} runs`);
    assert.ok(sawtooth180 >= 0.95 * SEEDS);
    assert.match(
      analyzeSeries(make(1)).summary,
      /^sawtooth: swings of \d+ MiB return to a flat floor of 1\d MiB over 3m0s, \d+ cycles of ~\d+ s$/,
    );
  });

  it('a steady 100 MiB with 1 MiB of noise at 1 Hz: growing in at most 2% of runs', (t) => {
    const make = (seed: number) => build(regularTimes(180), () => 100 * MiB, MiB, mulberry32(seed));
    assert.ok(falseAlarms(t, 'steady', make, 180) <= 0.02 * SEEDS);
  });

  it('a steady heap after each major GC (irregular, 1-10 s apart): growing in at most 2% of runs', (t) => {
    const make = (seed: number) => {
      const rand = mulberry32(seed);
      return build(irregularTimes(180, rand), () => 20 * MiB, MiB / 2, rand);
    };
    assert.ok(falseAlarms(t, 'steady heap after GC', make, 180) <= 0.02 * SEEDS);
  });
});

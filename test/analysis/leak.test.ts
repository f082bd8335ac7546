// The leak verdict on series built in code: the minimum of data, the practical floor, steps,
// irregular input, time to limit and the summary's wording. The many-seed simulations (false
// alarms, detection times) are in leak-simulations.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  analyzeSeries,
  DEFAULT_LEAK_OPTIONS,
  type SeriesPoint,
  withTimeToLimit,
} from '../../src/analysis/leak.js';
import { floorWindows } from '../../src/analysis/leak-floor.js';
import { formatDuration, formatP, formatRate } from '../../src/analysis/leak-format.js';
import { build, GiB, KiB, MiB, mulberry32, regularTimes, sawtooth, upTo } from './leak-series.js';

/** A noise-free series at 1 Hz: f(t) rounded to bytes. */
function exact(duration: number, f: (t: number) => number): SeriesPoint[] {
  return regularTimes(duration).map((t) => ({ t, v: Math.round(f(t)) }));
}

describe('not enough data yet', () => {
  it('before 30 s and six windows, with how much longer to watch', () => {
    const v = analyzeSeries(exact(12, () => 50 * MiB));
    assert.equal(v.kind, 'not enough data yet');
    assert.equal(v.observedSec, 12);
    assert.equal(v.needMoreSec, 18);
    assert.equal(v.summary, 'not enough data yet: 12 s observed, need 30 s');
    for (const key of ['slopeBytesPerSec', 'pValue', 'baselineBytes', 'timeToLimitSec'] as const) {
      assert.equal(v[key], null, key);
    }
    assert.equal(analyzeSeries(exact(29, () => 50 * MiB)).needMoreSec, 1);
    assert.equal(analyzeSeries(exact(30, () => 50 * MiB)).kind, 'steady');
  });

  it('for no samples or one', () => {
    for (const points of [[], [{ t: 5, v: MiB }]]) {
      const v = analyzeSeries(points);
      assert.equal(v.kind, 'not enough data yet');
      assert.equal(v.observedSec, 0);
      assert.equal(v.needMoreSec, 30);
    }
  });

  it('counts only windows that hold a sample: a gap costs the windows it emptied', () => {
    // Samples at 0..9 and 31..40: of the 8 windows of 5 s, [0,5) [5,10) [30,35) [35,40) hold one.
    const points = exact(40, () => 50 * MiB).filter((p) => p.t < 10 || p.t > 30);
    const v = analyzeSeries(points);
    assert.equal(v.kind, 'not enough data yet');
    assert.equal(v.needMoreSec, 10);
  });

  it('waits for six allocation cycles when the series has them, and says so', () => {
    // A sawtooth of 12 s cycles: windows of 10 s (80% of a cycle, in whole 5 s), so 60 s in all.
    const saw = sawtooth(mulberry32(1), 70 * MiB, 12, 0);
    const points = exact(40, (t) => 10 * MiB + saw(t));
    assert.equal(floorWindows(points, DEFAULT_LEAK_OPTIONS).windowSec, 10);
    const v = analyzeSeries(points);
    assert.equal(v.kind, 'not enough data yet');
    assert.equal(v.needMoreSec, 20);
    assert.match(
      v.summary,
      /need 1m0s \(6 windows of 10 s, each holding one of the ~12 s allocation cycles\)$/,
    );
  });
});

describe('the practical floor', () => {
  it('calls a significant rise under 1 KiB/s steady, and says why', () => {
    const v = analyzeSeries(exact(300, (t) => 100 * MiB + 512 * t));
    assert.equal(v.kind, 'steady');
    assert.ok((v.pValue ?? 1) < 0.001);
    assert.match(
      v.summary,
      /^steady: floor 100 MiB, drifting up 30 KiB\/min over 5m0s, under the 60 KiB\/min/,
    );
    assert.equal(analyzeSeries(exact(300, (t) => 100 * MiB + 2 * KiB * t)).kind, 'growing');
  });

  it('needs 0.05%/min of the floor as well: 8.7 KiB/s for a floor of 1 GiB', () => {
    assert.equal(analyzeSeries(exact(300, (t) => GiB + 8 * KiB * t)).kind, 'steady');
    assert.equal(analyzeSeries(exact(300, (t) => GiB + 10 * KiB * t)).kind, 'growing');
  });
});

describe('growing', () => {
  it('gives the slope, its interval, p and the floor now; time to limit comes separately', () => {
    const v = analyzeSeries(exact(120, (t) => 100 * MiB + MiB * t));
    assert.equal(v.kind, 'growing');
    assert.equal(v.slopeBytesPerSec, MiB);
    assert.equal(v.slopeLowBytesPerSec, MiB);
    assert.equal(v.slopeHighBytesPerSec, MiB);
    // 12 windows, every one higher: S = 66, Var(S) = 212.67, z = 4.46.
    assert.ok((v.pValue ?? 1) < 1e-5);
    assert.equal(v.observedSec, 120);
    // Windows of 10 s: minima at each window's start, placed at its middle (4.5 s later).
    assert.equal(v.baselineBytes, 100 * MiB + (120 - 4.5) * MiB);
    assert.equal(v.timeToLimitSec, null);
    assert.equal(
      v.summary,
      'growing 60 MiB/min (95% CI 60–60), p < 0.001 over 2m0s: the floor keeps rising, from 100 MiB to 210 MiB',
    );
  });
});

describe('a series of floors (one point per major GC)', () => {
  // Post-GC heap sizes of a 1 MiB/s leak, one collection every 8 s from 2 s on.
  const floors = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ t: 2 + 8 * i, v: 10 * MiB + 8 * i * MiB }));
  const FLOORS = { minWindowSec: 1, pointsAreFloors: true };

  it('is growing at the sixth collection: the newest counts at once, with an exact p', () => {
    const v = analyzeSeries(floors(6), FLOORS);
    assert.equal(v.kind, 'growing');
    assert.ok(Math.abs((v.pValue ?? 1) - 2 / 720) < 1e-12, `p = ${v.pValue}`);
    assert.equal(analyzeSeries(floors(5), FLOORS).kind, 'not enough data yet');
  });

  it('as samples, the same points wait for their windows to close and for a confirming one', () => {
    // Only complete windows count, so the sixth collection's window is still open; with the
    // seventh, six windows rise but five without the newest are not significant.
    assert.equal(analyzeSeries(floors(6), { minWindowSec: 1 }).kind, 'not enough data yet');
    assert.equal(analyzeSeries(floors(7), { minWindowSec: 1 }).kind, 'steady');
    assert.equal(analyzeSeries(floors(8), { minWindowSec: 1 }).kind, 'growing');
  });

  it('is steady when the floors only scatter', () => {
    const rand = mulberry32(7);
    const flat = Array.from({ length: 40 }, (_, i) => ({ t: 2 + 8 * i, v: 50 * MiB + rand() * 200 * KiB }));
    assert.equal(analyzeSeries(flat, FLOORS).kind, 'steady');
  });
});

describe('step', () => {
  const jumpAt = 40;
  const stepSeries = (seed: number) =>
    build(regularTimes(300), (t) => 50 * MiB + (t >= jumpAt ? 100 * MiB : 0), MiB, mulberry32(seed));

  it('is a step, never growing, once three windows after the jump are complete', () => {
    // The jump falls on a window edge (windows of 5, then 10, then 20 s from 0), so three windows
    // after it are complete at 55 s. Before then the verdict is steady: the few windows after the
    // jump cannot make Mann-Kendall significant yet.
    for (let seed = 1; seed <= 30; seed++) {
      const points = stepSeries(seed);
      for (let T = 30; T <= 300; T += 5) {
        const v = analyzeSeries(upTo(points, T));
        if (T >= jumpAt + 15) assert.equal(v.kind, 'step', `seed ${seed} at ${T} s: ${v.summary}`);
        else assert.equal(v.kind, 'steady', `seed ${seed} at ${T} s: ${v.summary}`);
      }
    }
    const v = analyzeSeries(stepSeries(1));
    assert.match(
      v.summary,
      /^step: the floor rose from 4\d MiB to 1[45]\d MiB and has held there for the last 4m20s of 5m0s$/,
    );
    assert.equal(withTimeToLimit(v, 100 * MiB, GiB, 'cgroup').timeToLimitSec, null);
  });

  it('is a step after a warm-up ramp, once the flat part is about twice as long as the ramp', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const points = build(
        regularTimes(300),
        (t) => 50 * MiB + Math.min(t, 30) * 3 * MiB,
        MiB,
        mulberry32(seed),
      );
      for (let T = 90; T <= 300; T += 10) {
        assert.equal(analyzeSeries(upTo(points, T)).kind, 'step', `seed ${seed} at ${T} s`);
      }
    }
  });

  it('is not a step when a leak only just began: the part after the rise keeps rising', () => {
    // Flat for 60 s, then 1 MiB/s: steady, then growing, never a step.
    for (let seed = 1; seed <= 20; seed++) {
      const points = build(
        regularTimes(300),
        (t) => 50 * MiB + Math.max(0, t - 60) * MiB,
        MiB,
        mulberry32(seed),
      );
      for (let T = 30; T <= 300; T += 5) {
        const kind = analyzeSeries(upTo(points, T)).kind;
        assert.ok(kind !== 'step' && kind !== 'sawtooth', `seed ${seed} at ${T} s: ${kind}`);
        if (T >= 150) assert.equal(kind, 'growing', `seed ${seed} at ${T} s`);
      }
    }
  });

  it('makes a fresh jump wait for the windows after it, rather than call it growing', () => {
    // A floor creeping up 60 KiB a window for 17 windows, then 100 MiB higher for the last two:
    // a significant rise, with and without the newest window, but a step or a leak's start?
    const floor = (k: number) => (k < 17 ? 48 * MiB + k * 60 * KiB : 149 * MiB);
    const points = regularTimes(95).map((t) => ({ t, v: floor(Math.floor(t / 5)) + (t % 5) * 100 * KiB }));
    const v = analyzeSeries(points);
    assert.equal(v.kind, 'not enough data yet');
    assert.equal(v.needMoreSec, 5);
    assert.equal(
      v.summary,
      'not enough data yet: the floor jumped from 48 MiB to 149 MiB in the last 10 s; 5 s more tell a step from a leak',
    );
  });
});

describe('input', () => {
  it('does not care about order, samples at the same time (the lowest counts) or non-finite ones', () => {
    const points = build(regularTimes(120), (t) => 100 * MiB + MiB * t, MiB, mulberry32(7));
    const expected = analyzeSeries(points);
    const rand = mulberry32(8);
    const messy = [...points, ...points.map((p) => ({ t: p.t, v: p.v + 5 * MiB }))];
    messy.push({ t: Number.NaN, v: 0 }, { t: 50, v: Number.POSITIVE_INFINITY });
    messy.sort(() => rand() - 0.5);
    assert.deepEqual(analyzeSeries(messy), expected);
  });

  it('takes times from any origin', () => {
    const points = build(regularTimes(120), (t) => 100 * MiB + MiB * t, MiB, mulberry32(7));
    const shifted = points.map((p) => ({ t: p.t + 1_700_000_000, v: p.v }));
    const a = analyzeSeries(points);
    const b = analyzeSeries(shifted);
    assert.equal(b.kind, a.kind);
    assert.ok(Math.abs((b.slopeBytesPerSec ?? 0) - (a.slopeBytesPerSec ?? 0)) < 1e-6 * MiB);
  });
});

describe('withTimeToLimit', () => {
  const growing = analyzeSeries(exact(120, (t) => 100 * MiB + MiB * t));

  it('is headroom / slope for a growing floor', () => {
    const v = withTimeToLimit(growing, 600 * MiB, GiB, 'cgroup memory.max');
    assert.equal(v.timeToLimitSec, 600);
    assert.equal(v.limitBytes, GiB);
    assert.equal(v.limitSource, 'cgroup memory.max');
    assert.match(v.summary, /; at this rate cgroup memory\.max \(1 GiB\) is reached in 10m0s$/);
    // A second call replaces the clause instead of adding one.
    const again = withTimeToLimit(v, 60 * MiB, GiB, 'cgroup memory.max');
    assert.equal(again.timeToLimitSec, 60);
    assert.match(
      again.summary,
      /rising, from 100 MiB to 210 MiB; at this rate cgroup memory\.max \(1 GiB\) is reached in 1m0s$/,
    );
  });

  it('is 0 when no headroom is left', () => {
    assert.equal(withTimeToLimit(growing, 0, GiB, 'heap_size_limit').timeToLimitSec, 0);
    const over = withTimeToLimit(growing, -5 * MiB, GiB, 'heap_size_limit');
    assert.equal(over.timeToLimitSec, 0);
    assert.match(
      over.summary,
      /rising, from 100 MiB to 210 MiB; no headroom is left under heap_size_limit \(1 GiB\)$/,
    );
    assert.equal(withTimeToLimit(over, null, null, null).summary, growing.summary);
  });

  it('is null when the headroom is unknown or unlimited, and for any verdict but growing', () => {
    const unknown = withTimeToLimit(growing, null, null, null);
    assert.equal(unknown.timeToLimitSec, null);
    assert.equal(unknown.summary, growing.summary);
    assert.equal(
      withTimeToLimit(growing, Number.POSITIVE_INFINITY, null, 'MemAvailable').timeToLimitSec,
      null,
    );
    const steady = withTimeToLimit(analyzeSeries(exact(60, () => MiB)), 100 * MiB, GiB, 'MemAvailable');
    assert.equal(steady.timeToLimitSec, null);
    assert.equal(steady.limitBytes, GiB);
    assert.equal(steady.limitSource, 'MemAvailable');
  });
});

describe('summary wording', () => {
  it('durations, rates per minute and p-values', () => {
    assert.equal(formatDuration(12), '12 s');
    assert.equal(formatDuration(200), '3m20s');
    assert.equal(formatDuration(3600 + 300), '1h5m');
    assert.equal(formatDuration(3 * 86400 + 4 * 3600), '3d4h');
    assert.equal(formatRate((1.2 * MiB) / 60), '1.2 MiB/min');
    assert.equal(formatRate((300 * KiB) / 60), '300 KiB/min');
    assert.equal(formatRate(1), '60 B/min');
    // 1023.97 KiB/min would read "1024 KiB/min".
    assert.equal(formatRate((1023.97 * KiB) / 60), '1.0 MiB/min');
    assert.equal(formatP(0.00042), 'p < 0.001');
    assert.equal(formatP(0.0123), 'p = 0.012');
  });
});

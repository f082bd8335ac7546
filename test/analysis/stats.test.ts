// The statistics under the leak verdict, against values worked out by hand (the arithmetic is in
// the comments) and reference values of the normal distribution (scipy.stats.norm, 1.17).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  erfc,
  mannKendall,
  median,
  normalCdf,
  normalQuantile,
  quantile,
  theilSen,
} from '../../src/analysis/stats.js';

/** |actual - expected| within a relative tolerance (or an absolute one near 0). */
function near(actual: number, expected: number, rel = 1e-6, abs = 1e-12): void {
  const ok = Math.abs(actual - expected) <= Math.max(abs, rel * Math.abs(expected));
  assert.ok(ok, `expected ${expected}, got ${actual}`);
}

describe('normal distribution', () => {
  it('erfc to a relative 1.2e-7, far tails included', () => {
    near(erfc(0), 1, 2e-7);
    near(erfc(0.5), 0.4795001221869535, 2e-7);
    near(erfc(1), 0.15729920705028516, 2e-7);
    near(erfc(-1), 1.8427007929497148, 2e-7);
    near(erfc(3), 2.2090496998585445e-5, 2e-7);
  });

  it('normalCdf matches the reference in the middle and in the tails', () => {
    near(normalCdf(0), 0.5, 1e-7);
    near(normalCdf(1), 0.8413447460685429, 1e-7);
    near(normalCdf(1.96), 0.9750021048517795, 1e-7);
    near(normalCdf(-2.5758), 0.00500042373777868, 2e-7);
    // Upper tails through the lower one, where the relative error still holds.
    near(normalCdf(-5), 2.866515718791933e-7, 2e-7);
    near(normalCdf(-8), 6.22096057427174e-16, 2e-7);
  });

  it('normalQuantile inverts it (Acklam, relative 1.2e-9)', () => {
    near(normalQuantile(0.975), 1.959963984540054, 1e-8);
    near(normalQuantile(0.995), 2.5758293035489004, 1e-8);
    near(normalQuantile(0.9), 1.2815515655446004, 1e-8);
    near(normalQuantile(0.02), -2.053748910631823, 1e-8);
    near(normalQuantile(1e-6), -4.753424308822899, 1e-8);
    assert.equal(normalQuantile(0.5), 0);
    assert.equal(normalQuantile(0), Number.NEGATIVE_INFINITY);
    assert.equal(normalQuantile(1), Number.POSITIVE_INFINITY);
    for (const p of [0.001, 0.2, 0.7, 0.99]) near(normalCdf(normalQuantile(p)), p, 3e-7);
    assert.throws(() => normalQuantile(1.5), RangeError);
    assert.throws(() => normalQuantile(Number.NaN), RangeError);
  });
});

describe('median and quantile', () => {
  it('take the middle, interpolating between order statistics (type 7)', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
    // numpy.quantile(1..10, 0.9) = 9.1
    near(quantile([10, 9, 8, 7, 6, 5, 4, 3, 2, 1], 0.9), 9.1, 1e-12);
    assert.equal(quantile([5, 1], 0), 1);
    assert.equal(quantile([5, 1], 1), 5);
  });
});

describe('mannKendall', () => {
  it('a strictly rising series of 6: S = 15, Var(S) = 6*5*17/18, z = 14/sqrt(Var)', () => {
    const r = mannKendall([1, 2, 3, 4, 5, 6]);
    assert.equal(r.s, 15);
    near(r.varS, 85 / 3, 1e-12);
    near(r.z, 2.630142022557628, 1e-12);
    // 2 * P(Z > 2.6301) = 0.0085349 (scipy)
    near(r.pValue, 0.008534920414227074, 1e-6);
  });

  it('exact p-values for up to 10 values without ties, when asked', () => {
    // 6 rising: 1 of 6! = 720 orderings has S = 15, and 1 has S = -15: p = 2/720.
    near(mannKendall([1, 2, 3, 4, 5, 6], { exact: true }).pValue, 2 / 720, 1e-15);
    // 5 rising: 2/120, above 0.01, where the approximation says 0.027.
    near(mannKendall([1, 2, 3, 4, 5], { exact: true }).pValue, 2 / 120, 1e-15);
    // 6 with one inversion (S = 13): 6 orderings have at most one inversion, p = 12/720.
    near(mannKendall([1, 3, 2, 4, 5, 6], { exact: true }).pValue, 12 / 720, 1e-15);
    // 4 values with one inversion (S = 4): 1 + 3 of the 24 orderings have at most one, p = 8/24.
    near(mannKendall([1, 2, 4, 3], { exact: true }).pValue, (2 * 4) / 24, 1e-15);
    // Ties, or more than 10 values: the normal approximation, as without the option.
    const tied = [2, 4, 4, 1, 5, 5, 5];
    assert.equal(mannKendall(tied, { exact: true }).pValue, mannKendall(tied).pValue);
    const eleven = Array.from({ length: 11 }, (_, i) => i);
    assert.equal(mannKendall(eleven, { exact: true }).pValue, mannKendall(eleven).pValue);
  });

  it('a falling series mirrors it', () => {
    const r = mannKendall([6, 5, 4, 3, 2, 1]);
    assert.equal(r.s, -15);
    near(r.z, -2.630142022557628, 1e-12);
    near(r.pValue, 0.008534920414227074, 1e-6);
  });

  it('corrects Var(S) for ties', () => {
    // x = 2 4 4 1 5 5 5. Signs per i against the later values:
    //   2: + + - + + +  = 4      4: 0 - + + +  = 2      4: - + + +  = 2
    //   1: + + +        = 3      5: 0 0        = 0      5: 0        = 0      S = 11
    // Ties: two 4s, 2*1*9 = 18; three 5s, 3*2*11 = 66.  Var(S) = (7*6*19 - 18 - 66)/18 = 714/18.
    // z = (11 - 1)/sqrt(39.667) = 1.58777; p = 0.112339 (scipy).
    const r = mannKendall([2, 4, 4, 1, 5, 5, 5]);
    assert.equal(r.s, 11);
    near(r.varS, 714 / 18, 1e-12);
    near(r.z, 1.5877683720748896, 1e-12);
    near(r.pValue, 0.11233872582982299, 1e-6);
  });

  it('has nothing to test in a constant series, a balanced one, or one value', () => {
    assert.deepEqual(mannKendall([7, 7, 7, 7]), { s: 0, varS: 0, z: 0, pValue: 1 });
    // 1 4 3 2: +3, then 4: -2, then 3: -1
    const balanced = mannKendall([1, 4, 3, 2]);
    assert.equal(balanced.s, 0);
    assert.equal(balanced.pValue, 1);
    assert.deepEqual(mannKendall([5]), { s: 0, varS: 0, z: 0, pValue: 1 });
    assert.deepEqual(mannKendall([]), { s: 0, varS: 0, z: 0, pValue: 1 });
  });
});

describe('theilSen', () => {
  it('recovers an exact line, with a zero-width interval', () => {
    const t = [0, 1, 2, 3, 4, 5];
    assert.deepEqual(
      theilSen(
        t,
        t.map((x) => 2 * x + 1),
      ),
      { slope: 2, low: 2, high: 2, intercept: 1 },
    );
  });

  it('takes the median slope, and ranks (N -+ C)/2 (+1) of the sorted slopes for the interval', () => {
    // t = 1..5, v = 1 3 2 5 4. The 10 pairwise slopes, sorted:
    //   -1 -1 1/3 1/2 3/4 1 1 4/3 2 3      median (3/4 + 1)/2 = 0.875
    // intercept: median of v - 0.875 t = 0.125 1.25 -0.625 1.5 -0.375 -> 0.125
    // Var(S) = 5*4*15/18 = 50/3. At 95%, C = 1.95996 * 4.08248 = 8.0015: ranks 0.9992 and 10.0008
    // fall outside 1..10, so the interval is the extreme slopes [-1, 3].
    const t = [1, 2, 3, 4, 5];
    const v = [1, 3, 2, 5, 4];
    assert.deepEqual(theilSen(t, v), { slope: 0.875, low: -1, high: 3, intercept: 0.125 });
    // At 50%, C = 0.674490 * 4.08248 = 2.75359: lower rank 3.62320, between 1/3 and 1/2
    // -> 0.437201; upper rank 7.37680, between 1 and 4/3 -> 1.125599.
    const half = theilSen(t, v, 0.5);
    near(half.low, 1 / 3 + (3.623203562735258 - 3) * (1 / 2 - 1 / 3), 1e-9);
    near(half.high, 1 + (7.376796437264742 - 7) * (4 / 3 - 1), 1e-9);
  });

  it('skips pairs at one time and takes ties in t off Var(S), as Sen (1968) does', () => {
    // t = 0 0 1 2, v = 0 1 1 3. Slopes of the pairs with distinct times:
    //   (0,0)-(1,1) 1   (0,0)-(2,3) 1.5   (0,1)-(1,1) 0   (0,1)-(2,3) 1   (1,1)-(2,3) 2
    // sorted 0 1 1 1.5 2, median 1; intercept median(v - t) = median(0 1 0 1) = 0.5.
    // Var(S) = (4*3*13 - 2*1*9)/18 = 138/18. At 50%, C = 0.674490 * 2.76887 = 1.86758:
    // lower rank 1.56621 -> 0.566211; upper rank 4.43379, between 1.5 and 2 -> 1.716894.
    const r = theilSen([0, 0, 1, 2], [0, 1, 1, 3], 0.5);
    assert.equal(r.slope, 1);
    assert.equal(r.intercept, 0.5);
    near(r.low, 1.5662112242879294 - 1, 1e-9);
    near(r.high, 1.5 + (4.43378877571207 - 4) * 0.5, 1e-9);
  });

  it('is not moved by one wild value', () => {
    const t = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const v = t.map((x) => 3 * x);
    v[4] = 1e9;
    const r = theilSen(t, v);
    assert.equal(r.slope, 3);
    assert.equal(r.intercept, 0);
  });

  it('refuses what it cannot fit, with a RangeError that says why', () => {
    assert.throws(() => theilSen([1, 2], [1]), /"2" times but "1" values/);
    assert.throws(() => theilSen([3, 3, 3], [1, 2, 3]), /expected two distinct times/);
    assert.throws(() => theilSen([1], [1]), RangeError);
    assert.throws(() => theilSen([1, 2], [1, 2], 1), /Cannot use confidence "1"/);
  });
});

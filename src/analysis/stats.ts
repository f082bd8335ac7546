// The statistics behind the leak verdict: the Mann-Kendall trend test and the Theil-Sen slope
// with Sen's (1968) confidence interval, plus the normal distribution they lean on. Written here
// rather than taken from npm because no small, maintained package gives both with tie corrections
// and the interval. Pure and allocation-light: the leak analysis calls these on ~20 window minima.
//
// References: Kendall, Rank Correlation Methods (1975); Gilbert, Statistical Methods for
// Environmental Pollution Monitoring (1987), ch. 16; Sen, "Estimates of the regression
// coefficient based on Kendall's tau", JASA 63 (1968).

export interface MannKendall {
  /** S = sum over i < j of sign(x[j] - x[i]): concordant minus discordant pairs. */
  s: number;
  /** Var(S) under "no trend", corrected for ties. */
  varS: number;
  /** (S - sign(S)) / sqrt(Var(S)): continuity-corrected normal score; 0 when S is 0. */
  z: number;
  /** Two-sided p-value from the normal approximation; 1 when there is nothing to test. */
  pValue: number;
}

export interface TheilSen {
  /** Median of the pairwise slopes, in v units per t unit. */
  slope: number;
  /** Lower and upper confidence bounds of the slope. */
  low: number;
  high: number;
  /** Median of v - slope * t, so the line is v = intercept + slope * t. */
  intercept: number;
}

/** Horner: coefficients from the highest power down. */
function poly(coefficients: readonly number[], x: number): number {
  let sum = 0;
  for (const c of coefficients) sum = sum * x + c;
  return sum;
}

// The exponent's polynomial in t for erfc, highest power first.
const ERFC = [
  0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196,
  1.00002368, -1.26551223,
];

/**
 * erfc(x), Chebyshev fit of Numerical Recipes (2nd ed., 6.2, erfcc): fractional error below
 * 1.2e-7 everywhere. Fractional, not absolute, so the far tail (p = 1e-12) is still right, which
 * Abramowitz-Stegun 7.1.26 (absolute error 1.5e-7) is not.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z + poly(ERFC, t));
  return x >= 0 ? r : 2 - r;
}

/** P(Z <= z) for a standard normal Z. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

// Acklam's rational approximation of the normal quantile (relative error < 1.2e-9).
const QA = [
  -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
  2.506628277459239,
];
const QB = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const QC = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const QD = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];

/** The z with normalCdf(z) = p, for 0 < p < 1 (-Infinity and Infinity at 0 and 1). */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1)
    throw new RangeError(`Cannot take the normal quantile of "${p}": expected 0..1`);
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  const pLow = 0.02425;
  if (p < pLow || p > 1 - pLow) {
    const q = Math.sqrt(-2 * Math.log(p < pLow ? p : 1 - p));
    const x = poly(QC, q) / (poly(QD, q) * q + 1);
    return p < pLow ? x : -x;
  }
  const q = p - 0.5;
  const r = q * q;
  return (poly(QA, r) * q) / (poly(QB, r) * r + 1);
}

/** Median of the values (mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/**
 * The q-quantile (0..1) with linear interpolation between order statistics (Hyndman-Fan type 7,
 * the default of R and numpy); NaN for no values. Linear time (quickselect), not a sort: the leak
 * analysis takes medians of a whole day of 1 Hz samples.
 */
export function quantile(values: readonly number[], q: number): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  const a = Float64Array.from(values);
  const r = Math.min(Math.max(q, 0), 1) * (n - 1);
  const below = Math.floor(r);
  const lo = select(a, below);
  if (r === below) return lo;
  // select() left everything after `below` at least as large: the next order statistic is their minimum.
  let hi = Number.POSITIVE_INFINITY;
  for (let i = below + 1; i < n; i++) hi = Math.min(hi, a[i] as number);
  return lo + (hi - lo) * (r - below);
}

/** The k-th smallest (0-based) of a, rearranging a around it (Hoare's quickselect). */
function select(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const x = a[i] as number;
        a[i] = a[j] as number;
        a[j] = x;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k] as number;
}

/** quantile() of values already sorted ascending. */
function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return orderStatistic(sorted, 1 + q * (sorted.length - 1));
}

/** The rank-th smallest (1-based, fractional ranks interpolate), clamped to 1..length. */
function orderStatistic(sorted: ArrayLike<number>, rank: number): number {
  const r = Math.min(Math.max(rank, 1), sorted.length) - 1;
  const below = Math.floor(r);
  const lo = sorted[below] as number;
  const hi = sorted[Math.min(below + 1, sorted.length - 1)] as number;
  return lo + (hi - lo) * (r - below);
}

/** Sum of u(u-1)(2u+5) over the groups of u equal values: what ties take off Var(S). */
function tieTerm(values: readonly number[]): number {
  // A typed array sorts numerically, and several times faster than an array with a comparator.
  const sorted = Float64Array.from(values).sort();
  let term = 0;
  let run = 1;
  for (let i = 1; i <= sorted.length; i++) {
    if (i < sorted.length && sorted[i] === sorted[i - 1]) {
      run++;
    } else {
      term += run * (run - 1) * (2 * run + 5);
      run = 1;
    }
  }
  return term;
}

/** Var(S) of n values with the given tie term, under "no trend". */
function varianceOfS(n: number, ties: number): number {
  return (n * (n - 1) * (2 * n + 5) - ties) / 18;
}

/** The largest n for which mannKendall can give the exact p-value (10! orderings). */
export const MANN_KENDALL_EXACT_MAX_N = 10;

/**
 * Exact two-sided p-value of Mann-Kendall's S for n values without ties: under "no trend" every
 * ordering is equally likely, and S = n(n-1)/2 - 2 * (inversions), so P(S >= s) is the share of
 * the n! permutations with at most (n(n-1)/2 - s) / 2 inversions, counted by the recurrence of
 * the Mahonian numbers (permutations of k items by inversions).
 */
function exactMannKendallP(n: number, s: number): number {
  let counts = [1];
  for (let k = 2; k <= n; k++) {
    const next = new Array<number>(counts.length + k - 1).fill(0);
    counts.forEach((c, inv) => {
      for (let add = 0; add < k; add++) next[inv + add] = (next[inv + add] as number) + c;
    });
    counts = next;
  }
  const maxInversions = (n * (n - 1)) / 2;
  const atMost = (maxInversions - Math.abs(s)) / 2;
  let tail = 0;
  let total = 0;
  counts.forEach((c, inv) => {
    total += c;
    if (inv <= atMost) tail += c;
  });
  return Math.min(1, (2 * tail) / total);
}

/**
 * Mann-Kendall test for a monotonic trend in values taken in time order (the order of the array).
 * Var(S) is corrected for ties (Kendall 1975); z carries the continuity correction; the p-value
 * is two-sided, from the normal approximation (Gilbert 1987, ch. 16), which the literature recommends
 * from n = 10 on and is slightly conservative below (for n = 6 a perfectly monotonic series
 * gives p = 0.0085 here against the exact 0.0028). With `exact`, n <= 10 values without ties get
 * the exact p-value instead: for series whose every point is a measurement rather than a noisy
 * sample, a few points are all there is, and the approximation would waste them.
 */
export function mannKendall(values: readonly number[], opts: { exact?: boolean } = {}): MannKendall {
  const n = values.length;
  let s = 0;
  for (let i = 0; i < n - 1; i++) {
    const vi = values[i] as number;
    for (let j = i + 1; j < n; j++) s += Math.sign((values[j] as number) - vi);
  }
  const ties = n < 2 ? 0 : tieTerm(values);
  const varS = n < 2 ? 0 : varianceOfS(n, ties);
  if (varS <= 0 || s === 0) return { s, varS: Math.max(varS, 0), z: 0, pValue: 1 };
  const z = (s - Math.sign(s)) / Math.sqrt(varS);
  if (opts.exact && ties === 0 && n <= MANN_KENDALL_EXACT_MAX_N) {
    return { s, varS, z, pValue: exactMannKendallP(n, s) };
  }
  return { s, varS, z, pValue: Math.min(1, erfc(Math.abs(z) / Math.SQRT2)) };
}

/**
 * Theil-Sen slope of v against t: the median of the slopes (v[j] - v[i]) / (t[j] - t[i]) over all
 * pairs with different times, with the distribution-free confidence interval of Sen (1968): with
 * N slopes sorted ascending and C = z(1 - (1 - confidence)/2) * sqrt(Var(S)), the bounds are the
 * slopes of rank (N - C)/2 and (N + C)/2 + 1 (Gilbert 1987, ch. 16). Var(S) is Mann-Kendall's for
 * n points, corrected for ties in t as Sen does; ties in v are not subtracted, because what the
 * interval inverts is the test of the residuals v - beta * t, which have no ties at the true beta
 * when the noise is continuous. Fractional ranks interpolate between neighbouring slopes, and
 * ranks past either end take the extreme slope. The intercept is the median of v - slope * t.
 * Throws a RangeError when t and v differ in length or fewer than two distinct times exist.
 */
export function theilSen(t: readonly number[], v: readonly number[], confidence = 0.95): TheilSen {
  if (t.length !== v.length) {
    throw new RangeError(`Cannot fit a Theil-Sen slope: "${t.length}" times but "${v.length}" values`);
  }
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`Cannot use confidence "${confidence}": expected a number between 0 and 1`);
  }
  const n = t.length;
  const slopes: number[] = [];
  for (let i = 0; i < n - 1; i++) {
    const ti = t[i] as number;
    const vi = v[i] as number;
    for (let j = i + 1; j < n; j++) {
      const dt = (t[j] as number) - ti;
      if (dt !== 0) slopes.push(((v[j] as number) - vi) / dt);
    }
  }
  if (slopes.length === 0) {
    throw new RangeError(`Cannot fit a Theil-Sen slope to "${n}" points: expected two distinct times`);
  }
  slopes.sort((a, b) => a - b);
  const count = slopes.length;
  const slope = quantileSorted(slopes, 0.5);
  const c = normalQuantile(1 - (1 - confidence) / 2) * Math.sqrt(varianceOfS(n, tieTerm(t)));
  const low = orderStatistic(slopes, (count - c) / 2);
  const high = orderStatistic(slopes, (count + c) / 2 + 1);
  const intercept = median(v.map((vi, i) => vi - slope * (t[i] as number)));
  return { slope, low, high, intercept };
}

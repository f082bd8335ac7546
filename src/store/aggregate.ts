// Pure arithmetic shared by roll-ups (compact) and chart downsampling (the *Series queries): one
// bucket's figures from the rows that fall into it, and a uPlot-friendly Columnar from rows.
// A row stands for `n` samples (1 for a tick, 60 for a 1-minute bucket of 1 s ticks), so averages
// are weighted by n and mixing tiers in one bucket stays correct. Unknown values (null) are left
// out of averages; a bucket with none known is null, never 0.

import type { ColumnSpec } from './columns.js';

/** Times are integer milliseconds inside the store; Columnar.t is unix seconds. */
export interface Columnar {
  t: number[];
  [field: string]: (number | null)[];
}

/** The figures of one bucket, fed row by row. */
export class BucketAccumulator {
  /** Time of the first row added (ms), NaN when empty. */
  firstT = Number.NaN;
  /** Samples the bucket stands for. */
  n = 0;
  /** When the counters of the last row added were read (ms). */
  lastCt = Number.NaN;
  private readonly sums: Float64Array;
  private readonly weights: Float64Array;
  private readonly lasts: (number | null)[];
  private readonly lastCts: Float64Array;
  private readonly firsts: (number | null)[];
  private readonly firstCts: Float64Array;

  constructor(readonly specs: readonly ColumnSpec[]) {
    const k = specs.length;
    this.sums = new Float64Array(k);
    this.weights = new Float64Array(k);
    this.lasts = new Array<number | null>(k).fill(null);
    this.lastCts = new Float64Array(k);
    this.firsts = new Array<number | null>(k).fill(null);
    this.firstCts = new Float64Array(k);
  }

  get empty(): boolean {
    return this.n === 0;
  }

  reset(): void {
    this.firstT = Number.NaN;
    this.n = 0;
    this.lastCt = Number.NaN;
    this.sums.fill(0);
    this.weights.fill(0);
    this.lasts.fill(null);
    this.firsts.fill(null);
  }

  /**
   * Adds one row: `values[offset + i]` is the figure of specs[i]. `ct` is when a counter in this
   * row was read (for a rolled-up row, near the end of its bucket); rows come in time order.
   */
  add(t: number, n: number, ct: number, values: readonly unknown[], offset: number): void {
    if (this.n === 0) this.firstT = t;
    this.n += n;
    this.lastCt = ct;
    const specs = this.specs;
    for (let i = 0; i < specs.length; i++) {
      const v = values[offset + i] as number | null;
      if (v === null || v === undefined) continue;
      if ((specs[i] as ColumnSpec).agg === 'last') {
        if (this.firsts[i] === null) {
          this.firsts[i] = v;
          this.firstCts[i] = ct;
        }
        this.lasts[i] = v;
        this.lastCts[i] = ct;
      } else {
        this.sums[i] = (this.sums[i] as number) + v * n;
        this.weights[i] = (this.weights[i] as number) + n;
      }
    }
  }

  /** The bucket's figure for specs[i]: the weighted mean or the last value. */
  value(i: number): number | null {
    const spec = this.specs[i] as ColumnSpec;
    if (spec.agg === 'last') return this.lasts[i] ?? null;
    const w = this.weights[i] as number;
    if (w === 0) return null;
    const mean = (this.sums[i] as number) / w;
    return spec.agg === 'mean' ? Math.round(mean) : mean;
  }

  lastCounter(i: number): { value: number; ct: number } | null {
    const value = this.lasts[i];
    return value === null || value === undefined ? null : { value, ct: this.lastCts[i] as number };
  }

  firstCounter(i: number): { value: number; ct: number } | null {
    const value = this.firsts[i];
    return value === null || value === undefined ? null : { value, ct: this.firstCts[i] as number };
  }
}

/** Counter increase per second between two readings; null when unknown or the counter went back. */
export function ratePerSec(
  prev: { value: number; ct: number } | null,
  cur: { value: number; ct: number } | null,
): number | null {
  if (!prev || !cur) return null;
  const dt = cur.ct - prev.ct;
  const dv = cur.value - prev.value;
  if (dt <= 0 || dv < 0) return null;
  return (dv * 1000) / dt;
}

/** The empty series of a kind: t and every field, all empty. */
export function emptyColumnar(specs: readonly ColumnSpec[]): Columnar {
  const out: Columnar = { t: [] };
  for (const s of specs) out[s.rateField ?? s.field] = [];
  return out;
}

export interface SeriesInput {
  /**
   * Rows as [t (ms), n, last_dt (ms), ...figures in specs order], in time order, all within
   * [fromMs, toMs]; a row's counters were read at t + last_dt.
   */
  rows: readonly (readonly unknown[])[];
  fromMs: number;
  toMs: number;
  /** Step of the coarsest tier among the rows: buckets are whole multiples of it. */
  stepMs: number;
  maxPoints: number;
}

/**
 * Builds the Columnar of a series. Up to maxPoints rows come out one point each; more are grouped
 * into buckets aligned to multiples of a width w (a whole number of steps), chosen so that
 * [fromMs, toMs] spans at most maxPoints of them. A point's t is the time of its bucket's first
 * row. Counter fields come out as rates: the increase from the previous point's last reading to
 * this point's last reading, or within the point when there is no previous reading.
 */
export function toColumnar(specs: readonly ColumnSpec[], input: SeriesInput): Columnar {
  const out = emptyColumnar(specs);
  const { rows, maxPoints } = input;
  if (rows.length === 0) return out;
  const columns = specs.map((s) => out[s.rateField ?? s.field] as (number | null)[]);
  let width = 0;
  if (rows.length > maxPoints) {
    const span = input.toMs - input.fromMs;
    width =
      maxPoints <= 1 || span <= 0
        ? Number.POSITIVE_INFINITY
        : input.stepMs * Math.max(1, Math.ceil(span / (maxPoints - 1) / input.stepMs));
  }
  const acc = new BucketAccumulator(specs);
  const prevCounters: ({ value: number; ct: number } | null)[] = specs.map(() => null);
  const flush = () => {
    out.t.push(acc.firstT / 1000);
    for (let i = 0; i < specs.length; i++) {
      const col = columns[i] as (number | null)[];
      if ((specs[i] as ColumnSpec).rateField === undefined) {
        col.push(acc.value(i));
        continue;
      }
      const last = acc.lastCounter(i);
      const prev = prevCounters[i] ?? null;
      col.push(prev ? ratePerSec(prev, last) : ratePerSec(acc.firstCounter(i), last));
      if (last) prevCounters[i] = last;
    }
    acc.reset();
  };
  let bucket = Number.NaN;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as readonly unknown[];
    const t = row[0] as number;
    const key = width === 0 ? r : width === Number.POSITIVE_INFINITY ? 0 : Math.floor(t / width);
    if (key !== bucket && !acc.empty) flush();
    bucket = key;
    acc.add(t, row[1] as number, t + (row[2] as number), row, 3);
  }
  if (!acc.empty) flush();
  return out;
}

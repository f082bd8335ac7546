// The recent RSS of one process, kept in memory for its leak verdict and its sparkline: a ring of
// (seconds, bytes) in two typed arrays. An hour at 1 Hz is 56 KiB per process this way; as
// {t, v} objects it would be about ten times that, for hundreds of processes.
//
// The arrays start small and double as points come, up to the capacity: most processes on a
// busy machine live seconds, and an hour's arrays for each (56 KiB of native memory, freed only
// when V8 collects the ring, long after the process is gone) made the server's heap grow with
// process churn.
import type { SeriesPoint } from '../analysis/leak.js';

/** Points a new ring has room for before it first grows: a minute at 1 s, 1 KiB. */
const INITIAL_POINTS = 64;

export class SeriesRing {
  private t: Float64Array;
  private v: Float64Array;
  private start = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    const room = Math.min(capacity, INITIAL_POINTS);
    this.t = new Float64Array(room);
    this.v = new Float64Array(room);
  }

  get length(): number {
    return this.size;
  }

  /** Bytes the ring's arrays hold now: in proportion to its points, at most the capacity's. */
  get allocatedBytes(): number {
    return this.t.byteLength + this.v.byteLength;
  }

  push(t: number, v: number): void {
    if (this.size === this.t.length && this.size < this.capacity) this.grow();
    const room = this.t.length;
    const at = (this.start + this.size) % room;
    this.t[at] = t;
    this.v[at] = v;
    if (this.size < room) this.size++;
    else this.start = (this.start + 1) % room;
  }

  /** Doubles the arrays (up to the capacity); a full ring's points are in order from 0 after it. */
  private grow(): void {
    const room = Math.min(this.capacity, this.t.length * 2);
    const t = new Float64Array(room);
    const v = new Float64Array(room);
    for (let i = 0; i < this.size; i++) {
      const at = (this.start + i) % this.t.length;
      t[i] = this.t[at] as number;
      v[i] = this.v[at] as number;
    }
    this.t = t;
    this.v = v;
    this.start = 0;
  }

  /** Every point, oldest first, as analyzeSeries takes them. */
  points(): SeriesPoint[] {
    const out: SeriesPoint[] = new Array(this.size);
    const room = this.t.length;
    for (let i = 0; i < this.size; i++) {
      const at = (this.start + i) % room;
      out[i] = { t: this.t[at] as number, v: this.v[at] as number };
    }
    return out;
  }

  /** The last n values, oldest first. */
  lastValues(n: number): number[] {
    const count = Math.min(n, this.size);
    const room = this.t.length;
    const out: number[] = new Array(count);
    for (let i = 0; i < count; i++) {
      out[i] = this.v[(this.start + this.size - count + i) % room] as number;
    }
    return out;
  }
}

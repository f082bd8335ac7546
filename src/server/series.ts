// The recent RSS of one process, kept in memory for its leak verdict and its sparkline: a ring of
// (seconds, bytes) in two typed arrays. An hour at 1 Hz is 56 KiB per process this way; as
// {t, v} objects it would be about ten times that, for hundreds of processes.
import type { SeriesPoint } from '../analysis/leak.js';

export class SeriesRing {
  private readonly t: Float64Array;
  private readonly v: Float64Array;
  private start = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.t = new Float64Array(capacity);
    this.v = new Float64Array(capacity);
  }

  get length(): number {
    return this.size;
  }

  push(t: number, v: number): void {
    const at = (this.start + this.size) % this.capacity;
    this.t[at] = t;
    this.v[at] = v;
    if (this.size < this.capacity) this.size++;
    else this.start = (this.start + 1) % this.capacity;
  }

  /** Every point, oldest first, as analyzeSeries takes them. */
  points(): SeriesPoint[] {
    const out: SeriesPoint[] = new Array(this.size);
    for (let i = 0; i < this.size; i++) {
      const at = (this.start + i) % this.capacity;
      out[i] = { t: this.t[at] as number, v: this.v[at] as number };
    }
    return out;
  }

  /** The last n values, oldest first. */
  lastValues(n: number): number[] {
    const count = Math.min(n, this.size);
    const out: number[] = new Array(count);
    for (let i = 0; i < count; i++) {
      out[i] = this.v[(this.start + this.size - count + i) % this.capacity] as number;
    }
    return out;
  }
}

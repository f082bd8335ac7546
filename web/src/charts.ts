// Time-series charts on uPlot: a chart per figure group, sized to its container, with IEC byte axes,
// gaps where a value is unknown (never a drop to 0), optional stacking, drag-to-zoom reported to the
// page (which fetches finer history for the range) and overlays such as the leak trend line.

import uPlot from 'uplot';
import { BYTE_INCREMENTS, bytes, count, perSec, psiPercent } from './format.js';

export type Unit = 'bytes' | 'perSec' | 'psi' | 'count';

export interface SeriesSpec {
  label: string;
  color: string;
  /** Kernel term explained, shown on hover of the legend entry. */
  hint?: string;
  dash?: number[];
  /** Stacked series are drawn as filled areas on top of each other, in order. */
  stack?: boolean;
  show?: boolean;
  width?: number;
}

export interface Overlay {
  /** Draws on the chart's canvas after the series; coordinates through u.valToPos(..., true). */
  draw(u: uPlot, ctx: CanvasRenderingContext2D): void;
}

export interface ChartOptions {
  title: string;
  unit: Unit;
  series: SeriesSpec[];
  height?: number;
  /** Charts sharing a key move their cursors together. */
  syncKey?: string;
  /** A drag selected [from, to] (unix seconds). */
  onZoom?: (from: number, to: number) => void;
  /** Double-click: back to the chosen range. */
  onReset?: () => void;
}

const formatters: Record<Unit, (v: number | null | undefined) => string> = {
  bytes,
  perSec,
  psi: psiPercent,
  count,
};

export function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

function withAlpha(hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!m?.[1]) return hex;
  const n = Number.parseInt(m[1], 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/** A time-series chart. Data are unix seconds and one array per series, nulls for unknown. */
export class TimeChart {
  readonly el: HTMLElement;
  private plot: uPlot | null = null;
  private raw: (number | null)[][] = [];
  private t: number[] = [];
  private xRange: [number, number] | null = null;
  private readonly overlays: Overlay[] = [];
  private readonly resize: ResizeObserver;
  private readonly fmt: (v: number | null | undefined) => string;

  constructor(
    parent: HTMLElement,
    private readonly opts: ChartOptions,
  ) {
    this.fmt = formatters[opts.unit];
    this.el = document.createElement('div');
    this.el.className = 'chart';
    const title = document.createElement('h3');
    title.textContent = opts.title;
    this.el.appendChild(title);
    parent.appendChild(this.el);
    this.raw = opts.series.map(() => []);
    this.create();
    this.resize = new ResizeObserver(() => this.fit());
    this.resize.observe(this.el);
  }

  /** Replaces the data; `range` fixes the x axis (for example to the range the user chose). */
  setData(t: number[], columns: (number | null)[][], range?: [number, number]): void {
    this.t = t.slice();
    this.raw = this.opts.series.map((_, i) => (columns[i] ?? []).slice());
    if (range) this.xRange = range;
    this.plot?.setData(this.aligned(), true);
    this.refreshLegend();
  }

  /** Adds points at the end (live updates), keeping only those inside the x range. */
  append(t: number[], columns: (number | null)[][], range?: [number, number]): void {
    if (range) this.xRange = range;
    const from = this.xRange?.[0] ?? Number.NEGATIVE_INFINITY;
    let drop = 0;
    while (drop < this.t.length && (this.t[drop] as number) < from) drop++;
    this.t = this.t.slice(drop).concat(t);
    this.raw = this.raw.map((col, i) => col.slice(drop).concat(columns[i] ?? t.map(() => null)));
    this.plot?.setData(this.aligned(), true);
    this.refreshLegend();
  }

  lastTime(): number | null {
    return this.t.length ? (this.t[this.t.length - 1] as number) : null;
  }

  /** Off the chart, the legend follows the newest values; under the cursor it stays put. */
  private refreshLegend(): void {
    const u = this.plot;
    if (!u || (u.cursor.left ?? -1) >= 0) return;
    u.setLegend({ idx: null as unknown as number }, false);
  }

  /** The last known value of a series (null when it has none). */
  latest(i: number): number | null {
    const col = this.raw[i] ?? [];
    for (let j = col.length - 1; j >= 0; j--) {
      const v = col[j];
      if (v !== null && v !== undefined) return v;
    }
    return null;
  }

  addOverlay(o: Overlay): void {
    this.overlays.push(o);
    this.plot?.redraw(false, false);
  }

  clearOverlays(): void {
    this.overlays.length = 0;
    this.plot?.redraw(false, false);
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot?.destroy();
    this.plot = null;
    this.el.remove();
  }

  /** The stacked series are plotted as running sums; the legend still shows each one's own value. */
  private aligned(): uPlot.AlignedData {
    const cols: (number | null)[][] = [];
    let below: (number | null)[] | null = null;
    this.opts.series.forEach((s, i) => {
      const col = this.raw[i] ?? [];
      if (!s.stack) {
        cols.push(col);
        return;
      }
      const sum: (number | null)[] = col.map((v, j) => {
        if (v === null || v === undefined) return null;
        if (!below) return v;
        const b = below[j];
        return b === null || b === undefined ? null : b + v;
      });
      cols.push(sum);
      below = sum;
    });
    return [this.t, ...cols] as uPlot.AlignedData;
  }

  private width(): number {
    return Math.max(200, Math.floor(this.el.clientWidth || 600));
  }

  private fit(): void {
    if (!this.plot) return;
    const w = this.width();
    if (Math.abs(w - this.plot.width) > 1) this.plot.setSize({ width: w, height: this.opts.height ?? 200 });
  }

  private create(): void {
    const axis = cssVar('--muted', '#666');
    const grid = cssVar('--grid', 'rgba(0,0,0,0.07)');
    const font = '11px system-ui, sans-serif';
    // With the cursor off the chart, the legend shows the latest values rather than blanks.
    const series: uPlot.Series[] = [
      {
        label: 'Time',
        value: (_u, v) => (v === null ? `latest ${shortTime(this.lastTime())}` : shortTime(v)),
      },
    ];
    const bands: uPlot.Band[] = [];
    let prevStacked = -1;
    this.opts.series.forEach((s, i) => {
      const si = i + 1;
      series.push({
        label: s.label,
        stroke: s.color,
        width: s.width ?? 1.5,
        dash: s.dash,
        show: s.show ?? true,
        fill: s.stack ? withAlpha(s.color, 0.35) : undefined,
        spanGaps: false,
        points: { show: false },
        value: (_u, _v, _si, idx) => this.fmt(idx === null ? this.latest(i) : this.raw[i]?.[idx]),
      });
      if (s.stack) {
        if (prevStacked > 0) bands.push({ series: [si, prevStacked] });
        prevStacked = si;
      }
    });
    const yAxis: uPlot.Axis = {
      stroke: axis,
      font,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1 },
      size: 64,
      values: (_u, splits) => splits.map((v) => this.fmt(v)),
    };
    if (this.opts.unit === 'bytes') yAxis.incrs = BYTE_INCREMENTS;
    if (this.opts.unit === 'count') yAxis.incrs = COUNT_INCREMENTS;
    const options: uPlot.Options = {
      width: this.width(),
      height: this.opts.height ?? 200,
      series,
      bands,
      legend: { live: true },
      padding: [8, 12, 0, 0],
      cursor: {
        drag: { x: true, y: false, setScale: false },
        sync: this.opts.syncKey ? { key: this.opts.syncKey } : undefined,
        points: { show: false },
      },
      scales: {
        x: { time: true, range: (_u, min, max) => this.xRangeFor(min, max) },
        y: {
          range: (_u, min, max) => {
            // Memory figures start at zero: a chart that starts at the minimum makes 1% look like a cliff.
            const lo = Math.min(0, min ?? 0);
            const hi = max === null || !Number.isFinite(max) || max <= lo ? lo + 1 : max * 1.08;
            return [lo, hi];
          },
        },
      },
      axes: [
        {
          stroke: axis,
          font,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1 },
          incrs: TIME_INCREMENTS,
          space: 70,
          values: (_u, splits, _ax, _space, incr) => splits.map((t) => axisTime(t, incr)),
        },
        yAxis,
      ],
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 4) return;
            const from = u.posToVal(u.select.left, 'x');
            const to = u.posToVal(u.select.left + u.select.width, 'x');
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            this.opts.onZoom?.(from, to);
          },
        ],
        draw: [
          (u) => {
            for (const o of this.overlays) {
              u.ctx.save();
              o.draw(u, u.ctx);
              u.ctx.restore();
            }
          },
        ],
        ready: [
          (u) => {
            u.over.addEventListener('dblclick', () => this.opts.onReset?.());
            this.hintLegend(u);
          },
        ],
      },
    };
    this.plot = new uPlot(options, this.aligned(), this.el);
  }

  private xRangeFor(min: number | null, max: number | null): uPlot.Range.MinMax {
    if (this.xRange) {
      // Start where the history starts when that is later, so a fresh install is not one sliver.
      const first = this.t[0];
      const lo = first !== undefined && first > this.xRange[0] ? first : this.xRange[0];
      return [lo, Math.max(lo + 1, this.xRange[1])];
    }
    const now = Date.now() / 1000;
    return [min ?? now - 300, max ?? now];
  }

  private hintLegend(u: uPlot): void {
    const rows = u.root.querySelectorAll('.u-legend .u-series');
    this.opts.series.forEach((s, i) => {
      const row = rows[i + 1] as HTMLElement | undefined;
      if (row && s.hint) row.title = s.hint;
    });
  }
}

// Ticks on whole seconds, minutes, hours and days (uPlot's defaults go down to milliseconds).
const TIME_INCREMENTS = [
  1,
  2,
  5,
  10,
  15,
  30,
  60,
  120,
  300,
  600,
  900,
  1800,
  3600,
  7200,
  10800,
  21600,
  43200,
  86400,
  2 * 86400,
  7 * 86400,
  14 * 86400,
  30 * 86400,
];
const COUNT_INCREMENTS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 100000, 1000000];

const pad = (n: number) => String(n).padStart(2, '0');

/** Legend time: "19:07:58" today, "11-24 19:07:58" before. */
function shortTime(t: number | null): string {
  if (t === null || !Number.isFinite(t)) return '–';
  const d = new Date(t * 1000);
  const hms = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return d.toDateString() === new Date().toDateString()
    ? hms
    : `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hms}`;
}

/** Axis time, as fine as the tick spacing needs, in 24-hour form. */
function axisTime(t: number, incr: number): string {
  const d = new Date(t * 1000);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (incr < 60) return `${hm}:${pad(d.getSeconds())}`;
  if (incr < 86400)
    return d.getHours() === 0 && d.getMinutes() === 0 ? `${pad(d.getMonth() + 1)}-${pad(d.getDate())}` : hm;
  return `${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

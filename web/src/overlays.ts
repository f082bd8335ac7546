// Drawings over a chart's series: the leak verdict's trend line and a limit's level.

import { cssVar, type Overlay } from './charts.js';

/**
 * The leak verdict's trend line on a chart: the fitted floor, `slope` bytes/s, ending at
 * `baseline` bytes at time `end`, drawn over the `observedSec` it was fitted on.
 */
export function trendOverlay(opts: {
  end: number;
  baseline: number;
  slope: number;
  observedSec: number;
  color: string;
  label: string;
}): Overlay {
  return {
    draw(u, ctx) {
      const start = opts.end - opts.observedSec;
      const xMin = u.scales.x?.min ?? start;
      const xMax = u.scales.x?.max ?? opts.end;
      const a = Math.max(start, xMin);
      const b = Math.min(opts.end, xMax);
      if (!(b > a)) return;
      const y = (t: number) => opts.baseline + opts.slope * (t - opts.end);
      const x0 = u.valToPos(a, 'x', true);
      const x1 = u.valToPos(b, 'x', true);
      const y0 = u.valToPos(y(a), 'y', true);
      const y1 = u.valToPos(y(b), 'y', true);
      const { left, top, width, height } = u.bbox;
      ctx.beginPath();
      ctx.rect(left, top, width, height);
      ctx.clip();
      ctx.strokeStyle = opts.color;
      ctx.lineWidth = 2 * devicePixelRatio;
      ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
      ctx.beginPath();
      ctx.moveTo(x0, y0);
      ctx.lineTo(x1, y1);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = opts.color;
      ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
      ctx.textAlign = 'right';
      // Above the line's end, or below it when that would leave the plot.
      const ty =
        y1 - 8 * devicePixelRatio < top + 12 * devicePixelRatio
          ? y1 + 16 * devicePixelRatio
          : y1 - 8 * devicePixelRatio;
      const tx = Math.min(x1, left + width) - 4 * devicePixelRatio;
      const m = ctx.measureText(opts.label);
      ctx.fillStyle = cssVar('--card', '#fff');
      ctx.globalAlpha = 0.85;
      ctx.fillRect(
        tx - m.width - 3 * devicePixelRatio,
        ty - 11 * devicePixelRatio,
        m.width + 6 * devicePixelRatio,
        15 * devicePixelRatio,
      );
      ctx.globalAlpha = 1;
      ctx.fillStyle = opts.color;
      ctx.fillText(opts.label, tx, ty);
    },
  };
}

/** A horizontal line at `value` (a limit), drawn only when it falls inside the y range shown. */
export function levelOverlay(value: number, color: string, label: string): Overlay {
  return {
    draw(u, ctx) {
      const max = u.scales.y?.max;
      if (max === undefined || max === null || value > max) return;
      const y = u.valToPos(value, 'y', true);
      const { left, width } = u.bbox;
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.5 * devicePixelRatio;
      ctx.setLineDash([3 * devicePixelRatio, 3 * devicePixelRatio]);
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + width, y);
      ctx.stroke();
      ctx.fillStyle = color;
      ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
      ctx.textAlign = 'right';
      ctx.fillText(label, left + width - 6 * devicePixelRatio, y - 4 * devicePixelRatio);
    },
  };
}

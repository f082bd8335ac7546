// The time range of a page's charts: a preset (last 5 min ... last 90 days) that follows "now" as
// samples come in, or a zoomed window picked by dragging across a chart, which stays put.

import { h } from './dom.js';
import { clock, duration } from './format.js';

export const PRESETS: [string, number][] = [
  ['5m', 300],
  ['1h', 3600],
  ['24h', 86400],
  ['7d', 7 * 86400],
  ['90d', 90 * 86400],
];

export interface Window {
  from: number;
  to: number;
  /** True while the window ends at "now" and moves with it. */
  live: boolean;
}

export class RangeControl {
  readonly el: HTMLElement;
  private presetSec: number;
  private zoom: { from: number; to: number } | null = null;
  private readonly buttons = new Map<number, HTMLButtonElement>();
  private readonly zoomNote: HTMLElement;

  constructor(
    initialSec: number,
    private readonly onChange: (w: Window) => void,
  ) {
    this.presetSec = initialSec;
    this.zoomNote = h('span', { class: 'zoom-note' });
    this.el = h(
      'div',
      { class: 'range', role: 'toolbar', 'aria-label': 'Time range' },
      h('span', { class: 'label' }, 'Range'),
      PRESETS.map(([label, sec]) => {
        const b = h(
          'button',
          { type: 'button', 'data-range': label, title: `The last ${duration(sec)}` },
          label,
        );
        b.addEventListener('click', () => this.setPreset(sec));
        this.buttons.set(sec, b);
        return b;
      }),
      this.zoomNote,
      h('span', { class: 'hint' }, 'drag across a chart to zoom; double-click to go back'),
    );
    this.paint();
  }

  window(): Window {
    if (this.zoom) return { ...this.zoom, live: false };
    const to = Date.now() / 1000;
    return { from: to - this.presetSec, to, live: true };
  }

  setPreset(sec: number): void {
    this.presetSec = sec;
    this.zoom = null;
    this.paint();
    this.onChange(this.window());
  }

  zoomTo(from: number, to: number): void {
    if (!(to - from >= 1)) return;
    // Charts with a shared cursor all report the same selection: act on it once.
    if (this.zoom && Math.abs(this.zoom.from - from) < 0.5 && Math.abs(this.zoom.to - to) < 0.5) return;
    this.zoom = { from, to };
    this.paint();
    this.onChange(this.window());
  }

  reset(): void {
    this.setPreset(this.presetSec);
  }

  private paint(): void {
    for (const [sec, b] of this.buttons) b.classList.toggle('active', !this.zoom && sec === this.presetSec);
    this.zoomNote.replaceChildren();
    if (this.zoom) {
      const back = h('button', { type: 'button', class: 'link' }, 'back to live');
      back.addEventListener('click', () => this.reset());
      this.zoomNote.append(`zoomed: ${clock(this.zoom.from)} → ${clock(this.zoom.to)} `, back);
    }
  }
}

/** How many points to ask the server for: about one per two pixels of the widest chart. */
export function pointsFor(el: HTMLElement | null): number {
  const w = el?.clientWidth || 1000;
  return Math.max(60, Math.min(1500, Math.round(w / 2)));
}

// How the leak verdict and findings look wherever they appear.

import type { Finding, Verdict } from './api.js';
import { h } from './dom.js';
import { duration, rate } from './format.js';

const VERDICT_HINT: Record<string, string> = {
  growing: 'The floor of RSS keeps rising: a leak, or a cache without a bound',
  step: 'RSS jumped to a higher level once and has held there since',
  sawtooth: 'RSS climbs and falls back, like a garbage collector at work: no leak',
  steady: 'RSS holds level',
  'not enough data yet': 'Too little history for a verdict yet',
};

export function verdictBadge(v: Verdict | null): HTMLElement {
  if (!v) return h('span', { class: 'badge unknown', title: 'No leak verdict for this process' }, '–');
  const cls = v.kind === 'not enough data yet' ? 'wait' : v.kind;
  const text = v.kind === 'not enough data yet' ? 'too early' : v.kind;
  return h('span', { class: `badge ${cls}`, title: `${VERDICT_HINT[v.kind] ?? ''}\n${v.summary}` }, text);
}

/** A growing floor, or a step that is still rising: what the leak-suspect list shows. */
export function isSuspect(v: Verdict | null): v is Verdict {
  if (!v) return false;
  if (v.kind === 'growing') return true;
  return v.kind === 'step' && (v.slopeBytesPerSec ?? 0) > 0;
}

export function slopeText(v: Verdict): string {
  const mid = rate(v.slopeBytesPerSec);
  if (v.slopeLowBytesPerSec === null || v.slopeHighBytesPerSec === null) return mid;
  return `${mid} (${rate(v.slopeLowBytesPerSec)} to ${rate(v.slopeHighBytesPerSec)})`;
}

export function timeToLimitText(v: Verdict | null): string {
  if (!v || v.timeToLimitSec === null) return '–';
  return duration(v.timeToLimitSec);
}

export function findingList(findings: Finding[], emptyText: string): HTMLElement {
  if (findings.length === 0) return h('p', { class: 'empty' }, emptyText);
  const order = { warning: 0, notice: 1, info: 2 } as const;
  const sorted = [...findings].sort((a, b) => (order[a.severity] ?? 3) - (order[b.severity] ?? 3));
  return h(
    'ul',
    { class: 'findings' },
    sorted.map((f) =>
      h(
        'li',
        { class: `finding ${f.severity}`, 'data-id': f.id },
        h(
          'details',
          null,
          h('summary', null, h('span', { class: `sev ${f.severity}` }, f.severity), ' ', f.summary),
          h('p', null, f.detail),
          f.advice ? h('p', { class: 'advice' }, h('strong', null, 'What to do: '), f.advice) : null,
        ),
      ),
    ),
  );
}

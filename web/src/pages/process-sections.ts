// The process page's sections: its header, key figures, leak verdict and the inspect report.

import type { InspectReport, OomReport, ProcessDetail, ProcessRow, Verdict } from '../api.js';
import { figure, fill, h } from '../dom.js';
import { bytes, count, duration, percent, rate } from '../format.js';
import { TERMS } from '../terms.js';
import { findingList, slopeText, timeToLimitText, verdictBadge } from '../verdict.js';
import { categoryTable, regionTables } from './regions.js';

export function renderHeader(el: HTMLElement, p: ProcessDetail['process']): void {
  const rank = el.querySelector('.oom-rank');
  fill(
    el,
    h('h1', null, p.name, h('span', { class: 'pid' }, ` ${p.pid}`)),
    h('p', { class: 'command', title: 'Command line (secrets redacted)' }, p.command ?? '–'),
    h(
      'p',
      { class: 'meta' },
      `user ${p.user ?? '–'} · ${count(p.threads)} thread${p.threads === 1 ? '' : 's'} · `,
      h('span', { title: TERMS.oomScore }, `oom_score ${count(p.oomScore)}`),
      ' · ',
      h('span', { title: TERMS.oomScoreAdj }, `oom_score_adj ${count(p.oomScoreAdj)}`),
      rank ?? h('span', { class: 'oom-rank' }),
    ),
  );
  document.title = `${p.name} (${p.pid}) · memlens`;
}

export function renderOomRank(el: HTMLElement, oom: OomReport, pid: number): void {
  const eligible = oom.ranking.filter((r) => !r.exempt);
  const i = eligible.findIndex((r) => r.pid === pid);
  const me = oom.ranking.find((r) => r.pid === pid);
  let text: string;
  if (me?.exempt) text = ` · never chosen by the OOM killer (${me.exemptReason ?? 'exempt'})`;
  else if (i >= 0) text = ` · ${ordinal(i + 1)} in the OOM kill order of ${eligible.length}`;
  else text = '';
  let span = el.querySelector('.oom-rank');
  if (!span) {
    span = h('span', { class: 'oom-rank' });
    el.querySelector('.meta')?.append(span);
  }
  span.textContent = text;
}

function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${s}`;
}

export function renderFigures(el: HTMLElement, p: ProcessRow): void {
  const rss = p.rssBytes;
  const of = (v: number | null) => (v !== null && rss ? `${percent(v / rss)} of RSS` : null);
  const v = p.verdict;
  fill(
    el,
    figure('VIRT', bytes(p.vszBytes), TERMS.virt, 'address space'),
    figure('RSS', bytes(rss), TERMS.rss, 'resident'),
    figure('PSS', bytes(p.pssBytes), TERMS.pss, of(p.pssBytes)),
    figure('USS', bytes(p.ussBytes), TERMS.uss, of(p.ussBytes)),
    figure('Swap', bytes(p.swapBytes), TERMS.swap),
    figure(
      'Trend',
      verdictBadge(v),
      v?.summary,
      v && (v.kind === 'growing' || v.kind === 'step') && v.slopeBytesPerSec !== null
        ? rate(v.slopeBytesPerSec)
        : null,
    ),
    figure(
      'Time to limit',
      timeToLimitText(v),
      'At the current slope, when RSS would reach the limit',
      v?.limitBytes != null
        ? `limit ${bytes(v.limitBytes)}${v.limitSource ? ` (${v.limitSource})` : ''}`
        : null,
    ),
  );
}

export function renderVerdict(el: HTMLElement, v: Verdict | null): void {
  if (!v) {
    fill(el, h('p', { class: 'empty' }, '– (no verdict: memlens has no history of this process yet)'));
    return;
  }
  const row = (k: string, val: string | Node, hint?: string) =>
    h('tr', { title: hint }, h('th', null, k), h('td', null, val));
  fill(
    el,
    h('p', { class: 'verdict-line' }, v.summary),
    h(
      'table',
      { class: 'kv' },
      row(
        'Slope of the floor',
        v.slopeBytesPerSec === null ? '–' : slopeText(v),
        'Theil–Sen slope with its confidence interval',
      ),
      row(
        'p-value',
        v.pValue === null ? '–' : v.pValue < 0.0001 ? '< 0.0001' : v.pValue.toFixed(4),
        'Mann–Kendall test of a rising floor',
      ),
      row('Observed', duration(v.observedSec)),
      row('Floor now', bytes(v.baselineBytes)),
      row(
        'Limit',
        v.limitBytes === null ? '–' : `${bytes(v.limitBytes)}${v.limitSource ? ` (${v.limitSource})` : ''}`,
      ),
      row('Time to limit', timeToLimitText(v)),
      v.needMoreSec !== null ? row('Verdict in', `about ${duration(v.needMoreSec)} more`) : null,
    ),
  );
}

export function renderInspect(
  inspect: InspectReport | null,
  reason: string | null,
  categoriesEl: HTMLElement,
  regionsEl: HTMLElement,
  findingsEl: HTMLElement,
): void {
  if (!inspect) {
    const why = `– (${reason ?? 'memlens could not read this process’s smaps'})`;
    for (const el of [categoriesEl, regionsEl, findingsEl]) fill(el, h('p', { class: 'empty' }, why));
    return;
  }
  fill(categoriesEl, categoryTable(inspect.categories));
  fill(regionsEl, regionTables(inspect.topRegions));
  fill(findingsEl, findingList(inspect.findings, 'Nothing unusual in this process’s layout.'));
}

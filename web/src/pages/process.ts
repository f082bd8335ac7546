// One process: its figures now, their history over a range from minutes to weeks, the leak
// verdict with its trend line, where the memory is (categories, largest regions) and findings.

import {
  get,
  type History,
  type OomReport,
  type ProcessDetail,
  type ProcessRow,
  type ProcessSeries,
  url,
  type Verdict,
} from '../api.js';
import { TimeChart } from '../charts.js';
import { COLORS } from '../colors.js';
import { fill, h, section } from '../dom.js';
import { bytes } from '../format.js';
import { clearError, clearErrors, onTick, reportError } from '../live.js';
import { levelOverlay, trendOverlay } from '../overlays.js';
import { pointsFor, RangeControl, type Window } from '../range.js';
import { TERMS } from '../terms.js';
import { slopeText } from '../verdict.js';
import type { Page } from './page.js';
import {
  renderFigures,
  renderHeader,
  renderInspect,
  renderOomRank,
  renderVerdict,
} from './process-sections.js';

const SERIES: ProcessSeries[] = [
  'vszBytes',
  'rssBytes',
  'pssBytes',
  'ussBytes',
  'swapBytes',
  'anonBytes',
  'fileBytes',
  'shmemBytes',
  'minorFaultsPerSec',
  'majorFaultsPerSec',
];
type Cols = Record<ProcessSeries, (number | null)[]>;

export function processPage(root: HTMLElement, pid: number): Page {
  const abort = new AbortController();
  const errKey = `process:${pid}:`;
  const headerEl = h('div', { class: 'page-head' }, h('h1', null, `Process ${pid}`));
  const figuresEl = h('div', { class: 'figures', id: 'process-figures' });
  const verdictEl = h('div', { id: 'verdict' }, h('p', { class: 'empty' }, 'Loading…'));
  const chartsEl = h('div', { class: 'charts', id: 'process-charts' });
  const categoriesEl = h('div', { id: 'categories' }, h('p', { class: 'empty' }, 'Loading…'));
  const regionsEl = h('div', { id: 'regions' }, h('p', { class: 'empty' }, 'Loading…'));
  const findingsEl = h('div', { id: 'findings' }, h('p', { class: 'empty' }, 'Loading…'));
  const range = new RangeControl(3600, (w) => load(w));

  fill(
    root,
    h('p', { class: 'crumbs' }, h('a', { href: '#/' }, '← Overview')),
    headerEl,
    figuresEl,
    h(
      'div',
      { class: 'grid-main' },
      section('History', null, range.el, chartsEl),
      h(
        'div',
        { class: 'side' },
        section('Leak verdict', 'from the RSS history', verdictEl),
        section('Findings', 'what the layout means', findingsEl),
      ),
    ),
    section('Where the memory is', 'by category, from smaps', categoriesEl),
    section('Largest regions', null, regionsEl),
  );

  const onZoom = (from: number, to: number) => range.zoomTo(from, to);
  const onReset = () => range.reset();
  const chart = (
    title: string,
    unit: 'bytes' | 'perSec',
    series: ConstructorParameters<typeof TimeChart>[1]['series'],
  ) => new TimeChart(chartsEl, { title, unit, series, syncKey: `p${pid}`, onZoom, onReset, height: 190 });
  const memChart = chart('Real memory', 'bytes', [
    { label: 'RSS', color: COLORS.rss, hint: TERMS.rss, width: 2 },
    { label: 'PSS', color: COLORS.pss, hint: TERMS.pss },
    { label: 'USS', color: COLORS.uss, hint: TERMS.uss },
    { label: 'Swap', color: COLORS.swap, hint: TERMS.swap },
  ]);
  const kindChart = chart('RSS by kind (stacked)', 'bytes', [
    { label: 'anon', color: COLORS.anon, hint: TERMS.anon, stack: true },
    { label: 'file', color: COLORS.file, hint: TERMS.file, stack: true },
    { label: 'shmem', color: COLORS.shmem, hint: TERMS.shmem, stack: true },
  ]);
  const virtChart = chart('Address space', 'bytes', [
    { label: 'VIRT', color: COLORS.virt, hint: TERMS.virt },
  ]);
  const faultChart = chart('Page faults', 'perSec', [
    { label: 'minor', color: COLORS.minor, hint: TERMS.minorFaults },
    { label: 'major', color: COLORS.major, hint: TERMS.majorFaults },
  ]);
  const charts = [memChart, kindChart, virtChart, faultChart];

  let stepSec = 1;
  let lastT: number | null = null;
  let verdict: Verdict | null = null;
  let fetching = false;
  let generation = 0;

  const columns = (s: Cols) => ({
    mem: [s.rssBytes, s.pssBytes, s.ussBytes, s.swapBytes],
    kind: [s.anonBytes, s.fileBytes, s.shmemBytes],
    virt: [s.vszBytes],
    faults: [s.minorFaultsPerSec, s.majorFaultsPerSec],
  });

  const drawTrend = () => {
    memChart.clearOverlays();
    const v = verdict;
    const end = memChart.lastTime();
    if (!v || end === null) return;
    if (v.limitBytes !== null)
      memChart.addOverlay(levelOverlay(v.limitBytes, COLORS.limit, `limit ${bytes(v.limitBytes)}`));
    if (v.slopeBytesPerSec === null || v.baselineBytes === null || !v.observedSec) return;
    if (v.kind !== 'growing' && v.kind !== 'step') return;
    memChart.addOverlay(
      trendOverlay({
        end,
        baseline: v.baselineBytes,
        slope: v.slopeBytesPerSec,
        observedSec: v.observedSec,
        color: COLORS.trend,
        label: `trend ${slopeText(v).split(' (')[0]}`,
      }),
    );
  };

  async function load(w: Window): Promise<void> {
    const gen = ++generation;
    try {
      const hist = await get<History<ProcessSeries>>(
        url(`/api/processes/${pid}/history`, {
          from: Math.floor(w.from),
          to: Math.ceil(w.to),
          points: pointsFor(chartsEl),
        }),
        abort.signal,
      );
      if (gen !== generation) return;
      clearError(`${errKey}history`);
      stepSec = hist.stepSec || 1;
      const c = columns(hist.series as Cols);
      const r: [number, number] = [w.from, w.to];
      memChart.setData(hist.series.t, c.mem, r);
      kindChart.setData(hist.series.t, c.kind, r);
      virtChart.setData(hist.series.t, c.virt, r);
      faultChart.setData(hist.series.t, c.faults, r);
      lastT = hist.series.t[hist.series.t.length - 1] ?? null;
      drawTrend();
      root.dataset.charts = hist.series.t.length > 0 ? 'drawn' : 'empty';
    } catch (error) {
      reportError(`${errKey}history`, error);
    }
  }

  /** Live: asks only for what came since the last point, at the chart's step, and appends it. */
  async function catchUp(now: number): Promise<void> {
    const w = range.window();
    if (!w.live || fetching || lastT === null || now - lastT < stepSec) return;
    fetching = true;
    const gen = generation;
    try {
      const points = Math.max(1, Math.min(500, Math.round((now - lastT) / stepSec)));
      const hist = await get<History<ProcessSeries>>(
        url(`/api/processes/${pid}/history`, { from: Math.floor(lastT) + 1, to: Math.ceil(now), points }),
        abort.signal,
      );
      if (gen !== generation || lastT === null) return;
      const after = lastT;
      const keep = hist.series.t.map((t, i) => (t > after ? i : -1)).filter((i) => i >= 0);
      if (keep.length === 0) return;
      const s = hist.series as Cols;
      const pick = (col: (number | null)[]) => keep.map((i) => col[i] ?? null);
      const picked = Object.fromEntries(SERIES.map((k) => [k, pick(s[k] ?? [])])) as Cols;
      const ts = keep.map((i) => hist.series.t[i] as number);
      const c = columns(picked);
      const r: [number, number] = [now - (w.to - w.from), now];
      memChart.append(ts, c.mem, r);
      kindChart.append(ts, c.kind, r);
      virtChart.append(ts, c.virt, r);
      faultChart.append(ts, c.faults, r);
      lastT = ts[ts.length - 1] ?? lastT;
      drawTrend();
    } catch (error) {
      reportError(`${errKey}history`, error);
    } finally {
      fetching = false;
    }
  }

  const showRow = (p: ProcessRow, extra?: ProcessDetail['process']) => {
    verdict = p.verdict;
    renderFigures(figuresEl, p);
    renderVerdict(verdictEl, p.verdict);
    if (extra) renderHeader(headerEl, extra);
    drawTrend();
  };

  (async () => {
    const detail = get<ProcessDetail>(`/api/processes/${pid}`, abort.signal)
      .then((d) => {
        showRow(d.process, d.process);
        renderInspect(d.inspect, d.inspectUnknownReason, categoriesEl, regionsEl, findingsEl);
        root.dataset.detail = 'loaded';
      })
      .catch((error) => {
        reportError(`${errKey}detail`, error);
        for (const el of [verdictEl, categoriesEl, regionsEl, findingsEl])
          fill(el, h('p', { class: 'empty' }, '– (this process is not known to memlens now)'));
        fill(figuresEl);
        root.dataset.detail = 'failed';
      });
    const oom = get<OomReport>('/api/oom', abort.signal)
      .then((o) => renderOomRank(headerEl, o, pid))
      .catch((error) => reportError(`${errKey}oom`, error));
    await Promise.all([detail, oom, load(range.window())]);
  })();

  const offTick = onTick((tick) => {
    const row = tick.processes.find((p) => p.pid === pid);
    if (row) showRow(row);
    void catchUp(tick.t);
  });

  return {
    title: `Process ${pid}`,
    destroy() {
      abort.abort();
      offTick();
      for (const c of charts) c.destroy();
      clearErrors(errKey);
    },
  };
}

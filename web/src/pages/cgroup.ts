// One memory cgroup: what its usage is made of, its working set against its limit, its events and
// memory pressure over time, and the processes in it.

import { type Cgroup, type CgroupSeries, get, type History, url } from '../api.js';
import { TimeChart } from '../charts.js';
import { COLORS } from '../colors.js';
import { figure, fill, h, section } from '../dom.js';
import { bytes, count, percent, psiPercent } from '../format.js';
import { headroomWhere } from '../headroom.js';
import { clearError, clearErrors, onTick, reportError } from '../live.js';
import { pointsFor, RangeControl, type Window } from '../range.js';
import { TERMS } from '../terms.js';
import { type Page, processHref } from './page.js';

const REFRESH_MS = 5000;

export function cgroupPage(root: HTMLElement, path: string): Page {
  const abort = new AbortController();
  const errKey = `cgroup:${path}:`;
  const figuresEl = h('div', { class: 'figures' }, h('p', { class: 'empty' }, 'Loading…'));
  const eventsEl = h('div', { id: 'cgroup-events' });
  const pidsEl = h('div', { id: 'cgroup-pids' });
  const chartsEl = h('div', { class: 'charts' });
  const range = new RangeControl(3600, (w) => load(w));
  fill(
    root,
    h('p', { class: 'crumbs' }, h('a', { href: '#/' }, '← Overview')),
    h('div', { class: 'page-head' }, h('h1', null, 'Cgroup ', h('span', { class: 'path' }, path))),
    figuresEl,
    h(
      'div',
      { class: 'grid-main' },
      section('History', null, range.el, chartsEl),
      h(
        'div',
        { class: 'side' },
        section('Events', 'memory.events / memory.failcnt', eventsEl),
        section('Processes', null, pidsEl),
      ),
    ),
  );

  const onZoom = (from: number, to: number) => range.zoomTo(from, to);
  const onReset = () => range.reset();
  const usageChart = new TimeChart(chartsEl, {
    title: 'Usage split (stacked), working set and limit',
    unit: 'bytes',
    syncKey: 'cg',
    onZoom,
    onReset,
    height: 220,
    series: [
      { label: 'anon', color: COLORS.anon, hint: TERMS.anon, stack: true },
      { label: 'file', color: COLORS.file, hint: 'Page cache charged to the cgroup', stack: true },
      { label: 'shmem', color: COLORS.shmem, hint: TERMS.shmem, stack: true },
      { label: 'kernel', color: COLORS.kernel, hint: 'Kernel memory charged to the cgroup', stack: true },
      { label: 'usage', color: COLORS.usage, hint: TERMS.usage, width: 1 },
      { label: 'working set', color: COLORS.workingSet, hint: TERMS.workingSet, width: 2 },
      { label: 'limit', color: COLORS.limit, dash: [6, 4], width: 1.5 },
    ],
  });
  const psiChart = new TimeChart(chartsEl, {
    title: 'Memory pressure (PSI some, avg10)',
    unit: 'psi',
    syncKey: 'cg',
    onZoom,
    onReset,
    height: 150,
    series: [{ label: 'some', color: COLORS.psiSome, hint: TERMS.psi }],
  });
  const oomChart = new TimeChart(chartsEl, {
    title: 'OOM kills (count)',
    unit: 'count',
    syncKey: 'cg',
    onZoom,
    onReset,
    height: 120,
    series: [{ label: 'oom_kill', color: COLORS.oom }],
  });
  let generation = 0;

  async function load(w: Window): Promise<void> {
    const gen = ++generation;
    try {
      const hist = await get<History<CgroupSeries>>(
        url('/api/cgroups/history', {
          path,
          from: Math.floor(w.from),
          to: Math.ceil(w.to),
          points: pointsFor(chartsEl),
        }),
        abort.signal,
      );
      if (gen !== generation) return;
      clearError(`${errKey}history`);
      const s = hist.series;
      const r: [number, number] = [w.from, w.to];
      usageChart.setData(
        s.t,
        [
          s.anonBytes,
          s.fileBytes,
          s.shmemBytes,
          s.kernelBytes,
          s.usageBytes,
          s.workingSetBytes,
          s.limitBytes,
        ],
        r,
      );
      psiChart.setData(s.t, [s.psiSomeAvg10], r);
      oomChart.setData(s.t, [s.oomKills], r);
    } catch (error) {
      reportError(`${errKey}history`, error);
    }
  }

  async function loadNow(): Promise<void> {
    try {
      const { cgroups } = await get<{ cgroups: Cgroup[] }>('/api/cgroups', abort.signal);
      const cg = cgroups.find((c) => c.path === path);
      if (!cg) {
        reportError(`${errKey}now`, new Error(`No memory cgroup "${path}" holds a process now`));
        fill(figuresEl);
        return;
      }
      clearError(`${errKey}now`);
      renderNow(figuresEl, eventsEl, pidsEl, cg);
    } catch (error) {
      reportError(`${errKey}now`, error);
    }
  }

  void loadNow();
  void load(range.window());
  const timer = setInterval(() => {
    void loadNow();
  }, REFRESH_MS);
  let lastReload = Date.now();
  const offTick = onTick(() => {
    // History of a cgroup is cheap and short: while following "now", reload it every few seconds.
    if (range.window().live && Date.now() - lastReload >= REFRESH_MS) {
      lastReload = Date.now();
      void load(range.window());
    }
  });

  return {
    title: `Cgroup ${path}`,
    destroy() {
      abort.abort();
      offTick();
      clearInterval(timer);
      usageChart.destroy();
      psiChart.destroy();
      oomChart.destroy();
      clearErrors(errKey);
    },
  };
}

function renderNow(figuresEl: HTMLElement, eventsEl: HTMLElement, pidsEl: HTMLElement, cg: Cgroup): void {
  const share = cg.limitBytes && cg.workingSetBytes !== null ? cg.workingSetBytes / cg.limitBytes : null;
  fill(
    figuresEl,
    figure('Usage', bytes(cg.usageBytes), TERMS.usage, `cgroup v${cg.version}`),
    figure(
      'Working set',
      bytes(cg.workingSetBytes),
      TERMS.workingSet,
      share !== null ? `${percent(share)} of limit` : null,
    ),
    figure(
      'Limit',
      cg.limitBytes === null ? 'none' : bytes(cg.limitBytes),
      'The memory limit in force (memory.max or memory.limit_in_bytes, the lowest up the tree)',
      cg.limitSetBy ? `set by ${cg.limitSetBy}` : null,
    ),
    figure('Headroom', bytes(cg.headroomBytes), TERMS.headroom, headroomWhere(cg)),
    figure('anon', bytes(cg.anonBytes), TERMS.anon),
    figure(
      'file',
      bytes(cg.fileBytes),
      'Page cache charged to the cgroup',
      `inactive ${bytes(cg.inactiveFileBytes)}`,
    ),
    figure('shmem', bytes(cg.shmemBytes), TERMS.shmem),
    figure('kernel', bytes(cg.kernelBytes), 'Kernel memory charged to the cgroup'),
    figure(
      'Pressure (some)',
      cg.psi?.some ? psiPercent(cg.psi.some.avg10) : '–',
      TERMS.psi,
      cg.psi?.some ? `avg60 ${psiPercent(cg.psi.some.avg60)}` : 'PSI not available',
    ),
  );
  const e = cg.events;
  const row = (k: string, v: number | null | undefined, hint: string) =>
    h('tr', { title: hint }, h('th', null, k), h('td', { class: 'num' }, count(v)));
  fill(
    eventsEl,
    h(
      'table',
      { class: 'kv' },
      row('oom_kill', e?.oomKill, 'Processes in this cgroup killed by the OOM killer'),
      row('oom', e?.oom, 'Times the cgroup hit its limit and the OOM killer ran'),
      row('max', e?.max, 'Times usage reached the limit (reclaim had to run)'),
      row('high', e?.high, 'Times usage went over memory.high (throttled)'),
    ),
    cg.eventsScope
      ? h(
          'p',
          { class: 'muted small' },
          `Counted ${cg.eventsScope === 'local' ? 'in this cgroup only' : 'with its children'}.`,
        )
      : null,
  );
  fill(
    pidsEl,
    cg.pids.length === 0
      ? h('p', { class: 'empty' }, 'No processes.')
      : h(
          'p',
          { class: 'pids' },
          cg.pids.slice(0, 200).map((p) => [h('a', { href: processHref(p) }, String(p)), ' ']),
          cg.pids.length > 200 ? `and ${cg.pids.length - 200} more` : null,
        ),
  );
}

// Overview: the machine, processes ranked by PSS, leak suspects, the OOM kill order and the cgroups
// closest to their limits. Numbers and sparklines follow the live ticks.

import {
  type Cgroup,
  get,
  type History,
  type Machine,
  type MachineSeries,
  type OomReport,
  type ProcessesResponse,
  type ProcessRow,
  url,
} from '../api.js';
import { TimeChart } from '../charts.js';
import { COLORS } from '../colors.js';
import { fill, h, section } from '../dom.js';
import { bytes, clock } from '../format.js';
import { clearError, clearErrors, latestTick, onTick, reportError } from '../live.js';
import { levelOverlay } from '../overlays.js';
import { TERMS } from '../terms.js';
import { renderCgroups, renderMachine, renderOom, renderSuspects } from './overview-sections.js';
import type { Page } from './page.js';
import { ProcessTable } from './process-table.js';

const MACHINE_WINDOW_SEC = 3600;
const SLOW_REFRESH_MS = 15_000;

export function overviewPage(root: HTMLElement): Page {
  const abort = new AbortController();
  const machineEl = h('div', { class: 'figures', id: 'machine' }, h('p', { class: 'empty' }, 'Loading…'));
  const chartsEl = h('div', { class: 'chart-row' });
  const suspectsEl = h('div', { id: 'suspects' }, h('p', { class: 'empty' }, 'Loading…'));
  const oomEl = h('div', { id: 'oom-order' }, h('p', { class: 'empty' }, 'Loading…'));
  const cgroupsEl = h('div', { id: 'cgroups-near' }, h('p', { class: 'empty' }, 'Loading…'));
  const processesEl = h('div', { id: 'processes' }, h('p', { class: 'empty' }, 'Loading…'));
  const updatedEl = h('span');
  fill(
    root,
    h('h1', null, 'This machine', h('span', { class: 'note' }, updatedEl)),
    section('Memory', null, machineEl, chartsEl),
    h(
      'div',
      { class: 'grid3' },
      section('Leak suspects', 'rising RSS floor', suspectsEl),
      section('Cgroups near their limits', null, cgroupsEl),
      section('OOM kill order', 'who the kernel kills first', oomEl),
    ),
    section('Processes by PSS', h('span', null, 'top 50; click one for its history'), processesEl),
  );

  const memChart = new TimeChart(chartsEl, {
    title: 'RAM over the last hour',
    unit: 'bytes',
    syncKey: 'machine',
    series: [
      { label: 'Available', color: COLORS.available, hint: TERMS.memAvailable, width: 2 },
      { label: 'Cached', color: COLORS.cached, hint: TERMS.cached },
      { label: 'Swap used', color: COLORS.swapUsed, hint: TERMS.swapUsed },
    ],
    height: 170,
  });
  const psiChart = new TimeChart(chartsEl, {
    title: 'Memory pressure (PSI, avg10)',
    unit: 'psi',
    syncKey: 'machine',
    series: [
      { label: 'some', color: COLORS.psiSome, hint: TERMS.psi },
      { label: 'full', color: COLORS.psiFull, hint: TERMS.psi },
    ],
    height: 170,
  });

  const table = new ProcessTable(processesEl);
  let machine: Machine | null = null;
  let rows: ProcessRow[] | null = null;
  let lastT: number | null = null;

  const markReady = () => {
    if (!machine || !rows || root.dataset.ready) return;
    root.dataset.ready = 'overview';
    // For the load-time measurement (test/web): milliseconds from navigation to a filled overview.
    performance.mark('memlens:overview-filled');
  };

  let totalLine = false;
  const showMachine = (m: Machine) => {
    machine = m;
    if (!totalLine && m.memTotalBytes) {
      memChart.addOverlay(levelOverlay(m.memTotalBytes, COLORS.virt, `MemTotal ${bytes(m.memTotalBytes)}`));
      totalLine = true;
    }
    renderMachine(machineEl, m);
    updatedEl.textContent = `sampled ${clock(m.t)}`;
    markReady();
  };
  const showProcesses = (list: ProcessRow[]) => {
    rows = list;
    table.update(list);
    renderSuspects(suspectsEl, list);
    markReady();
  };

  const machineCols = (s: History<MachineSeries>['series'], swapTotal: number | null) => [
    s.memAvailableBytes,
    s.cachedBytes,
    s.swapFreeBytes.map((f) => (f === null || swapTotal === null ? null : swapTotal - f)),
  ];

  const loadHistory = async () => {
    const now = Date.now() / 1000;
    const hist = await get<History<MachineSeries>>(
      url('/api/machine/history', {
        from: Math.floor(now - MACHINE_WINDOW_SEC),
        to: Math.ceil(now),
        points: 600,
      }),
      abort.signal,
    );
    const range: [number, number] = [now - MACHINE_WINDOW_SEC, now];
    memChart.setData(hist.series.t, machineCols(hist.series, machine?.swapTotalBytes ?? null), range);
    psiChart.setData(hist.series.t, [hist.series.psiSomeAvg10, hist.series.psiFullAvg10], range);
    lastT = hist.series.t[hist.series.t.length - 1] ?? null;
    clearError('overview:history');
  };

  const loadSlow = async () => {
    const [oom, cgroups] = await Promise.allSettled([
      get<OomReport>('/api/oom', abort.signal),
      get<{ cgroups: Cgroup[] }>('/api/cgroups', abort.signal),
    ]);
    if (oom.status === 'fulfilled') {
      renderOom(oomEl, oom.value);
      clearError('overview:oom');
    } else {
      fill(oomEl, h('p', { class: 'empty' }, '–'));
      reportError('overview:oom', oom.reason);
    }
    if (cgroups.status === 'fulfilled') {
      renderCgroups(cgroupsEl, cgroups.value.cgroups);
      clearError('overview:cgroups');
    } else {
      fill(cgroupsEl, h('p', { class: 'empty' }, '–'));
      reportError('overview:cgroups', cgroups.reason);
    }
  };

  (async () => {
    const tick = latestTick();
    if (tick) {
      showMachine(tick.machine);
      showProcesses(tick.processes);
    }
    const [m, p] = await Promise.allSettled([
      get<Machine>('/api/machine', abort.signal),
      get<ProcessesResponse>(url('/api/processes', { sort: 'pss', limit: 50 }), abort.signal),
    ]);
    if (m.status === 'fulfilled') showMachine(m.value);
    else reportError('overview:machine', m.reason);
    if (p.status === 'fulfilled') showProcesses(p.value.processes);
    else reportError('overview:processes', p.reason);
    await Promise.all([
      loadHistory().catch((e) => reportError('overview:history', e)),
      loadSlow().catch((e) => reportError('overview:slow', e)),
    ]);
  })();

  const slow = setInterval(() => loadSlow().catch((e) => reportError('overview:slow', e)), SLOW_REFRESH_MS);

  const offTick = onTick((tick) => {
    showMachine(tick.machine);
    showProcesses(tick.processes);
    if (lastT !== null && tick.t <= lastT) return;
    const m = tick.machine;
    const swapUsed =
      m.swapTotalBytes === null || m.swapFreeBytes === null ? null : m.swapTotalBytes - m.swapFreeBytes;
    const range: [number, number] = [tick.t - MACHINE_WINDOW_SEC, tick.t];
    memChart.append([tick.t], [[m.memAvailableBytes], [m.cachedBytes], [swapUsed]], range);
    psiChart.append([tick.t], [[m.psi?.some?.avg10 ?? null], [m.psi?.full?.avg10 ?? null]], range);
    lastT = tick.t;
  });

  return {
    title: 'Overview',
    destroy() {
      abort.abort();
      offTick();
      clearInterval(slow);
      memChart.destroy();
      psiChart.destroy();
      clearErrors('overview:');
    },
  };
}

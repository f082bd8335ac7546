// GET /metrics: Prometheus series from the sampler's latest state. Each metric's collect() sets
// its values when Prometheus scrapes, from memory only: a scrape never reads /proc, let alone
// smaps. Gauges are reset at every collect, so a process that exited or left the top N has no
// series from that scrape on (no stale series), and cardinality stays bounded by --metrics-top.
// Names are in base units (bytes, seconds, ratios) and pass `promtool check metrics`.
import { Counter, Gauge, Registry } from 'prom-client';
import type { CgroupHeadroom } from '../collect/cgroup-headroom.js';
import { metricNames, VERDICT_LABELS } from './metric-names.js';
import type { ServerSampler } from './sampler.js';
import { type ProcessRow, type Tracked, toRow } from './state.js';
import { sortRows } from './views.js';

export { metricNames, VERDICT_LABELS };

const WINDOWS = [
  ['10s', 'avg10'],
  ['60s', 'avg60'],
  ['300s', 'avg300'],
] as const;

interface Selection {
  t: number;
  processes: { x: Tracked; row: ProcessRow }[];
}

/**
 * The processes with per-process series: the top N by PSS, plus growing processes beyond them
 * (up to N more), because a small leaker is the one worth a series before it is big.
 */
function select(sampler: ServerSampler, top: number): Selection {
  const t = sampler.state.t;
  const all = [...sampler.state.processes.values()];
  const byPid = new Map(all.map((x) => [x.pid, x]));
  const rows = sortRows(
    all.map((x) => toRow(x, t)),
    'pss',
  );
  const chosen = rows.slice(0, top);
  const growing = rows.slice(top).filter((r) => r.verdict?.kind === 'growing');
  return {
    t,
    processes: [...chosen, ...growing.slice(0, top)].map((row) => ({
      x: byPid.get(row.pid) as Tracked,
      row,
    })),
  };
}

interface Program {
  name: string;
  count: number;
  rssBytes: number;
  pssBytes: number | null;
  ussBytes: number | null;
  swapBytes: number | null;
}

const plus = (a: number | null, b: number | null) => (a === null || b === null ? null : a + b);

/** Processes summed per program (same name), largest PSS first, as `memlens ps --group` does. */
function programs(all: Iterable<Tracked>, t: number): Program[] {
  const byName = new Map<string, Program>();
  for (const x of all) {
    if (x.sample.kernelThread) continue;
    const r = toRow(x, t);
    const p = byName.get(r.name) ?? {
      name: r.name,
      count: 0,
      rssBytes: 0,
      pssBytes: 0,
      ussBytes: 0,
      swapBytes: 0,
    };
    p.count++;
    p.rssBytes += r.rssBytes ?? 0;
    // One unreadable member makes the sum unknown: a partial sum would understate it.
    p.pssBytes = plus(p.pssBytes, r.pssBytes);
    p.ussBytes = plus(p.ussBytes, r.ussBytes);
    p.swapBytes = plus(p.swapBytes, r.swapBytes);
    byName.set(r.name, p);
  }
  return [...byName.values()].sort(
    (a, b) => (b.pssBytes ?? -1) - (a.pssBytes ?? -1) || b.rssBytes - a.rssBytes,
  );
}

export function createMetrics(sampler: ServerSampler, top = 20): Registry {
  const registry = new Registry();
  let cache: Selection | null = null;
  // Every collect() of one scrape shares one selection (the state changes only between ticks).
  const selection = () => {
    if (cache?.t !== sampler.state.t) cache = select(sampler, top);
    return cache;
  };
  const state = sampler.state;
  const registers = [registry];
  const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        collect(this);
      },
    });
  const counter = (name: string, help: string, labelNames: string[], collect: (c: Counter) => void) =>
    new Counter({
      name,
      help,
      labelNames,
      registers,
      collect() {
        // The kernel keeps the count; a counter's value is set by adding it to a reset one.
        this.reset();
        collect(this);
      },
    });
  const set = (g: Gauge, labels: Record<string, string>, v: number | null | undefined) => {
    if (v !== null && v !== undefined && Number.isFinite(v)) g.set(labels, v);
  };
  const add = (c: Counter, labels: Record<string, string>, v: number | null | undefined) => {
    if (v !== null && v !== undefined && Number.isFinite(v) && v >= 0) c.inc(labels, v);
  };

  const perProcess = (name: string, help: string, value: (r: ProcessRow) => number | null) =>
    gauge(name, help, ['pid', 'name'], (g) => {
      for (const { row } of selection().processes)
        set(g, { pid: String(row.pid), name: row.name }, value(row));
    });
  perProcess(
    metricNames.processRss,
    'Resident set size (VmRSS): pages in RAM, shared ones counted in full.',
    (r) => r.rssBytes,
  );
  perProcess(
    metricNames.processPss,
    'Proportional set size: shared pages divided among their sharers.',
    (r) => r.pssBytes,
  );
  perProcess(
    metricNames.processUss,
    'Unique set size: private pages, what killing the process frees.',
    (r) => r.ussBytes,
  );
  perProcess(metricNames.processSwap, 'Swapped-out memory (SwapPss, else VmSwap).', (r) => r.swapBytes);
  perProcess(metricNames.processVirtual, 'Virtual address space mapped (VmSize).', (r) => r.vszBytes);
  for (const [name, help, key] of [
    [metricNames.processMinorFaults, 'Minor page faults since the process started.', 'minorFaults'],
    [
      metricNames.processMajorFaults,
      'Major page faults (read from disk) since the process started.',
      'majorFaults',
    ],
  ] as const) {
    counter(name, help, ['pid', 'name'], (c) => {
      for (const { x, row } of selection().processes)
        add(c, { pid: String(row.pid), name: row.name }, x.sample[key]);
    });
  }
  perProcess(
    metricNames.processLeakSlope,
    "Slope of the process's RSS floor (Theil-Sen over the last hour); absent until enough data.",
    (r) => r.verdict?.slopeBytesPerSec ?? null,
  );
  perProcess(
    metricNames.processTimeToLimit,
    'Seconds until the process reaches its limit (cgroup or MemAvailable) at its leak slope; growing only.',
    (r) => r.verdict?.timeToLimitSec ?? null,
  );
  gauge(
    metricNames.processLeakVerdict,
    'Leak verdict of the process, one-hot by verdict.',
    ['pid', 'name', 'verdict'],
    (g) => {
      for (const { row } of selection().processes) {
        if (!row.verdict) continue;
        for (const [kind, label] of Object.entries(VERDICT_LABELS)) {
          g.set({ pid: String(row.pid), name: row.name, verdict: label }, row.verdict.kind === kind ? 1 : 0);
        }
      }
    },
  );

  const groups = () => programs(state.processes.values(), state.t).slice(0, top);
  for (const [name, help, key] of [
    [metricNames.programRss, 'RSS summed over the processes of one program (same name).', 'rssBytes'],
    [
      metricNames.programPss,
      'PSS summed over the processes of one program: their real share of RAM.',
      'pssBytes',
    ],
    [metricNames.programUss, 'USS summed over the processes of one program.', 'ussBytes'],
    [metricNames.programSwap, 'Swap summed over the processes of one program.', 'swapBytes'],
    [metricNames.programProcesses, 'Processes of one program.', 'count'],
  ] as const) {
    gauge(name, help, ['program'], (g) => {
      for (const grp of groups()) set(g, { program: grp.name }, grp[key]);
    });
  }

  const machine = (name: string, help: string, value: () => number | null | undefined) =>
    gauge(name, help, [], (g) => set(g, {}, state.machine ? value() : null));
  machine(metricNames.machineMemTotal, 'MemTotal of /proc/meminfo.', () => state.machine?.memTotalBytes);
  machine(
    metricNames.machineMemAvailable,
    'MemAvailable: memory available without swapping.',
    () => state.machine?.memAvailableBytes,
  );
  machine(
    metricNames.machineCached,
    'Cached of /proc/meminfo: page cache.',
    () => state.machine?.cachedBytes,
  );
  machine(metricNames.machineSwapTotal, 'SwapTotal of /proc/meminfo.', () => state.machine?.swapTotalBytes);
  machine(metricNames.machineSwapFree, 'SwapFree of /proc/meminfo.', () => state.machine?.swapFreeBytes);
  for (const [name, stall, line] of [
    [metricNames.machinePressureSome, metricNames.machineStallSome, 'some'],
    [metricNames.machinePressureFull, metricNames.machineStallFull, 'full'],
  ] as const) {
    gauge(
      name,
      `Share of time ${line === 'some' ? 'some tasks' : 'all non-idle tasks'} stalled on memory (PSI avg).`,
      ['window'],
      (g) => {
        const p = state.machine?.psi?.[line];
        if (p) for (const [window, key] of WINDOWS) set(g, { window }, p[key] / 100);
      },
    );
    counter(
      stall,
      `Seconds ${line === 'some' ? 'some tasks' : 'all non-idle tasks'} stalled on memory (PSI total).`,
      [],
      (c) => {
        const p = state.machine?.psi?.[line];
        if (p) add(c, {}, p.totalMicros / 1e6);
      },
    );
  }
  counter(metricNames.machineOomKills, 'OOM kills since boot (/proc/vmstat oom_kill).', [], (c) =>
    add(c, {}, state.machine?.oomKills),
  );

  const perCgroup = (
    name: string,
    help: string,
    value: (g: (typeof state.cgroups)[number]['memory']) => number | null,
  ) =>
    gauge(name, help, ['cgroup'], (g) => {
      for (const { memory } of state.cgroups) set(g, { cgroup: memory.path }, value(memory));
    });
  perCgroup(
    metricNames.cgroupUsage,
    'Memory charged to the cgroup (memory.current / usage_in_bytes).',
    (m) => m.usageBytes,
  );
  perCgroup(
    metricNames.cgroupWorkingSet,
    'Usage minus inactive file: the working set, as Kubernetes counts it.',
    (m) => m.workingSetBytes,
  );
  perCgroup(
    metricNames.cgroupLimit,
    'Effective memory limit (lowest of the cgroup and its ancestors); absent when none.',
    (m) => m.limitBytes,
  );
  // Labelled with the level that binds, so a child under a shared parent limit says whose it is.
  const perBinding = (name: string, help: string, value: (h: CgroupHeadroom) => number | null) =>
    gauge(name, help, ['cgroup', 'limit_cgroup'], (g) => {
      for (const { memory, headroom } of state.cgroups) {
        if (headroom) set(g, { cgroup: memory.path, limit_cgroup: headroom.setBy }, value(headroom));
      }
    });
  perBinding(
    metricNames.cgroupHeadroom,
    "Room left before the limit that binds first (the cgroup or an ancestor): that level's limit minus its working set, which counts its other cgroups too.",
    (h) => h.headroomBytes,
  );
  perBinding(
    metricNames.cgroupHeadroomLimit,
    'The limit the headroom is left under: the own limit of the level in limit_cgroup.',
    (h) => h.limitBytes,
  );
  perCgroup(metricNames.cgroupAnon, 'Anonymous memory of the cgroup.', (m) => m.anonBytes);
  perCgroup(metricNames.cgroupFile, 'Page cache of the cgroup, shmem included.', (m) => m.fileBytes);
  perCgroup(
    metricNames.cgroupShmem,
    'tmpfs, SysV and shared anonymous memory of the cgroup.',
    (m) => m.shmemBytes,
  );
  perCgroup(metricNames.cgroupKernel, 'Kernel memory charged to the cgroup.', (m) => m.kernelBytes);
  counter(metricNames.cgroupOomKills, 'Processes the OOM killer killed in the cgroup.', ['cgroup'], (c) => {
    for (const { memory } of state.cgroups) add(c, { cgroup: memory.path }, memory.events.oomKill);
  });
  gauge(
    metricNames.cgroupPressureSome,
    'Share of time some tasks of the cgroup stalled on memory (PSI avg, v2).',
    ['cgroup', 'window'],
    (g) => {
      for (const { memory } of state.cgroups) {
        const p = memory.psi?.some;
        if (p) for (const [window, key] of WINDOWS) set(g, { cgroup: memory.path, window }, p[key] / 100);
      }
    },
  );

  gauge(metricNames.processes, 'Processes seen at the last sample.', [], (g) => g.set(state.processes.size));
  gauge(metricNames.tickDuration, 'Time the last sample took.', [], (g) => g.set(state.lastTickSec));
  counter(metricNames.ticks, 'Samples taken since the server started.', [], (c) => c.inc(state.ticks));
  return registry;
}

// The `ps` report: every process with its real figures, the totals, and what could not be read.
// Shared by the CLI (table or --json) and, later, the server; the JSON shape is a public contract.
import type { ProcessSample, UnknownReason } from '../collect/process.js';
import type { CgroupLimitLookup } from '../collect/scan.js';
import type { UserNames } from '../collect/users.js';

export interface PsProcess {
  pid: number;
  name: string;
  user: string | null;
  vszBytes: number | null;
  rssBytes: number | null;
  pssBytes: number | null;
  ussBytes: number | null;
  swapBytes: number | null;
  sharedBytes: number | null;
  /** RSS as a percentage of memPercentOfBytes. */
  memPercent: number | null;
  /** "memTotal", or "cgroupLimit" when the process's cgroup limit is below MemTotal. */
  memPercentOf: 'memTotal' | 'cgroupLimit';
  memPercentOfBytes: number;
  oomScore: number | null;
  threads: number | null;
  kernelThread: boolean;
  /** Why pss/uss/swap are null, when they are. */
  unknownReason: UnknownReason | null;
}

export interface PsTotals {
  /** Counts each shared page once per process that maps it: more than the memory really used. */
  rssBytes: number;
  /** Each shared page divided among its sharers: adds up to the real total. */
  pssBytes: number;
  ussBytes: number;
  swapBytes: number;
  vszBytes: number;
  /** Processes whose figures went into the totals of pss/uss/swap. */
  processesCounted: number;
}

export interface PsGroup {
  name: string;
  count: number;
  rssBytes: number;
  pssBytes: number | null;
  ussBytes: number | null;
  swapBytes: number | null;
  vszBytes: number;
}

export interface PsReport {
  processes: PsProcess[];
  groups?: PsGroup[];
  totals: PsTotals;
  unreadable: { count: number; reason: string | null; byReason: Record<string, number> };
  memTotalBytes: number;
}

export const SORT_KEYS = [
  'pid',
  'user',
  'name',
  'vsz',
  'rss',
  'pss',
  'uss',
  'shr',
  'swap',
  'mem',
  'oom',
] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface PsOptions {
  sort: SortKey;
  top: number | null;
  user: string | null;
  name: RegExp | null;
  group: boolean;
}

export function toPsProcess(
  s: ProcessSample,
  users: UserNames,
  limits: CgroupLimitLookup | null,
  memTotalBytes: number,
): PsProcess {
  const limit = limits?.limitOf(s.pid) ?? null;
  const byCgroup = limit !== null && limit.limitBytes < memTotalBytes;
  const of = byCgroup ? limit.limitBytes : memTotalBytes;
  return {
    pid: s.pid,
    name: s.name,
    user: s.uid === null ? null : users(s.uid),
    vszBytes: s.vszBytes,
    rssBytes: s.rssBytes,
    pssBytes: s.pssBytes,
    ussBytes: s.ussBytes,
    swapBytes: s.swapBytes,
    sharedBytes: s.sharedBytes,
    memPercent: s.rssBytes === null ? null : (100 * s.rssBytes) / of,
    memPercentOf: byCgroup ? 'cgroupLimit' : 'memTotal',
    memPercentOfBytes: of,
    oomScore: s.oomScore,
    threads: s.threads,
    kernelThread: s.kernelThread,
    unknownReason: s.rollupUnknown,
  };
}

const SORT_VALUE: Record<SortKey, (p: PsProcess) => number | string | null> = {
  pid: (p) => p.pid,
  user: (p) => p.user,
  name: (p) => p.name,
  vsz: (p) => p.vszBytes,
  rss: (p) => p.rssBytes,
  pss: (p) => p.pssBytes,
  uss: (p) => p.ussBytes,
  shr: (p) => p.sharedBytes,
  swap: (p) => p.swapBytes,
  mem: (p) => p.memPercent,
  oom: (p) => p.oomScore,
};

/** Sizes sort largest first, names and pids in ascending order; unknown values always last. */
export function sortProcesses(list: PsProcess[], key: SortKey): PsProcess[] {
  const get = SORT_VALUE[key];
  const ascending = key === 'pid' || key === 'user' || key === 'name';
  return [...list].sort((a, b) => {
    const va = get(a);
    const vb = get(b);
    if (va === null || vb === null) return va === vb ? a.pid - b.pid : va === null ? 1 : -1;
    if (va === vb) return a.pid - b.pid;
    const cmp = va < vb ? -1 : 1;
    return ascending ? cmp : -cmp;
  });
}

function addOrNull(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : a + b;
}

/** Aggregates processes of the same program (same name), as ps_mem does. */
export function groupByName(list: PsProcess[]): PsGroup[] {
  const groups = new Map<string, PsGroup>();
  for (const p of list) {
    const g = groups.get(p.name) ?? {
      name: p.name,
      count: 0,
      rssBytes: 0,
      pssBytes: 0,
      ussBytes: 0,
      swapBytes: 0,
      vszBytes: 0,
    };
    g.count++;
    g.rssBytes += p.rssBytes ?? 0;
    g.vszBytes += p.vszBytes ?? 0;
    // One unreadable member makes the group's PSS unknown: a partial sum would understate it.
    g.pssBytes = addOrNull(g.pssBytes, p.pssBytes);
    g.ussBytes = addOrNull(g.ussBytes, p.ussBytes);
    g.swapBytes = addOrNull(g.swapBytes, p.swapBytes);
    groups.set(p.name, g);
  }
  return [...groups.values()].sort(
    (a, b) => (b.pssBytes ?? -1) - (a.pssBytes ?? -1) || b.rssBytes - a.rssBytes,
  );
}

export function buildPsReport(all: PsProcess[], memTotalBytes: number, opts: PsOptions): PsReport {
  let list = all;
  if (opts.user !== null) list = list.filter((p) => p.user === opts.user || String(p.user) === opts.user);
  if (opts.name !== null) {
    const re = opts.name;
    list = list.filter((p) => re.test(p.name));
  }
  const totals: PsTotals = {
    rssBytes: 0,
    pssBytes: 0,
    ussBytes: 0,
    swapBytes: 0,
    vszBytes: 0,
    processesCounted: 0,
  };
  const byReason: Record<string, number> = {};
  let unreadable = 0;
  for (const p of list) {
    totals.rssBytes += p.rssBytes ?? 0;
    totals.vszBytes += p.vszBytes ?? 0;
    if (p.pssBytes === null) {
      unreadable++;
      const reason = p.unknownReason ?? 'unknown';
      byReason[reason] = (byReason[reason] ?? 0) + 1;
      continue;
    }
    totals.processesCounted++;
    totals.pssBytes += p.pssBytes;
    totals.ussBytes += p.ussBytes ?? 0;
    totals.swapBytes += p.swapBytes ?? 0;
  }
  const sorted = sortProcesses(list, opts.sort);
  const report: PsReport = {
    processes: opts.top === null ? sorted : sorted.slice(0, opts.top),
    totals,
    unreadable: {
      count: unreadable,
      reason:
        unreadable === 0
          ? null
          : Object.entries(byReason)
              .map(([r, n]) => `${r} (${n})`)
              .join(', '),
      byReason,
    },
    memTotalBytes,
  };
  if (opts.group) {
    const groups = groupByName(list);
    report.groups = opts.top === null ? groups : groups.slice(0, opts.top);
  }
  return report;
}

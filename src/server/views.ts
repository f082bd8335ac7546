// The read side of the server: what each route shows, built from the sampler's state. Only two
// things read more than the state, both on demand and cached: the OOM report (the kernel log and
// /proc/sys/vm, every ~5 s at most) and a process's inspect report (its full smaps, ~10 s).
import type { Finding } from '../analysis/findings.js';
import { formatBytes, formatDuration } from '../analysis/format.js';
import type { Verdict } from '../analysis/leak.js';
import type { OomCollection } from '../collect/oom.js';
import { readProcess } from '../collect/process.js';
import { ProcReadError } from '../procfs/errors.js';
import type { ProcFs } from '../procfs/fs.js';
import { readKmsg } from '../procfs/kmsg.js';
import { parseOomKills } from '../procfs/oom_kills.js';
import { readBootTimeSec } from '../procfs/proc_stat.js';
import { readVmSysctl } from '../procfs/sysctl.js';
import { buildInspectReport, type InspectReport } from '../reports/inspect.js';
import { buildOomReport, type OomReport } from '../reports/oom.js';
import { redactCommand } from './redact.js';
import type { ServerSampler } from './sampler.js';
import { type ProcessRow, type Tracked, toRow } from './state.js';

export const SORTS = ['pss', 'rss', 'uss', 'vsz', 'swap', 'pid', 'name', 'growth'] as const;
export type Sort = (typeof SORTS)[number];

const VALUE: Record<Sort, (r: ProcessRow) => number | string | null> = {
  pss: (r) => r.pssBytes,
  rss: (r) => r.rssBytes,
  uss: (r) => r.ussBytes,
  vsz: (r) => r.vszBytes,
  swap: (r) => r.swapBytes,
  pid: (r) => r.pid,
  name: (r) => r.name,
  growth: (r) => (r.verdict?.kind === 'growing' ? r.verdict.slopeBytesPerSec : null),
};

/** Sizes largest first, pid and name ascending; unknown values last (as `memlens ps`). */
export function sortRows(rows: ProcessRow[], sort: Sort): ProcessRow[] {
  const get = VALUE[sort];
  const ascending = sort === 'pid' || sort === 'name';
  return rows.sort((a, b) => {
    const va = get(a);
    const vb = get(b);
    if (va === null || vb === null) return va === vb ? a.pid - b.pid : va === null ? 1 : -1;
    if (va === vb) return a.pid - b.pid;
    return (va < vb ? -1 : 1) * (ascending ? 1 : -1);
  });
}

export interface LeakSuspect {
  pid: number;
  name: string;
  verdict: Verdict;
}

export interface InspectResult {
  inspect: InspectReport | null;
  inspectUnknownReason: string | null;
}

const OOM_CACHE_SEC = 5;
const INSPECT_CACHE_SEC = 10;
/** Full smaps walks allowed per INSPECT_CACHE_SEC, so a client cannot walk every process in a loop. */
const INSPECT_BUDGET = 20;

export class Views {
  private oomCache: { t: number; report: OomReport } | null = null;
  private readonly inspectCache = new Map<string, { t: number; result: InspectResult }>();
  private inspectWindow = { t: 0, used: 0 };

  constructor(
    readonly sampler: ServerSampler,
    private readonly fs: ProcFs,
    private readonly pageSize = 4096,
    private readonly now: () => number = () => Date.now() / 1000,
  ) {}

  get t(): number {
    return this.sampler.state.t;
  }

  processRows(sort: Sort, limit: number): ProcessRow[] {
    const t = this.t;
    const rows = [...this.sampler.state.processes.values()].map((x) => toRow(x, t));
    return sortRows(rows, sort).slice(0, limit);
  }

  tracked(pid: number): Tracked | null {
    return this.sampler.state.processes.get(pid) ?? null;
  }

  /** The growing processes, the soonest to reach their limit first, then the steepest. */
  leaks(): LeakSuspect[] {
    const out: LeakSuspect[] = [];
    for (const x of this.sampler.state.processes.values()) {
      if (x.verdict?.kind === 'growing') out.push({ pid: x.pid, name: x.sample.name, verdict: x.verdict });
    }
    return out.sort(
      (a, b) =>
        (a.verdict.timeToLimitSec ?? Infinity) - (b.verdict.timeToLimitSec ?? Infinity) ||
        (b.verdict.slopeBytesPerSec ?? 0) - (a.verdict.slopeBytesPerSec ?? 0),
    );
  }

  findings(): Finding[] {
    return [...this.oomReport().findings, ...this.leaks().map(leakFinding)];
  }

  /** The `memlens oom --json` report, built from the state plus the kernel log; cached ~5 s. */
  oomReport(): OomReport {
    const now = this.now();
    if (this.oomCache && now - this.oomCache.t < OOM_CACHE_SEC) return this.oomCache.report;
    const s = this.sampler.state;
    if (!s.meminfo) throw new Error('no sample taken yet');
    const collection: OomCollection = {
      meminfo: s.meminfo,
      sysctl: readVmSysctl(this.fs),
      psi: s.machine?.psi ?? null,
      oomKills: s.machine?.oomKills ?? null,
      processes: [...s.processes.values()].map((x) => ({
        ...x.sample,
        oomScore: x.oomScore,
        oomScoreAdj: x.oomScoreAdj,
        cgroup: x.cgroup,
        cmdline: x.cmdline,
      })),
      cgroups: s.cgroups,
      ...this.kills(),
    };
    const report = buildOomReport(collection, this.pageSize);
    this.oomCache = { t: now, report };
    return report;
  }

  private kills(): Pick<OomCollection, 'kills' | 'killsUnknownReason'> {
    try {
      let boot: number | null = null;
      try {
        boot = readBootTimeSec(this.fs);
      } catch (err) {
        if (!(err instanceof ProcReadError)) throw err;
      }
      return { kills: parseOomKills(readKmsg(this.fs), boot), killsUnknownReason: null };
    } catch (err) {
      if (!(err instanceof ProcReadError)) throw err;
      return {
        kills: [],
        killsUnknownReason:
          err.code === 'E_PERMISSION'
            ? 'permission denied: reading the kernel log needs CAP_SYSLOG (or root) here (kernel.dmesg_restrict)'
            : `the kernel log cannot be read (${err.message})`,
      };
    }
  }

  /** A process's inspect report (full smaps), cached ~10 s, within a budget of walks. */
  inspect(x: Tracked): InspectResult {
    const now = this.now();
    const key = `${x.pid}:${x.startTicks}`;
    const cached = this.inspectCache.get(key);
    if (cached && now - cached.t < INSPECT_CACHE_SEC) return cached.result;
    for (const [k, v] of this.inspectCache) if (now - v.t >= INSPECT_CACHE_SEC) this.inspectCache.delete(k);
    if (now - this.inspectWindow.t >= INSPECT_CACHE_SEC) this.inspectWindow = { t: now, used: 0 };
    if (this.inspectWindow.used >= INSPECT_BUDGET) {
      return {
        inspect: null,
        inspectUnknownReason: `busy: more than ${INSPECT_BUDGET} processes inspected in ${INSPECT_CACHE_SEC} s; retry shortly`,
      };
    }
    this.inspectWindow.used++;
    let result: InspectResult;
    try {
      const sample = readProcess(this.fs, x.pid, { smaps: true, oom: true });
      if (sample.startTimeTicks !== x.startTicks) throw new ProcReadError('E_NO_PROCESS', '', 'exited');
      const report = buildInspectReport(sample, x.user, this.pageSize);
      report.command = redactCommand(sample.cmdline);
      result = {
        inspect: report,
        inspectUnknownReason: report.unknownReason === null ? null : `smaps: ${report.unknownReason}`,
      };
    } catch (err) {
      if (!(err instanceof ProcReadError)) throw err;
      result = { inspect: null, inspectUnknownReason: err.code === 'E_NO_PROCESS' ? 'exited' : err.message };
    }
    this.inspectCache.set(key, { t: now, result });
    return result;
  }
}

function leakFinding(s: LeakSuspect): Finding {
  const v = s.verdict;
  const soon = v.timeToLimitSec !== null && v.timeToLimitSec < 3600;
  const limit =
    v.timeToLimitSec === null
      ? ''
      : `, reaching ${v.limitSource ?? 'its limit'}${v.limitBytes === null ? '' : ` (${formatBytes(v.limitBytes)})`} in ${formatDuration(v.timeToLimitSec)}`;
  return {
    id: 'leak-suspect',
    severity: soon ? 'warning' : 'notice',
    summary: `${s.name} (${s.pid}) keeps growing by ${formatBytes((v.slopeBytesPerSec ?? 0) * 60)}/min${limit}.`,
    detail: `Its RSS floor rises across ${formatDuration(v.observedSec)} of samples: ${v.summary}.`,
    advice: `Confirm with "memlens watch ${s.pid}", then take "memlens snapshot ${s.pid}" twice some minutes apart and "memlens diff" them to see which regions grow.`,
    evidence: {
      pid: s.pid,
      slopeBytesPerSec: v.slopeBytesPerSec,
      timeToLimitSec: v.timeToLimitSec,
      limitBytes: v.limitBytes,
      limitSource: v.limitSource,
      pValue: v.pValue,
    },
  };
}

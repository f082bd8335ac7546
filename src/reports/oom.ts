// The `oom` report: who the kernel will kill, when, and why. Pure: built from what collect/oom
// read. The JSON shape is a public contract (README); fields are only ever added.
import type { Finding } from '../analysis/findings.js';
import {
  type Badness,
  type ExemptReason,
  globalTotalPages,
  nodeHeapLimitFromArgs,
  type OomCandidate,
  rankForOom,
} from '../analysis/oom.js';
import { explainOom } from '../analysis/oom-findings.js';
import type { OomCollection, OomProcess } from '../collect/oom.js';
import { publishedHeapLimits } from '../collect/runtime-channel.js';
import type { OomKill } from '../procfs/oom_kills.js';
import type { Pressure } from '../procfs/pressure.js';

export interface OomRankEntry {
  pid: number;
  name: string;
  cgroup: string | null;
  /** What the kernel reports in /proc/PID/oom_score (0..2000 scale, 2/3 of it in use). */
  oomScore: number | null;
  oomScoreAdj: number | null;
  /** The same score computed from the badness formula; matches oomScore within 1. */
  computedOomScore: number;
  badness: Badness | null;
  exempt: boolean;
  exemptReason: ExemptReason | null;
}

export interface OomCgroupReport {
  path: string;
  version: 1 | 2;
  limitBytes: number | null;
  limitSetBy: string | null;
  usageBytes: number | null;
  workingSetBytes: number | null;
  /**
   * limit - working set at the level that binds first (this cgroup or an ancestor, whose working
   * set counts its other descendants too): room before reclaim can no longer help. Null without a limit.
   */
  headroomBytes: number | null;
  /**
   * That level's cgroup path, its own limit, its working set (over the limit when reclaim is
   * behind, where headroomBytes stays 0), and how many other cgroups below it share it.
   */
  headroomSetBy: string | null;
  headroomLimitBytes: number | null;
  headroomWorkingSetBytes: number | null;
  headroomSharedWith: number | null;
  anonBytes: number | null;
  fileBytes: number | null;
  activeFileBytes: number | null;
  inactiveFileBytes: number | null;
  shmemBytes: number | null;
  kernelBytes: number | null;
  sockBytes: number | null;
  swapBytes: number | null;
  events: { oom: number | null; oomKill: number | null; max: number | null; high: number | null };
  /** "hierarchical" (v2 memory.events counts descendants) or "local" (v1, v2 .local). */
  eventsScope: 'hierarchical' | 'local';
  underOom: boolean | null;
  psi: Pressure | null;
  pids: number[];
  /** The kill order inside this cgroup, when it has a limit: PIDs of it and its descendants. */
  killOrder: { pid: number; name: string; points: number; scoreInCgroup: number }[] | null;
}

export interface OomReport {
  machine: {
    memTotalBytes: number;
    memAvailableBytes: number | null;
    swapTotalBytes: number | null;
    swapFreeBytes: number | null;
    overcommitMode: number | null;
    commitLimitBytes: number | null;
    committedAsBytes: number | null;
    psi: Pressure | null;
    oomKills: number | null;
    /** RAM + swap in pages: what the global OOM killer and oom_score measure against. */
    totalPages: number;
    pageSize: number;
  };
  cgroups: OomCgroupReport[];
  ranking: OomRankEntry[];
  kills: OomKill[];
  /** Why `kills` is empty because the kernel log was unreadable; null when it was read. */
  killsUnknownReason: string | null;
  findings: Finding[];
}

function candidate(p: OomProcess): OomCandidate & { cgroup: string | null } {
  return {
    pid: p.pid,
    name: p.name,
    rssBytes: p.status.vmRssBytes,
    swapBytes: p.status.vmSwapBytes,
    pageTablesBytes: p.status.vmPteBytes,
    oomScoreAdj: p.oomScoreAdj,
    kernelThread: p.kernelThread,
    cgroup: p.cgroup,
  };
}

function isWithin(path: string | null, cgroup: string): boolean {
  if (path === null) return false;
  return cgroup === '/' || path === cgroup || path.startsWith(`${cgroup}/`);
}

/**
 * `heapLimits` are the V8 heap limits Node processes publish through memlens/runtime's channel
 * (by PID); by default they are read here, so every caller gets them. Without one, the limit is
 * taken from --max-old-space-size on a node command line.
 */
export function buildOomReport(
  c: OomCollection,
  pageSize: number,
  heapLimits: ReadonlyMap<number, number> = publishedHeapLimits(c.processes),
): OomReport {
  const m = c.meminfo;
  const totalPages = globalTotalPages(m.memTotalBytes, m.swapTotalBytes, pageSize);
  const candidates = c.processes.map(candidate);
  const byPid = new Map(c.processes.map((p) => [p.pid, p]));
  const ranking: OomRankEntry[] = rankForOom(candidates, totalPages, pageSize).map((r) => ({
    pid: r.process.pid,
    name: r.process.name,
    cgroup: r.process.cgroup,
    oomScore: byPid.get(r.process.pid)?.oomScore ?? null,
    oomScoreAdj: r.process.oomScoreAdj,
    computedOomScore: r.computedOomScore,
    badness: r.badness,
    exempt: r.exempt !== null,
    exemptReason: r.exempt,
  }));

  const cgroups: OomCgroupReport[] = c.cgroups.map(({ memory: g, pids, headroom }) => {
    const limited = g.limitBytes !== null && Number.isFinite(g.limitBytes);
    const limitPages = limited ? Math.floor((g.limitBytes as number) / pageSize) : 0;
    const members = candidates.filter((p) => isWithin(p.cgroup, g.path));
    return {
      path: g.path,
      version: g.version,
      limitBytes: limited ? g.limitBytes : null,
      limitSetBy: limited ? g.limitSetBy : null,
      usageBytes: g.usageBytes,
      workingSetBytes: g.workingSetBytes,
      headroomBytes: headroom?.headroomBytes ?? null,
      headroomSetBy: headroom?.setBy ?? null,
      headroomLimitBytes: headroom?.limitBytes ?? null,
      headroomWorkingSetBytes: headroom?.workingSetBytes ?? null,
      headroomSharedWith: headroom?.sharedWith ?? null,
      anonBytes: g.anonBytes,
      fileBytes: g.fileBytes,
      activeFileBytes: g.activeFileBytes,
      inactiveFileBytes: g.inactiveFileBytes,
      shmemBytes: g.shmemBytes,
      kernelBytes: g.kernelBytes,
      sockBytes: g.sockBytes,
      swapBytes: g.swapBytes,
      events: { oom: g.events.oom, oomKill: g.events.oomKill, max: g.events.max, high: g.events.high },
      eventsScope: g.events.scope,
      underOom: g.underOom,
      psi: g.psi,
      pids,
      // A cgroup's own OOM weighs everyone against its limit (no swap on top: see the README).
      killOrder: limited
        ? rankForOom(members, limitPages, pageSize)
            .filter((r) => r.badness !== null)
            .map((r) => ({
              pid: r.process.pid,
              name: r.process.name,
              points: r.badness?.points ?? 0,
              scoreInCgroup: r.computedOomScore,
            }))
        : null,
    };
  });

  const findings = explainOom({
    memTotalBytes: m.memTotalBytes,
    swapTotalBytes: m.swapTotalBytes,
    swapFreeBytes: m.swapFreeBytes,
    psi: c.psi,
    cgroups: cgroups.map((g) => ({
      path: g.path,
      limitBytes: g.limitBytes ?? Number.POSITIVE_INFINITY,
      limitSetBy: g.limitSetBy,
      usageBytes: g.usageBytes,
      workingSetBytes: g.workingSetBytes,
      inactiveFileBytes: g.inactiveFileBytes,
      shmemBytes: g.shmemBytes,
      binding:
        g.headroomSetBy === null || g.headroomLimitBytes === null
          ? null
          : {
              setBy: g.headroomSetBy,
              limitBytes: g.headroomLimitBytes,
              workingSetBytes: g.headroomWorkingSetBytes,
              sharedWith: g.headroomSharedWith,
            },
    })),
    processes: c.processes
      .filter((p) => !p.kernelThread)
      .map((p) => {
        const cg = cgroups.find((g) => g.path === p.cgroup);
        return {
          pid: p.pid,
          name: p.name,
          cgroup: p.cgroup,
          oomScoreAdj: p.oomScoreAdj,
          heapLimitBytes:
            heapLimits.get(p.pid) ??
            (p.cmdline && /node/.test(p.cmdline[0] ?? p.name) ? nodeHeapLimitFromArgs(p.cmdline) : null),
          cgroupLimitBytes: cg?.limitBytes ?? Number.POSITIVE_INFINITY,
        };
      }),
  });

  return {
    machine: {
      memTotalBytes: m.memTotalBytes,
      memAvailableBytes: m.memAvailableBytes,
      swapTotalBytes: m.swapTotalBytes,
      swapFreeBytes: m.swapFreeBytes,
      overcommitMode: c.sysctl.overcommitMemory,
      commitLimitBytes: m.commitLimitBytes,
      committedAsBytes: m.committedAsBytes,
      psi: c.psi,
      oomKills: c.oomKills,
      totalPages,
      pageSize,
    },
    cgroups,
    ranking,
    kills: c.kills,
    killsUnknownReason: c.killsUnknownReason,
    findings,
  };
}

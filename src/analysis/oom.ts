// Who the OOM killer picks, computed the way the kernel does (mm/oom_kill.c, oom_badness() and
// fs/proc/base.c, proc_oom_score(), Linux 5.9+), so every figure can be checked against the
// kernel's own /proc/PID/oom_score:
//   badness   = rss pages + swap entries + page-table pages + oom_score_adj * (totalpages / 1000)
//   oom_score = (1000 + badness * 1000 / totalpages) * 2 / 3          (integer arithmetic)
// totalpages is RAM + swap for the global OOM killer (and for oom_score), and the cgroup's limit
// for a cgroup's own OOM. The task with the highest badness dies first. Pure: no /proc here.

export interface OomCandidate {
  pid: number;
  name: string;
  /** VmRSS, VmSwap and VmPTE from status (bytes); null when unknown. */
  rssBytes: number | null;
  swapBytes: number | null;
  pageTablesBytes: number | null;
  oomScoreAdj: number | null;
  kernelThread: boolean;
}

export type ExemptReason = 'oom_score_adj -1000' | 'kernel thread' | 'init' | 'no memory';

export interface Badness {
  rssPages: number;
  swapPages: number;
  pageTablePages: number;
  /** oom_score_adj * (totalPages / 1000): the adj's weight in pages. */
  adjPoints: number;
  totalPages: number;
  /** The sum, in pages: what the kernel compares. */
  points: number;
}

/** Why the kernel will never pick this process, or null when it can. */
export function exemptReason(p: OomCandidate, initPid = 1): ExemptReason | null {
  if (p.kernelThread) return 'kernel thread';
  if (p.pid === initPid) return 'init';
  if (p.oomScoreAdj === -1000) return 'oom_score_adj -1000';
  // A zombie (or an exiting task) has no mm left to free: the kernel skips it.
  if (p.rssBytes === null) return 'no memory';
  return null;
}

/** The kernel's badness of a process, or null when it is exempt or its figures are unknown. */
export function badness(p: OomCandidate, totalPages: number, pageSize: number): Badness | null {
  if (exemptReason(p) !== null || p.oomScoreAdj === null || p.rssBytes === null) return null;
  const rssPages = Math.floor(p.rssBytes / pageSize);
  const swapPages = Math.floor((p.swapBytes ?? 0) / pageSize);
  const pageTablePages = Math.floor((p.pageTablesBytes ?? 0) / pageSize);
  // The kernel divides before it multiplies: adj *= totalpages / 1000.
  const adjPoints = p.oomScoreAdj * Math.floor(totalPages / 1000);
  return {
    rssPages,
    swapPages,
    pageTablePages,
    adjPoints,
    totalPages,
    points: rssPages + swapPages + pageTablePages + adjPoints,
  };
}

/** What /proc/PID/oom_score shows for a badness (0 for exempt processes). */
export function oomScore(b: Badness | null): number {
  if (b === null) return 0;
  // C division truncates toward zero; so does Math.trunc.
  const scaled = 1000 + Math.trunc((b.points * 1000) / b.totalPages);
  return Math.max(0, Math.trunc((scaled * 2) / 3));
}

/** RAM + swap in pages: the total the global OOM killer (and oom_score) measures against. */
export function globalTotalPages(
  memTotalBytes: number,
  swapTotalBytes: number | null,
  pageSize: number,
): number {
  return Math.floor(memTotalBytes / pageSize) + Math.floor((swapTotalBytes ?? 0) / pageSize);
}

export interface RankedProcess<P extends OomCandidate = OomCandidate> {
  process: P;
  badness: Badness | null;
  computedOomScore: number;
  exempt: ExemptReason | null;
}

/**
 * Orders processes the way the kernel would pick them: highest badness first; exempt processes
 * (and those whose figures are unknown) last, in PID order.
 */
export function rankForOom<P extends OomCandidate>(
  processes: P[],
  totalPages: number,
  pageSize: number,
): RankedProcess<P>[] {
  const ranked = processes.map((p) => {
    const b = badness(p, totalPages, pageSize);
    return { process: p, badness: b, computedOomScore: oomScore(b), exempt: exemptReason(p) };
  });
  return ranked.sort((a, b) => {
    if (a.badness && b.badness) return b.badness.points - a.badness.points || a.process.pid - b.process.pid;
    if (a.badness) return -1;
    if (b.badness) return 1;
    return a.process.pid - b.process.pid;
  });
}

/** Kubernetes QoS class from the cgroup path or the oom_score_adj the kubelet sets. */
export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

export function kubernetesQos(cgroupPath: string | null, oomScoreAdj: number | null): QosClass | null {
  const path = cgroupPath ?? '';
  if (!path.includes('kubepods')) return null;
  if (/besteffort/i.test(path)) return 'BestEffort';
  if (/burstable/i.test(path)) return 'Burstable';
  // Guaranteed pods sit directly under kubepods; the kubelet gives them -997.
  if (oomScoreAdj === -997 || /kubepods[^/]*\/(pod|kubepods-pod)/.test(path)) return 'Guaranteed';
  if (oomScoreAdj === 1000) return 'BestEffort';
  return oomScoreAdj !== null && oomScoreAdj > -997 && oomScoreAdj < 1000 ? 'Burstable' : null;
}

/** --max-old-space-size (MiB) from a Node command line, in bytes; null when not set. */
export function nodeHeapLimitFromArgs(args: string[]): number | null {
  let found: number | null = null;
  for (const arg of args) {
    const m = /^--max[-_]old[-_]space[-_]size=(\d+)$/.exec(arg);
    if (m) found = Number(m[1]) * 1024 * 1024;
  }
  return found;
}

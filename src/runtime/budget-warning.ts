// The start-up check of memoryBudget: V8 may grow its heap to heap_size_limit, but the cgroup
// kills the process first when that limit plus the memory Node needs outside the heap is above
// the cgroup's. The finding is node-heap-above-limit, the one `memlens oom` reports, made by the
// same code (analysis/oom-findings.ts), so the threshold and the advice cannot drift apart.
import { explainOom } from '../analysis/oom-findings.js';

export interface BudgetWarning {
  code: 'MEMLENS_HEAP_ABOVE_LIMIT';
  message: string;
  heapSizeLimitBytes: number;
  cgroupLimitBytes: number;
  cgroupPath: string;
  /** The --max-old-space-size (MiB) to run with instead. */
  suggestedMaxOldSpaceSizeMb: number;
}

/** The warning for this heap limit under this cgroup limit, or null when the heap fits. */
export function heapLimitWarning(
  heapSizeLimitBytes: number,
  cgroup: { path: string; limitBytes: number } | null,
): BudgetWarning | null {
  if (cgroup === null) return null;
  const [finding] = explainOom({
    memTotalBytes: Number.POSITIVE_INFINITY,
    swapTotalBytes: null,
    swapFreeBytes: null,
    psi: null,
    cgroups: [],
    processes: [
      {
        pid: process.pid,
        name: process.title,
        cgroup: cgroup.path,
        oomScoreAdj: null,
        heapLimitBytes: heapSizeLimitBytes,
        cgroupLimitBytes: cgroup.limitBytes,
      },
    ],
  }).filter((f) => f.id === 'node-heap-above-limit');
  if (!finding) return null;
  const suggested = /--max-old-space-size=(\d+)/.exec(finding.advice ?? '');
  return {
    code: 'MEMLENS_HEAP_ABOVE_LIMIT',
    message: `${finding.summary} ${finding.advice ?? ''}`.trim(),
    heapSizeLimitBytes,
    cgroupLimitBytes: cgroup.limitBytes,
    cgroupPath: cgroup.path,
    suggestedMaxOldSpaceSizeMb: Number(suggested?.[1] ?? 0),
  };
}

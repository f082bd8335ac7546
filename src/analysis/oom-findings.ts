// Findings about the OOM killer: why a process would die, or a cgroup run out, in plain language.
// Pure: the input is what collect/ read about the machine, its memory cgroups and processes.
// Unknown figures are null and a finding that needs one is not produced.
// Finding ids are part of the public JSON contract of `oom --json`: never rename one.
import type { Pressure } from '../procfs/pressure.js';
import type { Finding } from './findings.js';
import { formatBytes, formatPercent } from './format.js';
import { sharedPhrase } from './headroom.js';
import { kubernetesQos } from './oom.js';

const MiB = 1024 * 1024;

/** The working set at this share of the limit leaves little room before reclaim fails. */
export const WORKING_SET_NEAR = 0.8;
export const WORKING_SET_CRITICAL = 0.9;
/** Usage this close to the limit looks alarming on a dashboard... */
export const USAGE_LOOKS_FULL = 0.8;
/** ...but if at least this share of it is page cache the kernel can drop, it is not. */
export const RECLAIMABLE_SHARE = 0.3;
/** shmem/tmpfs at this share of usage (and at least TMPFS_MIN) is worth pointing out. */
export const TMPFS_SHARE = 0.2;
export const TMPFS_MIN_BYTES = 16 * MiB;
/** Swap this full no longer absorbs pressure. */
export const SWAP_FREE_LOW = 0.1;
/** PSI: share of time some task stalled on memory over the last minute. */
export const PSI_SOME_AVG60 = 10;
export const PSI_FULL_AVG60 = 5;
/** V8 needs room beyond its heap (code, Buffers, thread stacks, malloc): keep this much free. */
export const NODE_NATIVE_HEADROOM_BYTES = 256 * MiB;

export interface OomCgroupInput {
  path: string;
  /** Effective limit, Infinity when none. */
  limitBytes: number;
  limitSetBy: string | null;
  usageBytes: number | null;
  workingSetBytes: number | null;
  inactiveFileBytes: number | null;
  shmemBytes: number | null;
  /**
   * The level that binds first (the cgroup or an ancestor, whose working set counts its other
   * descendants): its path, own limit and working set, and the other cgroups that share it.
   * Null without a limit.
   */
  binding: {
    setBy: string;
    limitBytes: number;
    workingSetBytes: number | null;
    sharedWith: number | null;
  } | null;
}

export interface OomProcessInput {
  pid: number;
  name: string;
  cgroup: string | null;
  oomScoreAdj: number | null;
  /** The V8 heap limit the process runs with (--max-old-space-size), null when unknown. */
  heapLimitBytes: number | null;
  /** The effective memory limit of its cgroup, Infinity when none. */
  cgroupLimitBytes: number;
}

export interface OomFindingsInput {
  memTotalBytes: number;
  swapTotalBytes: number | null;
  swapFreeBytes: number | null;
  psi: Pressure | null;
  cgroups: OomCgroupInput[];
  processes: OomProcessInput[];
}

export function explainOom(input: OomFindingsInput): Finding[] {
  const out: Finding[] = [];
  for (const cg of input.cgroups) out.push(...cgroupFindings(cg, input.memTotalBytes));
  out.push(...processFindings(input.processes));
  out.push(...machineFindings(input));
  const rank = { warning: 0, notice: 1, info: 2 };
  return out.sort((a, b) => rank[a.severity] - rank[b.severity]);
}

function cgroupFindings(cg: OomCgroupInput, memTotalBytes: number): Finding[] {
  const out: Finding[] = [];
  const limit = cg.limitBytes;
  if (Number.isFinite(limit) && limit < memTotalBytes) {
    out.push({
      id: 'limit-below-ram',
      severity: 'info',
      summary: `Cgroup ${cg.path} is limited to ${formatBytes(limit)} (set by ${cg.limitSetBy}), below the host's ${formatBytes(memTotalBytes)} of RAM.`,
      detail:
        'Processes in this cgroup are OOM-killed when the cgroup reaches its limit, however much memory the host has free. ' +
        "free, top and the host's MemAvailable do not show this limit.",
      evidence: { cgroup: cg.path, limitBytes: limit, limitSetBy: cg.limitSetBy, memTotalBytes },
    });
  }
  const b = cg.binding;
  if (b && b.workingSetBytes !== null && b.workingSetBytes >= b.limitBytes * WORKING_SET_NEAR) {
    const critical = b.workingSetBytes >= b.limitBytes * WORKING_SET_CRITICAL;
    const own = b.setBy === cg.path;
    const shared = sharedPhrase(b);
    out.push({
      id: 'working-set-near-limit',
      severity: critical ? 'warning' : 'notice',
      summary: own
        ? `Cgroup ${cg.path} has a working set of ${formatBytes(b.workingSetBytes)}, ${formatPercent(b.workingSetBytes, b.limitBytes)} of its ${formatBytes(b.limitBytes)} limit.`
        : `Cgroup ${cg.path} lives under ${b.setBy}, whose working set is ${formatBytes(b.workingSetBytes)}, ${formatPercent(b.workingSetBytes, b.limitBytes)} of its ${formatBytes(b.limitBytes)} limit${shared ? `, ${shared}` : ''}.`,
      detail:
        'The working set is usage minus inactive page cache: memory the kernel cannot simply drop. ' +
        `When it reaches the limit, reclaim fails and the OOM killer picks a process in ${own ? 'this cgroup' : `${b.setBy}, whichever of its cgroups grew`}.`,
      advice:
        'Raise the limit, or find what grows (memlens inspect on its processes; memlens watch for a trend).',
      evidence: {
        cgroup: cg.path,
        workingSetBytes: b.workingSetBytes,
        limitBytes: b.limitBytes,
        limitCgroup: b.setBy,
        sharedWith: b.sharedWith,
      },
    });
  }
  if (
    Number.isFinite(limit) &&
    cg.usageBytes !== null &&
    cg.workingSetBytes !== null &&
    cg.usageBytes >= limit * USAGE_LOOKS_FULL &&
    cg.usageBytes - cg.workingSetBytes >= cg.usageBytes * RECLAIMABLE_SHARE
  ) {
    const cache = cg.usageBytes - cg.workingSetBytes;
    out.push({
      id: 'page-cache-reclaimable',
      severity: 'info',
      summary: `Cgroup ${cg.path} uses ${formatBytes(cg.usageBytes)} of ${formatBytes(limit)}, but ${formatBytes(cache)} of that is inactive page cache the kernel can reclaim.`,
      detail:
        'Page cache from file reads and writes is charged to the cgroup, so usage runs up to the limit and stays there. ' +
        'That is not a leak and not an OOM risk by itself: the kernel drops inactive cache before it kills anything.',
      advice: 'Alert on the working set (usage - inactive_file), not on usage.',
      evidence: { cgroup: cg.path, usageBytes: cg.usageBytes, reclaimableBytes: cache, limitBytes: limit },
    });
  }
  if (
    cg.shmemBytes !== null &&
    cg.usageBytes !== null &&
    cg.shmemBytes >= TMPFS_MIN_BYTES &&
    cg.shmemBytes >= cg.usageBytes * TMPFS_SHARE
  ) {
    out.push({
      id: 'tmpfs-held',
      severity: 'notice',
      summary: `Cgroup ${cg.path} holds ${formatBytes(cg.shmemBytes)} of tmpfs or shared memory, ${formatPercent(cg.shmemBytes, cg.usageBytes)} of its usage.`,
      detail:
        'Files in tmpfs (/dev/shm, /run, emptyDir with medium Memory) and shared memory are charged to the cgroup that wrote them ' +
        'and stay when the processes exit: restarting the service does not free them, and they cannot be reclaimed without swap.',
      advice: 'Delete what is no longer needed from tmpfs, or give it a size limit.',
      evidence: { cgroup: cg.path, shmemBytes: cg.shmemBytes, usageBytes: cg.usageBytes },
    });
  }
  return out;
}

function processFindings(processes: OomProcessInput[]): Finding[] {
  const out: Finding[] = [];
  const first = processes.filter((p) => p.oomScoreAdj === 1000);
  if (first.length > 0) {
    const names = first.slice(0, 5).map((p) => `${p.name} (${p.pid})`);
    out.push({
      id: 'oom-score-adj-max',
      severity: 'notice',
      summary: `${first.length === 1 ? 'A process has' : `${first.length} processes have`} oom_score_adj 1000 and will be killed first: ${names.join(', ')}.`,
      detail:
        'oom_score_adj 1000 adds the whole of memory to the badness score, so the kernel picks these before anything else, ' +
        'however little they use. Kubernetes gives it to BestEffort pods.',
      evidence: { count: first.length, pids: first.map((p) => p.pid).join(' ') },
    });
  }
  for (const p of processes) {
    if (p.heapLimitBytes === null || !Number.isFinite(p.cgroupLimitBytes)) continue;
    if (p.heapLimitBytes + NODE_NATIVE_HEADROOM_BYTES <= p.cgroupLimitBytes) continue;
    const suggested = Math.max(64, Math.floor((p.cgroupLimitBytes * 0.75) / MiB));
    out.push({
      id: 'node-heap-above-limit',
      severity: 'warning',
      summary: `${p.name} (${p.pid}) may grow its V8 heap to ${formatBytes(p.heapLimitBytes)}, but its cgroup allows ${formatBytes(p.cgroupLimitBytes)} in all.`,
      detail:
        "V8 collects garbage hard only as the heap nears its limit. With the limit above the cgroup's, the process is OOM-killed " +
        'by the kernel before V8 ever tries, and the heap looked "small" on every graph: RSS also holds code, Buffers and thread stacks.',
      advice: `Run it with --max-old-space-size=${suggested} (about 75% of the cgroup limit).`,
      evidence: { pid: p.pid, heapLimitBytes: p.heapLimitBytes, cgroupLimitBytes: p.cgroupLimitBytes },
    });
  }
  const qos = new Map<string, { cls: string; pids: number[] }>();
  for (const p of processes) {
    const cls = kubernetesQos(p.cgroup, p.oomScoreAdj);
    if (cls === null || p.cgroup === null) continue;
    const entry = qos.get(p.cgroup) ?? { cls, pids: [] };
    entry.pids.push(p.pid);
    qos.set(p.cgroup, entry);
  }
  for (const [cgroup, { cls, pids }] of qos) {
    out.push({
      id: 'kubernetes-qos',
      severity: 'info',
      summary: `Cgroup ${cgroup} is a Kubernetes ${cls} pod.`,
      detail:
        'The kubelet sets oom_score_adj by QoS class: Guaranteed -997 (killed last), BestEffort 1000 (killed first), ' +
        'Burstable in between, higher for pods that request less memory.',
      evidence: { cgroup, qosClass: cls, pids: pids.join(' ') },
    });
  }
  return out;
}

function machineFindings(input: OomFindingsInput): Finding[] {
  const out: Finding[] = [];
  const { swapTotalBytes: total, swapFreeBytes: free } = input;
  if (total !== null && free !== null && total > 0 && free < total * SWAP_FREE_LOW) {
    out.push({
      id: 'swap-full',
      severity: 'warning',
      summary: `Swap is ${formatPercent(total - free, total)} full (${formatBytes(free)} of ${formatBytes(total)} free).`,
      detail:
        'With swap full, anonymous memory can no longer be pushed out: the next shortage goes straight to the OOM killer.',
      evidence: { swapTotalBytes: total, swapFreeBytes: free },
    });
  }
  const psi = input.psi;
  if (psi?.some && (psi.some.avg60 >= PSI_SOME_AVG60 || (psi.full && psi.full.avg60 >= PSI_FULL_AVG60))) {
    out.push({
      id: 'memory-pressure',
      severity: 'warning',
      summary: `Memory pressure is sustained: some task waited on memory ${psi.some.avg60}% of the last minute (${psi.some.avg300}% of the last 5).`,
      detail:
        'PSI counts the time tasks stall on reclaim and refaults. Sustained stalls mean the machine (or cgroup) is short of memory ' +
        'and slow well before anything is OOM-killed.',
      evidence: {
        someAvg60: psi.some.avg60,
        someAvg300: psi.some.avg300,
        fullAvg60: psi.full?.avg60 ?? null,
      },
    });
  }
  return out;
}

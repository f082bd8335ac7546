// Everything `memlens oom` needs, read in one pass: the machine's memory and OOM settings, every
// process's badness inputs, the memory cgroups that hold processes (or the one asked for), and
// the kill reports in the kernel log. What cannot be read is null with a reason, never 0.
import type { CgroupMemory } from '../procfs/cgroup_usage.js';
import { readCgroupMemory } from '../procfs/cgroup_usage.js';
import { readCmdline } from '../procfs/cmdline.js';
import { ProcReadError } from '../procfs/errors.js';
import type { ProcFs } from '../procfs/fs.js';
import { readKmsg } from '../procfs/kmsg.js';
import { type Meminfo, readMeminfo } from '../procfs/meminfo.js';
import { type OomKill, parseOomKills } from '../procfs/oom_kills.js';
import { type Pressure, readMemoryPressure } from '../procfs/pressure.js';
import { readBootTimeSec } from '../procfs/proc_stat.js';
import { readVmSysctl, type VmSysctl } from '../procfs/sysctl.js';
import { readVmstat } from '../procfs/vmstat.js';
import { type CgroupHeadroom, readCgroupHeadroom, type SubtreeCounts } from './cgroup-headroom.js';
import { listMemoryCgroups, memoryCgroupByPath, memoryHierarchy } from './cgroups.js';
import type { ProcessSample } from './process.js';
import { scanProcesses } from './scan.js';

export interface OomProcess extends ProcessSample {
  /** The process's memory cgroup path, null when it has none or it could not be found. */
  cgroup: string | null;
  cmdline: string[] | null;
}

export interface OomCollection {
  meminfo: Meminfo;
  sysctl: VmSysctl;
  psi: Pressure | null;
  /** /proc/vmstat oom_kill: kills since boot, global and cgroup alike (4.13+). */
  oomKills: number | null;
  processes: OomProcess[];
  /** Each with its headroom at the level that binds (cgroup-headroom.ts), null without a limit. */
  cgroups: { memory: CgroupMemory; pids: number[]; headroom: CgroupHeadroom | null }[];
  kills: OomKill[];
  /** Why `kills` is empty because the kernel log could not be read, when it could not. */
  killsUnknownReason: string | null;
}

function orNull<T>(read: () => T): T | null {
  try {
    return read();
  } catch (err) {
    if (err instanceof ProcReadError) return null;
    throw err;
  }
}

export interface CollectOomOptions {
  /** Only this cgroup and its descendants, with their processes alone (a path as /proc/PID/cgroup shows it, or its folder). */
  cgroupPath?: string;
}

export function collectOom(fs: ProcFs, opts: CollectOomOptions = {}): OomCollection {
  const meminfo = readMeminfo(fs);
  const { processes: samples } = scanProcesses(fs, { oom: true });
  const hierarchy = orNull(() => memoryHierarchy(fs));
  const placed = hierarchy ? listMemoryCgroups(fs, { processes: samples, hierarchy }) : [];
  const cgroupOf = new Map<number, string>();
  for (const { cgroup, pids } of placed) for (const pid of pids) cgroupOf.set(pid, cgroup.path);

  let chosen = placed;
  let processes = samples;
  if (opts.cgroupPath !== undefined) {
    if (!hierarchy) {
      throw new ProcReadError(
        'E_UNSUPPORTED',
        opts.cgroupPath,
        'this machine has no memory cgroup controller',
      );
    }
    const cg = memoryCgroupByPath(fs, hierarchy, opts.cgroupPath);
    // The cgroup and its descendants: a cgroup's OOM picks among all of them.
    const pids = placed
      .filter(
        (p) => p.cgroup.path === cg.path || p.cgroup.path.startsWith(`${cg.path === '/' ? '' : cg.path}/`),
      )
      .flatMap((p) => p.pids);
    chosen = [{ cgroup: cg, pids }];
    // Only those processes: the ranking and the findings about processes are about this cgroup.
    const inside = new Set(pids);
    processes = samples.filter((s) => inside.has(s.pid));
  }
  const cgroups: OomCollection['cgroups'] = [];
  const counts: SubtreeCounts = new Map();
  for (const { cgroup, pids } of chosen) {
    const memory = orNull(() => readCgroupMemory(fs, cgroup));
    if (memory)
      cgroups.push({ memory, pids, headroom: orNull(() => readCgroupHeadroom(fs, cgroup, counts)) });
  }

  let kills: OomKill[] = [];
  let killsUnknownReason: string | null = null;
  try {
    kills = parseOomKills(
      readKmsg(fs),
      orNull(() => readBootTimeSec(fs)),
    );
  } catch (err) {
    if (!(err instanceof ProcReadError)) throw err;
    killsUnknownReason =
      err.code === 'E_PERMISSION'
        ? 'permission denied: reading the kernel log needs CAP_SYSLOG (or root) here (kernel.dmesg_restrict)'
        : `the kernel log cannot be read (${err.message})`;
  }

  return {
    meminfo,
    sysctl: readVmSysctl(fs),
    psi: orNull(() => readMemoryPressure(fs)),
    oomKills: orNull(() => readVmstat(fs).oomKill),
    processes: processes.map((s) => ({
      ...s,
      cgroup: cgroupOf.get(s.pid) ?? null,
      cmdline: s.kernelThread ? [] : orNull(() => readCmdline(fs, s.pid)),
    })),
    cgroups,
    kills,
    killsUnknownReason,
  };
}

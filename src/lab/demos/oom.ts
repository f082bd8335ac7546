// oom: a process grows toward its memory cgroup's limit until the kernel's OOM killer takes it.
// Root only: the demo makes a cgroup of its own (v1 or v2), puts its helper in it, and shows the
// usage, the score, the limit being hit and the pressure rising, then the kill as `memlens oom`
// reports it from the kernel log.
import { formatBytes } from '../../analysis/format.js';
import { badness, globalTotalPages, type OomCandidate, oomScore } from '../../analysis/oom.js';
import { collectOom } from '../../collect/oom.js';
import type { ProcessSample } from '../../collect/process.js';
import type { CgroupMemory } from '../../procfs/cgroup_usage.js';
import { readMeminfo } from '../../procfs/meminfo.js';
import { readMemoryPressure } from '../../procfs/pressure.js';
import { readVmstat } from '../../procfs/vmstat.js';
import { buildOomReport } from '../../reports/oom.js';
import { cgroupUnavailable, createLabCgroup } from '../cgroup.js';
import { atLeast, between, exactly, type ReadingBuilder, reading, within } from '../expect.js';
import { HelperExitedError } from '../helper.js';
import { type Demo, type Lab, MiB } from '../lab.js';

const CHUNK = 1 * MiB;

function candidate(s: ProcessSample): OomCandidate {
  return {
    pid: s.pid,
    name: s.name,
    rssBytes: s.status.vmRssBytes,
    swapBytes: s.status.vmSwapBytes,
    pageTablesBytes: s.status.vmPteBytes,
    oomScoreAdj: s.oomScoreAdj,
    kernelThread: false,
  };
}

/** Stall time under memory pressure: the cgroup's own PSI on v2, the machine's on v1. */
function stallMicros(lab: Lab, g: CgroupMemory): { value: number | null; source: string } {
  if (g.psi?.some) return { value: g.psi.some.totalMicros, source: 'memory.pressure some total' };
  try {
    return {
      value: readMemoryPressure(lab.fs).some?.totalMicros ?? null,
      source: '/proc/pressure/memory some total (machine)',
    };
  } catch {
    return { value: null, source: '/proc/pressure/memory (no PSI on this kernel)' };
  }
}

export const oom: Demo = {
  name: 'oom',
  title: "a process that outgrows its cgroup's memory limit is killed by the OOM killer",
  intro:
    'memlens (root) creates a memory cgroup of its own with a small limit and moves a helper ' +
    'process (a small C program memlens builds) into it. The helper then grows, 1 MiB at a time, ' +
    'until the kernel kills it. Nothing outside the cgroup is at risk.',
  sizeMeans: "the cgroup's memory limit (default 64M)",
  defaultSize: 64 * MiB,
  minSize: 16 * MiB,
  memoryNeeded: (size) => size,
  unavailable: (fs) => cgroupUnavailable(fs, 'oom'),
  async run(lab) {
    const limit = lab.size;
    // The cgroup first: cleanups run newest first, and a cgroup can go only once its tasks have.
    const cg = createLabCgroup(lab.fs, lab.cleanups, 'oom');
    lab.addCgroup(cg.path);
    // Where there is swap, the limit must cover it too, or the cgroup would swap instead.
    const swap = (readMeminfo(lab.fs).swapTotalBytes ?? 0) > 0;
    cg.limit(limit, swap);
    const h = await lab.startHelper();
    const pid = h.pid;
    const page = h.pageSize;
    const meminfo = readMeminfo(lab.fs);
    const totalPages = globalTotalPages(meminfo.memTotalBytes, meminfo.swapTotalBytes, page);
    const file = (v1: string, v2: string) => `cgroup ${cg.version === 1 ? v1 : v2}`;
    const usageFile = file('memory.usage_in_bytes', 'memory.current');
    const anonFile = file('memory.stat total_rss', 'memory.stat anon');
    const hitsFile = file('memory.failcnt', 'memory.events max');

    const s0 = lab.sample(pid);
    const g0 = cg.read();
    cg.add(pid);
    const g1 = cg.read();
    await lab.step(
      `create the memory cgroup ${cg.path} with a limit of ${formatBytes(limit)}, and move the helper into it`,
      'From now on every page the helper allocates is charged to the cgroup, and the cgroup may not hold more than its limit.',
      [
        reading(
          'limitBytes',
          'cgroup limit',
          'bytes',
          file('memory.limit_in_bytes', 'memory.max'),
          null,
          g0.limitBytes,
          g1.limitBytes,
        ).after(exactly(limit)),
        reading('usageBytes', 'cgroup usage', 'bytes', usageFile, null, g0.usageBytes, g1.usageBytes).after(
          between(0, 8 * MiB, 'bytes'),
        ),
        reading(
          'rssBytes',
          'helper RSS',
          'bytes',
          `/proc/${pid}/status VmRSS`,
          pid,
          s0.rssBytes,
          s0.rssBytes,
        ),
      ],
      { notes: [`The cgroup's files are in ${cg.folder}.`], pids: [pid] },
    );

    let grown = 0;
    let stallPrev = stallMicros(lab, g1);
    let sPrev = lab.sample(pid);
    let gPrev = g1;
    for (const share of [0.25, 0.5, 0.75]) {
      const add = Math.round((limit * share - grown) / CHUNK) * CHUNK;
      await h.send(`grow ${add} ${CHUNK}`, lab.progress(`growing by ${formatBytes(add)}`));
      grown += add;
      const s = lab.sample(pid);
      const g = cg.read();
      const stall0 = stallPrev;
      const stall1 = stallMicros(lab, g);
      stallPrev = stall1;
      const inCgroup = (x: ProcessSample) => oomScore(badness(candidate(x), Math.floor(limit / page), page));
      const rows: ReadingBuilder[] = [
        reading(
          'rssBytes',
          'helper RSS',
          'bytes',
          `/proc/${pid}/status VmRSS`,
          pid,
          sPrev.rssBytes,
          s.rssBytes,
        ).change(within(add, { relative: 0.02, absolute: 512 * 1024 })),
        reading(
          'usageBytes',
          'cgroup usage',
          'bytes',
          usageFile,
          null,
          gPrev.usageBytes,
          g.usageBytes,
        ).change(within(add, { relative: 0.05, absolute: 1 * MiB })),
        reading('anonBytes', 'cgroup anon', 'bytes', anonFile, null, gPrev.anonBytes, g.anonBytes).change(
          within(add, { relative: 0.02, absolute: 512 * 1024 }),
        ),
        reading(
          'oomScore',
          'oom_score',
          'score',
          `/proc/${pid}/oom_score`,
          pid,
          sPrev.oomScore,
          s.oomScore,
        ).after(within(oomScore(badness(candidate(s), totalPages, page)), { absolute: 1 }, 'score')),
        reading(
          'cgroupOomScore',
          'score in the cgroup',
          'score',
          'computed, as memlens oom does',
          pid,
          inCgroup(sPrev),
          inCgroup(s),
        ),
        reading('limitHits', 'limit hits', 'count', hitsFile, null, gPrev.events.max, g.events.max),
        reading(
          'stallMicros',
          'memory stall time',
          'microseconds',
          stall1.source,
          null,
          stall0.value,
          stall1.value,
        ),
      ];
      await lab.step(
        `the helper grows to ${formatBytes(grown)}, ${Math.round(share * 100)}% of the limit`,
        'Usage and anon in memory.stat rise with RSS. /proc/PID/oom_score barely moves: it weighs RSS against all ' +
          "of RAM and swap. Within the cgroup the OOM killer weighs it against the cgroup's limit, where the " +
          'helper is nearly everything.',
        rows,
        { pids: [pid] },
      );
      sPrev = s;
      gPrev = g;
    }

    const kills0 = readVmstat(lab.fs).oomKill;
    const stall0 = stallMicros(lab, gPrev);
    let killedBy: NodeJS.Signals | null = null;
    try {
      await h.send(`grow ${limit * 2} ${CHUNK}`, lab.progress('growing past the limit'));
    } catch (err) {
      if (!(err instanceof HelperExitedError)) throw err;
      killedBy = err.signal;
    }
    const g = cg.read();
    const kills1 = readVmstat(lab.fs).oomKill;
    const stall1 = stallMicros(lab, g);
    const report = buildOomReport(collectOom(lab.fs, { cgroupPath: cg.path }), page);
    const kill = report.kills.filter((k) => k.pid === pid).pop() ?? null;
    const notes: string[] = [];
    if (killedBy !== 'SIGKILL') {
      notes.push(
        killedBy
          ? `The helper ended by ${killedBy}, not by the OOM killer's SIGKILL.`
          : 'The helper was not killed: the limit did not bind.',
      );
    }
    if (report.killsUnknownReason) notes.push(`The kernel log cannot be read: ${report.killsUnknownReason}.`);
    await lab.step(
      'the helper keeps growing, past the limit',
      'At the limit the kernel first reclaims what it can in the cgroup; anonymous memory without swap ' +
        'cannot go anywhere, so the cgroup OOM killer picks the process with the highest score in it and ' +
        'sends SIGKILL. Its memory is freed; the kill is counted and logged.',
      [
        reading(
          'helperKilled',
          'helper killed by SIGKILL',
          'count',
          'its exit status',
          pid,
          0,
          killedBy === 'SIGKILL' ? 1 : 0,
        ).after(exactly(1)),
        reading(
          'oomKills',
          'cgroup OOM kills',
          'count',
          file('memory.oom_control oom_kill', 'memory.events oom_kill'),
          null,
          gPrev.events.oomKill,
          g.events.oomKill,
        ).change(exactly(1)),
        reading(
          'oomKillsMachine',
          'OOM kills (machine)',
          'count',
          '/proc/vmstat oom_kill',
          null,
          kills0,
          kills1,
        ).change(atLeast(1)),
        // With swap, v1 counts the hits in memory.memsw.failcnt, which is charged first.
        swap && cg.version === 1
          ? reading('limitHits', 'limit hits', 'count', hitsFile, null, gPrev.events.max, g.events.max)
          : reading(
              'limitHits',
              'limit hits',
              'count',
              hitsFile,
              null,
              gPrev.events.max,
              g.events.max,
            ).change(atLeast(1)),
        reading('usageBytes', 'cgroup usage', 'bytes', usageFile, null, gPrev.usageBytes, g.usageBytes).after(
          between(0, 4 * MiB, 'bytes'),
        ),
        reading(
          'stallMicros',
          'memory stall time',
          'microseconds',
          stall1.source,
          null,
          stall0.value,
          stall1.value,
        ),
        reading(
          'killsLogged',
          'kills of the helper logged',
          'count',
          '/dev/kmsg, read as memlens oom does',
          null,
          null,
          kill ? 1 : 0,
        ).after(exactly(1)),
        reading(
          'killAnonRssBytes',
          'anon-rss at the kill',
          'bytes',
          '/dev/kmsg "Killed process" line',
          pid,
          null,
          kill?.anonRssBytes ?? null,
        ).after(between(limit / 2, limit, 'bytes')),
      ],
      { notes, pids: [], oomKill: kill },
    );
  },
};

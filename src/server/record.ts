// What one tick writes to the history: the machine, every user process and, on the ticks that
// read them, the memory cgroups. Pure: built from the sampler's state.
import type { Tick } from '../store/history.js';
import type { CgroupSampleRow, ProcSampleRow } from './history.js';
import { type SamplerState, swapOf, toRow } from './state.js';

export function tickRows(state: SamplerState, t: number, withCgroups: boolean): Tick {
  const processes: ProcSampleRow[] = [];
  for (const x of state.processes.values()) {
    // Kernel threads have no user memory: a row of nulls per second each would be waste.
    if (x.sample.kernelThread) continue;
    const r = toRow(x, t);
    processes.push({
      pid: x.pid,
      startTicks: x.startTicks,
      name: r.name,
      vszBytes: r.vszBytes,
      rssBytes: r.rssBytes,
      pssBytes: r.pssBytes,
      ussBytes: r.ussBytes,
      swapBytes: swapOf(x),
      anonBytes: r.anonBytes,
      fileBytes: r.fileBytes,
      shmemBytes: r.shmemBytes,
      minorFaults: x.sample.minorFaults,
      majorFaults: x.sample.majorFaults,
    });
  }
  // Cgroups are written when read (every few ticks), not repeated in between.
  const cgroups: CgroupSampleRow[] = withCgroups
    ? state.cgroups.map(({ memory: g }) => ({
        path: g.path,
        usageBytes: g.usageBytes,
        workingSetBytes: g.workingSetBytes,
        limitBytes: g.limitBytes !== null && Number.isFinite(g.limitBytes) ? g.limitBytes : null,
        anonBytes: g.anonBytes,
        fileBytes: g.fileBytes,
        shmemBytes: g.shmemBytes,
        kernelBytes: g.kernelBytes,
        oomKills: g.events.oomKill,
        psiSomeAvg10: g.psi?.some?.avg10 ?? null,
      }))
    : [];
  const m = state.machine;
  return {
    machine: m && {
      memTotalBytes: m.memTotalBytes,
      memAvailableBytes: m.memAvailableBytes,
      cachedBytes: m.cachedBytes,
      swapTotalBytes: m.swapTotalBytes,
      swapFreeBytes: m.swapFreeBytes,
      psiSomeAvg10: m.psi?.some?.avg10 ?? null,
      psiFullAvg10: m.psi?.full?.avg10 ?? null,
      oomKills: m.oomKills,
    },
    processes,
    cgroups,
  };
}

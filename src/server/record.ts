// What one tick writes to the history: the machine, every user process and, on the ticks that
// read them, the memory cgroups. Pure: built from the sampler's state.

import { ussBytes } from '../procfs/smaps_rollup.js';
import type { Tick } from '../store/history.js';
import type { CgroupSampleRow, ProcSampleRow } from './history.js';
import { type SamplerState, swapOf } from './state.js';

export function tickRows(state: SamplerState, withCgroups: boolean): Tick {
  const processes: ProcSampleRow[] = [];
  for (const x of state.processes.values()) {
    // Kernel threads have no user memory: a row of nulls per second each would be waste.
    if (x.sample.kernelThread) continue;
    // Not toRow(): this runs for every process on every tick, and needs no sparkline or verdict.
    const s = x.sample;
    processes.push({
      pid: x.pid,
      startTicks: x.startTicks,
      name: s.name,
      vszBytes: s.vszBytes,
      rssBytes: s.rssBytes,
      pssBytes: x.rollup ? x.rollup.pssBytes : null,
      ussBytes: x.rollup ? ussBytes(x.rollup) : null,
      swapBytes: swapOf(x),
      anonBytes: s.rssAnonBytes,
      fileBytes: s.rssFileBytes,
      shmemBytes: s.rssShmemBytes,
      minorFaults: s.minorFaults,
      majorFaults: s.majorFaults,
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

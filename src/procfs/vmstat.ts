// /proc/vmstat: the kernel's virtual-memory event counters, "name value" per line.
//   pgfault 1234567
//   pgmajfault 890
//   oom_kill 3          (4.13+)

import { ProcParseError } from './errors.js';
import type { ProcFs } from './fs.js';
import { parseSafeUint } from './numbers.js';

const KNOWN = new Set(['pgfault', 'pgmajfault', 'oom_kill']);

export interface Vmstat {
  /** Every counter, by name. */
  values: Map<string, number>;
  pgfault: number | null;
  pgmajfault: number | null;
  /** OOM kills since boot; null on kernels before 4.13. */
  oomKill: number | null;
}

/** Parses /proc/vmstat text. */
export function parseVmstat(text: string, path: string): Vmstat {
  const values = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    const space = line.indexOf(' ');
    if (space === -1) throw new ProcParseError(`expected "name value", found "${line}"`, path, i + 1);
    const name = line.slice(0, space);
    const raw = line.slice(space + 1).trim();
    // Only the counters we use must parse; an odd value in any other (new kernels add many)
    // is not worth failing the whole file over.
    if (KNOWN.has(name)) values.set(name, parseSafeUint(raw, path, i + 1));
    else if (/^\d{1,15}$/.test(raw)) values.set(name, Number(raw));
  }
  return {
    values,
    pgfault: values.get('pgfault') ?? null,
    pgmajfault: values.get('pgmajfault') ?? null,
    oomKill: values.get('oom_kill') ?? null,
  };
}

/** Reads /proc/vmstat. */
export function readVmstat(fs: ProcFs): Vmstat {
  return parseVmstat(fs.readText('proc/vmstat'), fs.path('proc/vmstat'));
}

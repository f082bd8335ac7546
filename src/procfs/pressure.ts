// /proc/pressure/memory and cgroup v2 memory.pressure: pressure stall information (PSI, 4.20+).
// https://docs.kernel.org/accounting/psi.html
//   some avg10=0.10 avg60=2.00 avg300=3.85 total=15
//   full avg10=0.20 avg60=3.00 avg300=4.95 total=25
// avgN are percentages of wall time over N seconds; total is microseconds stalled since boot.
// The cpu file at the system level has no "full" line: absent lines are null.

import { ProcParseError } from './errors.js';
import type { ProcFs } from './fs.js';
import { parseSafeUint } from './numbers.js';

export interface PressureLine {
  avg10: number;
  avg60: number;
  avg300: number;
  totalMicros: number;
}

export interface Pressure {
  some: PressureLine | null;
  full: PressureLine | null;
}

function percent(raw: string | undefined, key: string, path: string, line: number): number {
  // A percentage has at most three integer digits; a longer one would only round as a number.
  if (raw === undefined || !/^\d{1,3}(\.\d+)?$/.test(raw)) {
    throw new ProcParseError(`expected ${key}=<percent>, found "${raw ?? ''}"`, path, line);
  }
  return Number(raw);
}

/** Parses a PSI file (system-wide or a cgroup's). */
export function parsePressure(text: string, path: string): Pressure {
  const out: Pressure = { some: null, full: null };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    const [kind, ...pairs] = line.split(/\s+/);
    const fields = new Map(pairs.map((p) => p.split('=', 2) as [string, string]));
    if (kind !== 'some' && kind !== 'full') continue; // a future kind of line: not ours to judge
    out[kind] = {
      avg10: percent(fields.get('avg10'), 'avg10', path, i + 1),
      avg60: percent(fields.get('avg60'), 'avg60', path, i + 1),
      avg300: percent(fields.get('avg300'), 'avg300', path, i + 1),
      totalMicros: parseSafeUint(fields.get('total') ?? '', path, i + 1),
    };
  }
  return out;
}

/** Reads /proc/pressure/memory. Throws E_UNSUPPORTED on kernels without PSI (or psi=0). */
export function readMemoryPressure(fs: ProcFs): Pressure {
  return parsePressure(fs.readText('proc/pressure/memory'), fs.path('proc/pressure/memory'));
}

// /proc/PID/oom_score and /proc/PID/oom_score_adj: one integer each. man 5 proc_pid_oom_score
//   oom_score:      667        (0..2000 since 4.19: badness scaled to 1000 plus the adj term)
//   oom_score_adj:  -1000      (-1000..1000; -1000 exempts the process from the OOM killer)

import { ProcParseError } from './errors.js';
import type { ProcFs } from './fs.js';

function parseInteger(text: string, path: string, min: number, max: number): number {
  const t = text.trim();
  if (!/^-?\d+$/.test(t)) throw new ProcParseError(`expected an integer, found "${t}"`, path, 1);
  const n = Number(t);
  if (n < min || n > max) throw new ProcParseError(`expected ${min}..${max}, found ${n}`, path, 1);
  return n;
}

export function parseOomScore(text: string, path: string): number {
  return parseInteger(text, path, 0, 2000);
}

export function parseOomScoreAdj(text: string, path: string): number {
  return parseInteger(text, path, -1000, 1000);
}

/** Reads /proc/PID/oom_score: the kernel's current badness of the process (0..2000). */
export function readOomScore(fs: ProcFs, pid: number): number {
  const rel = `proc/${pid}/oom_score`;
  return parseOomScore(fs.readText(rel, pid), fs.path(rel));
}

/** Reads /proc/PID/oom_score_adj (-1000..1000). */
export function readOomScoreAdj(fs: ProcFs, pid: number): number {
  const rel = `proc/${pid}/oom_score_adj`;
  return parseOomScoreAdj(fs.readText(rel, pid), fs.path(rel));
}

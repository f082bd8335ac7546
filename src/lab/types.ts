// What `memlens demo --json` prints: the steps of one experiment and, for each, the numbers read
// from /proc before and after, with what the kernel was expected to produce. Like every --json
// output this is a public contract: fields are only ever added.

import type { OomKill } from '../procfs/oom_kills.js';

export type DemoName = 'reserve' | 'faults' | 'cow' | 'shared-libs' | 'free' | 'oom';

export const DEMO_NAMES: readonly DemoName[] = ['reserve', 'faults', 'cow', 'shared-libs', 'free', 'oom'];

/** How a reading's numbers are to be read. Bytes are bytes; the rest are counts of their kind. */
export type Unit = 'bytes' | 'count' | 'score' | 'microseconds';

/** What the kernel was expected to produce for one reading, and whether it did. */
export interface Expectation {
  /** Whether `expected` is the change over the step, or the value after it. */
  on: 'change' | 'after';
  expected: number;
  /** The accepted range, inclusive: the tolerance the demo states, applied. Null: no bound. */
  min: number | null;
  max: number | null;
  /** The tolerance in words, e.g. "±1% (at least 256 KiB)", "at most 64", "exactly". */
  tolerance: string;
  met: boolean;
}

/** One number read from /proc (or /sys/fs/cgroup) before and after a step. */
export interface Reading {
  /** camelCase with its unit, e.g. "rssBytes", "minorFaults". */
  key: string;
  /** What users see, e.g. "RSS", "child Private_Dirty". */
  label: string;
  unit: Unit;
  /** The file and field it was read from, e.g. "/proc/4242/status VmRSS". */
  source: string;
  /** The process it belongs to; null for machine-wide or cgroup figures. */
  pid: number | null;
  /** Null when it did not exist before the step (a process just started) or was unreadable. */
  before: number | null;
  after: number | null;
  /** after - before, when both are known. */
  change: number | null;
  /** Null for readings shown for context, which the demo makes no claim about. */
  expectation: Expectation | null;
}

export interface DemoStep {
  /** 1-based. */
  step: number;
  /** The action taken, e.g. "mmap 500 MiB of anonymous memory, touch no page". */
  action: string;
  readings: Reading[];
  /** One sentence: why the kernel did what it did. */
  explanation: string;
  /** Further observations made from the numbers (e.g. transparent huge pages detected). */
  notes: string[];
  /** The processes to inspect at this point (the same as --pause names). */
  pids: number[];
  /** oom: the kill as `memlens oom` reports it from the kernel log (its JSON `kills` entry). */
  oomKill?: OomKill | null;
}

export interface DemoProcess {
  /** "helper", "child", "copy 2"... */
  role: string;
  pid: number;
}

export interface DemoReport {
  demo: DemoName;
  title: string;
  /** The size the demo was scaled to (--size), in bytes, after rounding up to whole pages. */
  sizeBytes: number;
  pageSizeBytes: number;
  /** Everything the demo created, all of it removed when it ended. */
  created: { processes: DemoProcess[]; files: string[]; cgroups: string[] };
  steps: DemoStep[];
  expectations: { met: number; total: number };
  /** Every expectation was met. */
  passed: boolean;
  /** Observations about the whole run (the machine, the helper). */
  notes: string[];
}

// The sampled figures and how each one is stored and rolled up. One list per kind of sample
// drives the table definitions, the inserts, the roll-ups and the series, so a new figure is
// one line here plus a migration.

/** One process in one tick. Identity is (pid, startTicks): the kernel reuses pids. */
export interface ProcSampleRow {
  pid: number;
  /** Field 22 of /proc/PID/stat: start time in clock ticks after boot. */
  startTicks: number;
  name: string;
  vszBytes: number | null;
  rssBytes: number | null;
  pssBytes: number | null;
  ussBytes: number | null;
  swapBytes: number | null;
  anonBytes: number | null;
  fileBytes: number | null;
  shmemBytes: number | null;
  /** Counters since the process started (minflt, majflt of /proc/PID/stat). */
  minorFaults: number | null;
  majorFaults: number | null;
}

export interface MachineSampleRow {
  memTotalBytes: number;
  memAvailableBytes: number | null;
  cachedBytes: number | null;
  swapTotalBytes: number | null;
  swapFreeBytes: number | null;
  psiSomeAvg10: number | null;
  psiFullAvg10: number | null;
  /** Counter since boot (oom_kill of /proc/vmstat). */
  oomKills: number | null;
}

export interface CgroupSampleRow {
  path: string;
  usageBytes: number | null;
  workingSetBytes: number | null;
  /** null = no limit (or unknown). */
  limitBytes: number | null;
  anonBytes: number | null;
  fileBytes: number | null;
  shmemBytes: number | null;
  kernelBytes: number | null;
  /** Counter (oom_kill of memory.events). */
  oomKills: number | null;
  psiSomeAvg10: number | null;
}

/**
 * How a figure is rolled up into a coarser bucket and downsampled for a chart:
 * - mean: average of the known values, weighted by how many samples each row stands for, rounded
 *   to a whole number (bytes stay integers);
 * - real: the same average, not rounded (PSI percentages);
 * - last: the last known value (counters, and a limit, which is a setting rather than a measure).
 */
export type Aggregation = 'mean' | 'real' | 'last';

export interface ColumnSpec {
  /** Field name in the row types and in Columnar. */
  readonly field: string;
  /** SQL column. */
  readonly column: string;
  readonly agg: Aggregation;
  /** For counters shown as a rate: the Columnar field that carries the per-second rate instead. */
  readonly rateField?: string;
}

const mean = (field: string, column: string): ColumnSpec => ({ field, column, agg: 'mean' });

export const PROC_COLUMNS: readonly ColumnSpec[] = [
  mean('vszBytes', 'vsz_bytes'),
  mean('rssBytes', 'rss_bytes'),
  mean('pssBytes', 'pss_bytes'),
  mean('ussBytes', 'uss_bytes'),
  mean('swapBytes', 'swap_bytes'),
  mean('anonBytes', 'anon_bytes'),
  mean('fileBytes', 'file_bytes'),
  mean('shmemBytes', 'shmem_bytes'),
  { field: 'minorFaults', column: 'minor_faults', agg: 'last', rateField: 'minorFaultsPerSec' },
  { field: 'majorFaults', column: 'major_faults', agg: 'last', rateField: 'majorFaultsPerSec' },
];

export const MACHINE_COLUMNS: readonly ColumnSpec[] = [
  mean('memTotalBytes', 'mem_total_bytes'),
  mean('memAvailableBytes', 'mem_available_bytes'),
  mean('cachedBytes', 'cached_bytes'),
  mean('swapTotalBytes', 'swap_total_bytes'),
  mean('swapFreeBytes', 'swap_free_bytes'),
  { field: 'psiSomeAvg10', column: 'psi_some_avg10', agg: 'real' },
  { field: 'psiFullAvg10', column: 'psi_full_avg10', agg: 'real' },
  { field: 'oomKills', column: 'oom_kills', agg: 'last' },
];

export const CGROUP_COLUMNS: readonly ColumnSpec[] = [
  mean('usageBytes', 'usage_bytes'),
  mean('workingSetBytes', 'working_set_bytes'),
  { field: 'limitBytes', column: 'limit_bytes', agg: 'last' },
  mean('anonBytes', 'anon_bytes'),
  mean('fileBytes', 'file_bytes'),
  mean('shmemBytes', 'shmem_bytes'),
  mean('kernelBytes', 'kernel_bytes'),
  { field: 'oomKills', column: 'oom_kills', agg: 'last' },
  { field: 'psiSomeAvg10', column: 'psi_some_avg10', agg: 'real' },
];

/** `a INTEGER, b REAL, ...` for CREATE TABLE. */
export function columnDefs(specs: readonly ColumnSpec[]): string {
  return specs.map((s) => `${s.column} ${s.agg === 'real' ? 'REAL' : 'INTEGER'}`).join(',\n  ');
}

export function columnList(specs: readonly ColumnSpec[], prefix = ''): string {
  return specs.map((s) => prefix + s.column).join(', ');
}

/** The row's values in column order, unknown (undefined) as null. */
export function valuesOf(specs: readonly ColumnSpec[], row: object | null): (number | null)[] {
  const r = row as Record<string, unknown> | null;
  return specs.map((s) => (r ? ((r[s.field] as number | null | undefined) ?? null) : null));
}

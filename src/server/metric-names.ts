// The names of every series memlens exports at /metrics, in one place: the collectors, the tests
// and the shipped Grafana dashboard (deploy/) all refer to these. Base units in every name.
import type { VerdictKind } from '../analysis/leak.js';

export const metricNames = {
  processRss: 'memlens_process_rss_bytes',
  processPss: 'memlens_process_pss_bytes',
  processUss: 'memlens_process_uss_bytes',
  processSwap: 'memlens_process_swap_bytes',
  processVirtual: 'memlens_process_virtual_bytes',
  processMinorFaults: 'memlens_process_minor_faults_total',
  processMajorFaults: 'memlens_process_major_faults_total',
  processLeakSlope: 'memlens_process_leak_slope_bytes_per_second',
  processLeakVerdict: 'memlens_process_leak_verdict',
  processTimeToLimit: 'memlens_process_time_to_limit_seconds',
  programRss: 'memlens_program_rss_bytes',
  programPss: 'memlens_program_pss_bytes',
  programUss: 'memlens_program_uss_bytes',
  programSwap: 'memlens_program_swap_bytes',
  programProcesses: 'memlens_program_processes',
  machineMemTotal: 'memlens_machine_mem_total_bytes',
  machineMemAvailable: 'memlens_machine_mem_available_bytes',
  machineCached: 'memlens_machine_cached_bytes',
  machineSwapTotal: 'memlens_machine_swap_total_bytes',
  machineSwapFree: 'memlens_machine_swap_free_bytes',
  machinePressureSome: 'memlens_machine_memory_pressure_some_ratio',
  machinePressureFull: 'memlens_machine_memory_pressure_full_ratio',
  machineStallSome: 'memlens_machine_memory_stall_some_seconds_total',
  machineStallFull: 'memlens_machine_memory_stall_full_seconds_total',
  machineOomKills: 'memlens_machine_oom_kills_total',
  cgroupUsage: 'memlens_cgroup_usage_bytes',
  cgroupWorkingSet: 'memlens_cgroup_working_set_bytes',
  cgroupLimit: 'memlens_cgroup_limit_bytes',
  cgroupHeadroom: 'memlens_cgroup_headroom_bytes',
  cgroupHeadroomLimit: 'memlens_cgroup_headroom_limit_bytes',
  cgroupAnon: 'memlens_cgroup_anon_bytes',
  cgroupFile: 'memlens_cgroup_file_bytes',
  cgroupShmem: 'memlens_cgroup_shmem_bytes',
  cgroupKernel: 'memlens_cgroup_kernel_bytes',
  cgroupOomKills: 'memlens_cgroup_oom_kills_total',
  cgroupPressureSome: 'memlens_cgroup_memory_pressure_some_ratio',
  processes: 'memlens_processes',
  tickDuration: 'memlens_sampler_tick_duration_seconds',
  ticks: 'memlens_sampler_ticks_total',
} as const;

/** Each verdict kind as a label value ("not enough data yet" has spaces). */
export const VERDICT_LABELS: Record<VerdictKind, string> = {
  steady: 'steady',
  sawtooth: 'sawtooth',
  growing: 'growing',
  step: 'step',
  'not enough data yet': 'insufficient_data',
};

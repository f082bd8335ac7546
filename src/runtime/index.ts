// memlens/runtime: memory stats, GC accounting, heap leak watch and a memory budget for Node
// services, from inside the process. Explicit re-exports only: this list is the public API.
export {
  type BudgetMiddlewareOptions,
  type BudgetWarning,
  MemoryBudget,
  type MemoryBudgetOptions,
  memoryBudget,
  type PressureEvent,
} from './budget.js';
export { enableRuntimeChannel, type RuntimeChannel, type RuntimeChannelOptions } from './channel.js';
export {
  type GcCounters,
  type GcEvent,
  type GcKind,
  type GcKindCounters,
  gcCounters,
  onGc,
  startGcAccounting,
  stopGcAccounting,
} from './gc.js';
export { type MemoryStatsHandlerOptions, memoryStatsHandler } from './handler.js';
export { GC_BUCKETS, type MemoryMetrics, metricNames, registerMemoryMetrics } from './metrics.js';
export { type MemoryStatsOptions, memoryStats } from './stats.js';
export { renderStatsText } from './text.js';
export type {
  EffectiveLimit,
  GapPart,
  HeapGap,
  HeapSpace,
  KernelView,
  LimitSource,
  MemoryStats,
  NodeMemoryUsage,
  V8HeapStats,
} from './types.js';
export {
  type HeapWatcher,
  type LeakKind,
  type LeakReport,
  type WatchHeapOptions,
  watchHeap,
} from './watch.js';

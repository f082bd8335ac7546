// GC accounting: one PerformanceObserver on 'gc' for the whole process, shared by memoryStats,
// the Prometheus histograms, watchHeap and memoryBudget. Node hands the observer its entries in
// batches (one callback per turn of the event loop), and a burst of allocation easily puts dozens
// of scavenges in one batch: every entry of every batch is counted here. (prom-client's default
// collector reads only getEntries()[0], so it undercounts exactly when GC is busiest.)
import { constants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';

export type GcKind = 'minor' | 'major' | 'incremental' | 'weakcb';

export const GC_KINDS: readonly GcKind[] = ['minor', 'major', 'incremental', 'weakcb'];

const KIND_OF = new Map<number, GcKind>([
  [constants.NODE_PERFORMANCE_GC_MINOR, 'minor'],
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'major'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weakcb'],
]);

export interface GcKindCounters {
  count: number;
  /** Sum of the pauses, milliseconds. */
  totalPauseMs: number;
  maxPauseMs: number;
}

export interface GcCounters {
  /** When counting began (ms since the epoch): GCs before it are not counted. */
  sinceMs: number;
  minor: GcKindCounters;
  major: GcKindCounters;
  incremental: GcKindCounters;
  weakcb: GcKindCounters;
  /** Observer callbacks, and the most entries one of them carried: evidence of batching. */
  batches: number;
  maxBatch: number;
}

/** One GC as the observer reports it. */
export interface GcEvent {
  kind: GcKind;
  /** Pause, milliseconds. */
  durationMs: number;
  /** performance.now() at the GC's start. */
  startTime: number;
  /** V8's GC flags (forced, all available garbage...). */
  flags: number;
}

/** Called once per GC entry, in order; `last` is true for the last entry of its batch. */
export type GcListener = (event: GcEvent, last: boolean) => void;

const zero = (): GcKindCounters => ({ count: 0, totalPauseMs: 0, maxPauseMs: 0 });

let observer: PerformanceObserver | null = null;
let counters: GcCounters | null = null;
const listeners = new Set<GcListener>();

function onBatch(entries: PerformanceEntry[], c: GcCounters): void {
  c.batches++;
  if (entries.length > c.maxBatch) c.maxBatch = entries.length;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as PerformanceEntry;
    // Node 16+ puts the kind in entry.detail (the types of Node 20 do not declare it).
    const detail = (entry as { detail?: { kind?: number; flags?: number } }).detail;
    const kind = KIND_OF.get(detail?.kind ?? -1);
    if (kind === undefined) continue;
    const k = c[kind];
    k.count++;
    k.totalPauseMs += entry.duration;
    if (entry.duration > k.maxPauseMs) k.maxPauseMs = entry.duration;
    if (listeners.size === 0) continue;
    const event: GcEvent = {
      kind,
      durationMs: entry.duration,
      startTime: entry.startTime,
      flags: detail?.flags ?? 0,
    };
    for (const listener of listeners) listener(event, i === entries.length - 1);
  }
}

/**
 * Starts counting GCs, if not counting yet (idempotent). Every part of memlens/runtime calls it;
 * call it at start-up to count from the first GC. The observer costs a PerformanceEntry per GC.
 */
export function startGcAccounting(): GcCounters {
  if (counters && observer) return counters;
  const c: GcCounters = {
    sinceMs: Date.now(),
    minor: zero(),
    major: zero(),
    incremental: zero(),
    weakcb: zero(),
    batches: 0,
    maxBatch: 0,
  };
  counters = c;
  observer = new PerformanceObserver((list) => onBatch(list.getEntries(), c));
  observer.observe({ entryTypes: ['gc'] });
  return c;
}

/** A copy of the counters since startGcAccounting (which this starts, if needed). */
export function gcCounters(): GcCounters {
  const c = startGcAccounting();
  return {
    sinceMs: c.sinceMs,
    minor: { ...c.minor },
    major: { ...c.major },
    incremental: { ...c.incremental },
    weakcb: { ...c.weakcb },
    batches: c.batches,
    maxBatch: c.maxBatch,
  };
}

/** Calls `listener` for every GC from now on; returns the function that stops it. */
export function onGc(listener: GcListener): () => void {
  startGcAccounting();
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Stops counting: disconnects the observer and drops every listener (watchHeap, metrics).
 * For tests and benchmarks that compare a process with and without memlens.
 */
export function stopGcAccounting(): void {
  observer?.disconnect();
  observer = null;
  counters = null;
  listeners.clear();
}

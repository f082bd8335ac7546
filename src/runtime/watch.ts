// watchHeap(): tells a leak from allocation pressure inside the process, as Go services watch
// HeapAlloc across GC cycles. Three series, each with its own verdict:
// - heap: the old generation in use (heapUsed minus the young generation), read after each major
//   GC. Only a full collection shows what survives, so this is the post-GC baseline; the young
//   generation is left out because it refills within milliseconds at a high allocation rate, so
//   at the moment of reading it holds fresh garbage, not retention.
// - external: process.memoryUsage().external (Buffers, ArrayBuffers) sampled on a timer, because
//   Buffer retention can rise while the heap stays flat, and Buffers are freed by minor GCs too,
//   so their floor shows between major GCs as RSS's does for `memlens watch`.
// - detached contexts: V8's count after each major GC (watch-series.ts).
// The verdicts are analyzeSeries (analysis/leak.ts), shared with `memlens watch`.
import { freemem } from 'node:os';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { sharedPhrase } from '../analysis/headroom.js';
import { DEFAULT_LEAK_OPTIONS, type LeakOptions, type Verdict, withTimeToLimit } from '../analysis/leak.js';
import { onGc } from './gc.js';
import { cgroupHeadroom } from './limit.js';
import { DetachedContexts, type Transition, WatchedSeries } from './watch-series.js';

export type LeakKind = 'heap' | 'external' | 'detached-contexts';

export interface LeakReport {
  kind: LeakKind;
  /** The floor's growth and its confidence interval, bytes per minute (null for contexts). */
  growthBytesPerMin: number | null;
  growthLowBytesPerMin: number | null;
  growthHighBytesPerMin: number | null;
  /** Until heap_size_limit (heap) or the cgroup limit / available RAM (external), at that rate. */
  timeToLimitSec: number | null;
  limitBytes: number | null;
  limitSource: string | null;
  /** Major GCs seen since the watch began. */
  majorGcs: number;
  /** The evidence, one sentence: the verdict's summary, or the context counts. */
  evidence: string;
  /** The full verdict (null for detached contexts). */
  verdict: Verdict | null;
  /** Detached contexts after each of the last major GCs (for kind 'detached-contexts'). */
  detachedContexts: number[] | null;
}

export interface WatchHeapOptions {
  onLeak?: (report: LeakReport) => void;
  onRecover?: (report: LeakReport) => void;
  /** Every new verdict, leak or not (for logs and dashboards). */
  onVerdict?: (kind: 'heap' | 'external', verdict: Verdict) => void;
  /** Options of analyzeSeries for the heap series (one point per major GC). */
  heapLeakOptions?: Partial<LeakOptions>;
  /** Options of analyzeSeries for external memory (one point per externalIntervalMs). */
  externalLeakOptions?: Partial<LeakOptions>;
  /** How often external memory is sampled; default 1000 ms. 0 turns that series off. */
  externalIntervalMs?: number;
  /** External memory is analyzed every this many samples; default 5. */
  externalAnalyzeEvery?: number;
  /** History kept per series: default 30 minutes and 2000 points. */
  maxAgeSec?: number;
  maxPoints?: number;
  /** Major GCs over which detached contexts must keep rising; default 3. */
  detachedContextsGcs?: number;
}

export interface HeapWatcher {
  stop(): void;
  /** The latest verdicts and leak states. */
  state(): {
    heap: Verdict | null;
    external: Verdict | null;
    detachedContexts: number | null;
    leaking: Record<LeakKind, boolean>;
    majorGcs: number;
    /** Time spent in the watcher's own callbacks, for overhead measurements. */
    selfTimeMs: number;
  };
}

/**
 * Heap series points are one per major GC, each a floor already (pointsAreFloors): a window needs
 * only one point, so windows start at 1 s, and the newest collection counts at once, with exact
 * p-values while there are few (leak.ts). Major GCs are few: V8 runs one when the old generation
 * has grown by a step (about 8 MiB for a small heap), so a 1 MiB/s leak gives one every ~8 s. Six
 * rising floors make the verdict.
 */
const HEAP_DEFAULTS: Partial<LeakOptions> = { minWindowSec: 1, pointsAreFloors: true };

const perMin = (bytesPerSec: number | null) => (bytesPerSec === null ? null : bytesPerSec * 60);

function report(
  kind: LeakKind,
  v: Verdict | null,
  majorGcs: number,
  extra: Partial<LeakReport> = {},
): LeakReport {
  return {
    kind,
    growthBytesPerMin: perMin(v?.slopeBytesPerSec ?? null),
    growthLowBytesPerMin: perMin(v?.slopeLowBytesPerSec ?? null),
    growthHighBytesPerMin: perMin(v?.slopeHighBytesPerSec ?? null),
    timeToLimitSec: v?.timeToLimitSec ?? null,
    limitBytes: v?.limitBytes ?? null,
    limitSource: v?.limitSource ?? null,
    majorGcs,
    evidence: v?.summary ?? '',
    verdict: v,
    detachedContexts: null,
    ...extra,
  };
}

/** The old generation in use: every space but the young generation's. */
function oldGenerationUsed(): number {
  let used = 0;
  for (const s of v8.getHeapSpaceStatistics()) {
    if (s.space_name !== 'new_space' && s.space_name !== 'new_large_object_space') used += s.space_used_size;
  }
  return used;
}

export function watchHeap(options: WatchHeapOptions = {}): HeapWatcher {
  const limits = { maxAgeSec: options.maxAgeSec ?? 1800, maxPoints: options.maxPoints ?? 2000 };
  const heap = new WatchedSeries(limits, { ...HEAP_DEFAULTS, ...options.heapLeakOptions });
  const external = new WatchedSeries(limits, { ...DEFAULT_LEAK_OPTIONS, ...options.externalLeakOptions });
  const contexts = new DetachedContexts(options.detachedContextsGcs ?? 3);
  const leaking = () => ({
    heap: heap.leaking,
    external: external.leaking,
    'detached-contexts': contexts.leaking,
  });
  let majorGcs = 0;
  let selfTimeMs = 0;
  let lastContexts: number | null = null;

  const fire = (t: Transition, r: () => LeakReport) => {
    if (t === 'leak') options.onLeak?.(r());
    else if (t === 'recover') options.onRecover?.(r());
  };

  const onMajor = (atSec: number) => {
    majorGcs++;
    const heapStats = v8.getHeapStatistics();
    heap.add(atSec, oldGenerationUsed());
    const t = heap.analyze();
    const v = heap.verdict as Verdict;
    const baseline = v.baselineBytes ?? heapStats.used_heap_size;
    heap.verdict = withTimeToLimit(
      v,
      heapStats.heap_size_limit - baseline,
      heapStats.heap_size_limit,
      'heap_size_limit',
    );
    options.onVerdict?.('heap', heap.verdict);
    fire(t, () => report('heap', heap.verdict, majorGcs));
    lastContexts = heapStats.number_of_detached_contexts;
    const c = contexts.add(lastContexts);
    fire(c, () =>
      report('detached-contexts', null, majorGcs, {
        evidence: `detached contexts after the last ${contexts.counts.length} major GCs: ${contexts.counts.join(', ')}; contexts that no longer run but are still referenced, each holding its whole global object graph`,
        detachedContexts: contexts.counts.slice(),
      }),
    );
  };

  const stopGc = onGc((event) => {
    if (event.kind !== 'major') return;
    const started = performance.now();
    onMajor((event.startTime + event.durationMs) / 1000);
    selfTimeMs += performance.now() - started;
  });

  const intervalMs = options.externalIntervalMs ?? 1000;
  const every = Math.max(1, options.externalAnalyzeEvery ?? 5);
  let samples = 0;
  const timer =
    intervalMs > 0
      ? setInterval(() => {
          const started = performance.now();
          external.add(started / 1000, process.memoryUsage().external);
          if (++samples % every === 0) {
            const t = external.analyze();
            const cg = cgroupHeadroom();
            external.verdict = withTimeToLimit(
              external.verdict as Verdict,
              cg ? cg.headroomBytes : freemem(),
              cg ? cg.limitBytes : null,
              cg ? `the cgroup ${cg.setBy} limit` : 'MemAvailable',
              cg ? sharedPhrase(cg) : null,
            );
            options.onVerdict?.('external', external.verdict);
            fire(t, () => report('external', external.verdict, majorGcs));
          }
          selfTimeMs += performance.now() - started;
        }, intervalMs)
      : null;
  // The watch must never keep a process alive that would otherwise exit.
  timer?.unref();

  return {
    stop() {
      stopGc();
      if (timer) clearInterval(timer);
    },
    state: () => ({
      heap: heap.verdict,
      external: external.verdict,
      detachedContexts: lastContexts,
      leaking: leaking(),
      majorGcs,
      selfTimeMs,
    }),
  };
}

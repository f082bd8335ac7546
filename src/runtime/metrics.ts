// registerMemoryMetrics(registry): memlens's gauges and GC histogram in a prom-client Registry,
// beside collectDefaultMetrics. Every name starts memlens_node_, so none clashes with the
// defaults (process_*, nodejs_*), and the two can be compared: nodejs_gc_duration_seconds_count
// misses all but the first GC of each observer batch, memlens_node_gc_duration_seconds_count
// does not. Gauges are read at scrape time (collect()), as prom-client's own are.
import v8 from 'node:v8';
import {
  Gauge,
  Histogram,
  type OpenMetricsContentType,
  type PrometheusContentType,
  type Registry,
} from 'prom-client';
import { onGc } from './gc.js';
import { memoryStats } from './stats.js';
import type { MemoryStats } from './types.js';

export const metricNames = {
  heapUsed: 'memlens_node_heap_used_bytes',
  heapTotal: 'memlens_node_heap_total_bytes',
  heapLimit: 'memlens_node_heap_size_limit_bytes',
  heapAvailable: 'memlens_node_heap_available_bytes',
  postGcHeapUsed: 'memlens_node_post_gc_heap_used_bytes',
  external: 'memlens_node_external_bytes',
  arrayBuffers: 'memlens_node_array_buffers_bytes',
  v8Malloced: 'memlens_node_v8_malloced_bytes',
  nativeContexts: 'memlens_node_native_contexts',
  detachedContexts: 'memlens_node_detached_contexts',
  spaceUsed: 'memlens_node_heap_space_used_bytes',
  spaceSize: 'memlens_node_heap_space_size_bytes',
  rss: 'memlens_node_rss_bytes',
  rssAnon: 'memlens_node_rss_anon_bytes',
  rssFile: 'memlens_node_rss_file_bytes',
  rssShmem: 'memlens_node_rss_shmem_bytes',
  virtual: 'memlens_node_virtual_bytes',
  swap: 'memlens_node_swap_bytes',
  limit: 'memlens_node_memory_limit_bytes',
  gcDuration: 'memlens_node_gc_duration_seconds',
} as const;

/** Scavenges take 0.1-2 ms and full GCs 5 ms-1 s: prom-client's default buckets start at 1 ms. */
export const GC_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export interface MemoryMetrics {
  /** Stops observing GCs and removes the metrics from the registry. */
  unregister(): void;
}

/** One memoryStats() per scrape: prom-client calls each gauge's collect() in turn. */
const SCRAPE_REUSE_MS = 250;

export function registerMemoryMetrics(
  registry: Registry<PrometheusContentType> | Registry<OpenMetricsContentType>,
  options: { gcBuckets?: number[] } = {},
): MemoryMetrics {
  let last: MemoryStats | null = null;
  let lastAt = 0;
  const stats = (): MemoryStats => {
    const now = Date.now();
    if (last === null || now - lastAt > SCRAPE_REUSE_MS) {
      last = memoryStats();
      lastAt = now;
    }
    return last;
  };
  const registers = [registry];
  const gauge = (name: string, help: string, value: (s: MemoryStats) => number | null) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        const v = value(stats());
        // Unknown stays absent: a 0 would read as a real figure.
        if (v === null) this.reset();
        else this.set(v);
      },
    });
  gauge(
    metricNames.heapUsed,
    'V8 heap in use (process.memoryUsage().heapUsed).',
    (s) => s.memoryUsage.heapUsedBytes,
  );
  gauge(metricNames.heapTotal, 'V8 heap committed (heapTotal).', (s) => s.memoryUsage.heapTotalBytes);
  gauge(
    metricNames.heapLimit,
    "V8's heap_size_limit: the heap cannot grow past it.",
    (s) => s.heap.heapSizeLimitBytes,
  );
  gauge(metricNames.heapAvailable, 'V8 total_available_size.', (s) => s.heap.totalAvailableBytes);
  gauge(
    metricNames.external,
    'Memory owned by JS objects outside the heap, Buffers included.',
    (s) => s.memoryUsage.externalBytes,
  );
  gauge(
    metricNames.arrayBuffers,
    'ArrayBuffer and Buffer backing stores.',
    (s) => s.memoryUsage.arrayBuffersBytes,
  );
  gauge(metricNames.v8Malloced, "V8's own malloc()ed memory.", (s) => s.heap.mallocedBytes);
  gauge(metricNames.nativeContexts, 'V8 native contexts.', (s) => s.heap.nativeContexts);
  gauge(
    metricNames.detachedContexts,
    'V8 contexts detached but not collected (a leak when it grows).',
    (s) => s.heap.detachedContexts,
  );
  gauge(metricNames.rss, 'Resident set size (VmRSS).', (s) => s.kernel.vmRssBytes);
  gauge(metricNames.rssAnon, 'Resident anonymous memory (RssAnon).', (s) => s.kernel.rssAnonBytes);
  gauge(metricNames.rssFile, 'Resident file-backed memory (RssFile).', (s) => s.kernel.rssFileBytes);
  gauge(metricNames.rssShmem, 'Resident shared memory (RssShmem).', (s) => s.kernel.rssShmemBytes);
  gauge(
    metricNames.virtual,
    'Address space mapped (VmSize): reservations, not memory.',
    (s) => s.kernel.vmSizeBytes,
  );
  gauge(metricNames.swap, 'Swapped out (VmSwap).', (s) => s.kernel.vmSwapBytes);
  for (const [name, help, pick] of [
    [metricNames.spaceUsed, 'V8 heap space in use.', 'usedBytes'],
    [metricNames.spaceSize, 'V8 heap space committed.', 'sizeBytes'],
  ] as const) {
    new Gauge({
      name,
      help,
      labelNames: ['space'],
      registers,
      collect() {
        for (const sp of stats().spaces) this.set({ space: sp.name }, sp[pick]);
      },
    });
  }
  new Gauge({
    name: metricNames.limit,
    help: 'The memory limit that binds first; source is cgroup, heap_size_limit or ram.',
    labelNames: ['source'],
    registers,
    collect() {
      const l = stats().limit;
      this.reset();
      this.set({ source: l.source }, l.bytes);
    },
  });
  const postGc = new Gauge({
    name: metricNames.postGcHeapUsed,
    help: 'V8 heap in use read right after the last major GC: the baseline a leak raises.',
    registers,
  });
  const gcHistogram = new Histogram({
    name: metricNames.gcDuration,
    help: 'GC pauses by kind (minor, major, incremental, weakcb), every GC counted.',
    labelNames: ['kind'],
    buckets: options.gcBuckets ?? GC_BUCKETS,
    registers,
  });
  const stop = onGc((event) => {
    gcHistogram.observe({ kind: event.kind }, event.durationMs / 1000);
    if (event.kind === 'major') postGc.set(v8.getHeapStatistics().used_heap_size);
  });
  return {
    unregister() {
      stop();
      for (const name of Object.values(metricNames)) registry.removeSingleMetric(name);
    },
  };
}

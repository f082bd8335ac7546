// Run with --expose-gc: forces a known number of full GCs and allocation bursts that put many
// scavenges into one observer batch, and prints what memlens counted next to V8's own count
// (v8.GCProfiler, a separate record of every GC) and prom-client's default collector's.
import v8 from 'node:v8';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { gcCounters, registerMemoryMetrics } from '../../../src/runtime/index.js';

const FORCED = Number(process.argv[2] ?? 25);
const BURSTS = Number(process.argv[3] ?? 5);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const defaults = new Registry();
collectDefaultMetrics({ register: defaults });
const ours = new Registry();
registerMemoryMetrics(ours);
const flush = () => new Promise((r) => setTimeout(r, 50));
await flush();

const profiler = new v8.GCProfiler();
const before = gcCounters();
profiler.start();
const promBefore = await histogramCount(defaults, 'nodejs_gc_duration_seconds');
const oursBefore = await histogramCount(ours, 'memlens_node_gc_duration_seconds');
let sink: unknown;
for (let i = 0; i < FORCED; i++) {
  gc();
  // Between forced GCs, a burst without a yield: its scavenges reach the observer together.
  if (i < BURSTS) for (let j = 0; j < 400_000; j++) sink = { j, a: [j, j] };
  await flush();
}
await flush();
const after = gcCounters();
const profile = profiler.stop();
await flush();

const v8Count: Record<string, number> = {};
for (const s of profile.statistics) v8Count[s.gcType] = (v8Count[s.gcType] ?? 0) + 1;
const delta = (k: 'minor' | 'major' | 'incremental' | 'weakcb') => after[k].count - before[k].count;
process.stdout.write(
  `${JSON.stringify({
    forced: FORCED,
    memlens: {
      minor: delta('minor'),
      major: delta('major'),
      incremental: delta('incremental'),
      weakcb: delta('weakcb'),
    },
    v8: v8Count,
    maxBatch: after.maxBatch,
    memlensHistogram: (await histogramCount(ours, 'memlens_node_gc_duration_seconds')) - oursBefore,
    promClientDefault: (await histogramCount(defaults, 'nodejs_gc_duration_seconds')) - promBefore,
    sinkType: typeof sink,
  })}\n`,
);

/** The _count of a histogram, summed over its labels. */
async function histogramCount(registry: Registry, name: string): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no ${name}`);
  const { values } = await metric.get();
  return (values as { metricName?: string; value: number }[])
    .filter((v) => v.metricName === `${name}_count`)
    .reduce((sum, v) => sum + v.value, 0);
}

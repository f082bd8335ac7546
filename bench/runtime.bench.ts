// watchHeap's overhead in a GC-heavy microbenchmark: the same fixed work (small objects, most
// dying young, some kept a while in a ring so they are promoted and need major GCs), in blocks
// that alternate in one process between no memlens at all and watchHeap running (with the GC
// observer it needs). Alternating in one process, not across processes: fresh processes differ
// by 10-15% in CPU time on their own, which would hide a 1% effect. The watcher's own time in its
// callbacks is printed as a share of CPU too: a direct measure of its part.
//
//   node --import tsx bench/runtime.bench.ts [--blocks 10]
import { gcCounters, stopGcAccounting, watchHeap } from '../src/runtime/index.js';

const OBJECTS = 20_000_000;

let sink: unknown;
async function work(): Promise<{ cpuMs: number; wallMs: number }> {
  const ring: unknown[] = new Array(20_000);
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  for (let i = 0; i < OBJECTS; i++) {
    const o = { i, a: [i, i + 1] };
    if ((i & 63) === 0) ring[(i >> 6) % ring.length] = o;
    else sink = o;
    // Yield now and then, as a server does between requests, so the observer gets its batches.
    if ((i & 0xfffff) === 0) await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setTimeout(r, 10));
  const cpu = process.cpuUsage(cpu0);
  return { cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - wall0 };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

const i = process.argv.indexOf('--blocks');
const blocks = i === -1 ? 10 : Number(process.argv[i + 1]);
await work(); // warm-up: JIT and heap sizing
const bare: number[] = [];
const watched: number[] = [];
const self: number[] = [];
const gcsPerSec: number[] = [];
for (let b = 0; b < blocks; b++) {
  bare.push((await work()).cpuMs);
  const watcher = watchHeap();
  const r = await work();
  const c = gcCounters();
  watched.push(r.cpuMs);
  self.push(watcher.state().selfTimeMs / r.cpuMs);
  gcsPerSec.push((c.minor.count + c.major.count + c.incremental.count + c.weakcb.count) / (r.wallMs / 1000));
  watcher.stop();
  stopGcAccounting();
}
const b0 = median(bare);
const w0 = median(watched);
console.log(
  `memlens/runtime watchHeap overhead: ${blocks} blocks of ${OBJECTS / 1e6}M objects each way, alternating`,
);
console.log(`  GC load while watched: median ${median(gcsPerSec).toFixed(0)} GCs/s (sink ${typeof sink})`);
console.log(
  `  CPU per block without memlens: median ${b0.toFixed(0)} ms (${bare.map((x) => x.toFixed(0)).join(', ')})`,
);
console.log(
  `  CPU per block with watchHeap:  median ${w0.toFixed(0)} ms (${watched.map((x) => x.toFixed(0)).join(', ')})`,
);
console.log(`  difference of medians: ${((100 * (w0 - b0)) / b0).toFixed(2)}% (GC observer + watcher)`);
console.log(`  watcher's own callbacks: median ${(100 * median(self)).toFixed(3)}% of CPU`);

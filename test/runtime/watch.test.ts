// watchHeap on real Node children with known behaviour, three at once and the garbage child in a
// minute of its own: a 1 MiB/s leak of retained objects (in a child that also makes garbage, as a
// server does) must be flagged within 60 s; 50 MiB/s of garbage and a steady process must never
// be flagged over the same minute; a Buffer leak with a flat heap must be flagged as external
// growth, not heap growth. Prints the latency, the false positives and the watcher's own CPU time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type NodeChild, startNode } from './_child.js';

const RUN_MS = 62_000;
const MiB = 1024 * 1024;

interface Summary {
  ranSec: number;
  majorGcs: number;
  leaking: Record<string, boolean>;
  heapVerdicts: Record<string, number>;
  externalVerdicts: Record<string, number>;
  lastHeap: string | null;
  lastExternal: string | null;
  selfTimeMs: number;
  cpuMs: number;
  leaks: number;
}

async function run(mode: string): Promise<{ child: NodeChild; startedSec: number; summary: Summary }> {
  const child = startNode('behave.ts', [mode]);
  const ready = await child.waitFor((l) => l.ready === true, 20_000);
  await new Promise((r) => setTimeout(r, RUN_MS));
  const done = child.waitFor((l) => l.summary === true, 15_000);
  await child.stop();
  return { child, startedSec: ready.startedSec as number, summary: (await done) as unknown as Summary };
}

const leaks = (c: NodeChild, kind?: string) =>
  c.lines.filter((l) => l.event === 'leak' && (!kind || l.kind === kind));
const overhead = (s: Summary) =>
  `${s.selfTimeMs.toFixed(1)} ms of ${s.cpuMs.toFixed(0)} ms CPU (${((100 * s.selfTimeMs) / s.cpuMs).toFixed(3)}%)`;

test('watchHeap: leak flagged within 60 s; garbage, steady and Buffer-only heaps never flagged as heap leaks', async (t) => {
  // The garbage child keeps a core busy on its own; beside it on two cores, the leaking child's
  // V8 ran so few major GCs that a minute held under six floors. So it has its minute alone.
  const [leak, steady, buffers] = await Promise.all(['leak', 'steady', 'buffers'].map(run));
  const garbage = await run('garbage');
  assert.ok(leak && garbage && steady && buffers);

  const heapLeak = leaks(leak.child, 'heap')[0];
  assert.ok(heapLeak, `the 1 MiB/s leak was not flagged: ${leak.summary.lastHeap}`);
  const latency = (heapLeak.tSec as number) - leak.startedSec;
  t.diagnostic(
    `leak: flagged ${latency.toFixed(1)} s after it began, after ${heapLeak.majorGcs} major GCs: ${heapLeak.evidence}`,
  );
  assert.ok(latency <= 60, `flagged after ${latency.toFixed(1)} s`);
  const rate = (heapLeak.growthBytesPerMin as number) / 60;
  assert.ok(rate > 0.7 * MiB && rate < 1.3 * MiB, `growth ${rate} B/s, leaked 1 MiB/s (±30%)`);
  assert.equal(heapLeak.limitSource, 'heap_size_limit');
  assert.ok((heapLeak.timeToLimitSec as number) > 0);

  for (const { name, r } of [
    { name: 'garbage (50 MiB/s)', r: garbage },
    { name: 'steady', r: steady },
  ]) {
    const fp = leaks(r.child);
    t.diagnostic(
      `${name}: ${fp.length} false positives over ${r.summary.ranSec.toFixed(0)} s, ${r.summary.majorGcs} major GCs; heap verdicts ${JSON.stringify(r.summary.heapVerdicts)}, external ${JSON.stringify(r.summary.externalVerdicts)}; watcher ${overhead(r.summary)}`,
    );
    assert.equal(fp.length, 0, `${name} was flagged: ${JSON.stringify(fp)}`);
  }
  // The garbage must have reached the old generation, so the heap verdict had floors to judge.
  const judged = Object.entries(garbage.summary.heapVerdicts).filter(([k]) => k !== 'not enough data yet');
  assert.ok(judged.length > 0, `no heap verdict on the garbage child: ${garbage.summary.majorGcs} major GCs`);

  const ext = leaks(buffers.child, 'external')[0];
  assert.ok(ext, `the Buffer leak was not flagged: ${buffers.summary.lastExternal}`);
  t.diagnostic(
    `buffers: external growth flagged ${((ext.tSec as number) - buffers.startedSec).toFixed(1)} s after it began: ${ext.evidence}`,
  );
  assert.equal(leaks(buffers.child, 'heap').length, 0, 'a flat heap must not be flagged as a heap leak');
  t.diagnostic(`watcher overhead: leak ${overhead(leak.summary)}; buffers ${overhead(buffers.summary)}`);
});

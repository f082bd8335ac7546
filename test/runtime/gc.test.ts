// Every GC counted: a child forces a known number of full GCs (--expose-gc) with allocation
// bursts between them that put several scavenges into one observer batch, and compares memlens's
// counts with V8's own record of every GC (v8.GCProfiler) and prom-client's default collector.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startNode } from './_child.js';

test('memlens counts every GC of every batch; prom-client counts one per batch', async (t) => {
  const child = startNode('gc-count.ts', ['25', '5'], { nodeArgs: ['--expose-gc'] });
  const r = await child.waitFor((l) => 'memlens' in l, 60_000);
  await child.stop();
  const ours = r.memlens as Record<string, number>;
  const v8 = r.v8 as Record<string, number>;
  const v8Minor = (v8.Scavenge ?? 0) + (v8.MinorMarkCompact ?? 0) + (v8.MinorMarkSweep ?? 0);
  const v8Total = Object.values(v8).reduce((a, b) => a + b, 0);
  const oursTotal = Object.values(ours).reduce((a, b) => a + b, 0);
  t.diagnostic(
    `V8 saw ${v8Total} GCs (${JSON.stringify(v8)}); memlens counted ${oursTotal} (${JSON.stringify(ours)}), ` +
      `histogram ${r.memlensHistogram}; prom-client's default counted ${r.promClientDefault}; largest batch ${r.maxBatch}`,
  );
  assert.ok((r.maxBatch as number) > 1, 'the bursts must produce batches of several entries');
  assert.equal(ours.major, 25, 'each forced GC is one major GC');
  assert.equal(ours.major, v8.MarkSweepCompact);
  assert.equal(ours.minor, v8Minor);
  assert.equal(oursTotal, v8Total);
  assert.equal(r.memlensHistogram, oursTotal, 'the Prometheus histogram observes every GC too');
  assert.ok((r.promClientDefault as number) < oursTotal, 'prom-client undercounts batched GCs');
});

// memoryStats in this process, and the pure parts: the binding limit, the gap, format negotiation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainGap } from '../../src/runtime/gap.js';
import { negotiate } from '../../src/runtime/handler.js';
import { memoryStats, renderStatsText } from '../../src/runtime/index.js';
import { bindingLimit } from '../../src/runtime/limit.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

test('memoryStats: Node, V8 and the kernel agree on this process; cheap by default', () => {
  const s = memoryStats();
  assert.equal(s.pid, process.pid);
  assert.ok(s.memoryUsage.heapUsedBytes > 0 && s.memoryUsage.heapUsedBytes <= s.memoryUsage.heapTotalBytes);
  assert.ok(s.heap.heapSizeLimitBytes > s.memoryUsage.heapTotalBytes);
  assert.ok(s.heap.nativeContexts >= 1);
  assert.ok(s.spaces.some((sp) => sp.name === 'old_space'));
  assert.ok(s.kernel.vmRssBytes !== null && s.kernel.vmSizeBytes !== null);
  // RSS read twice a moment apart: within 16 MiB.
  assert.ok(Math.abs(s.kernel.vmRssBytes - s.memoryUsage.rssBytes) < 16 * MiB);
  assert.equal(s.kernel.pssBytes, null, 'no smaps_rollup by default');
  assert.match(s.kernel.detailUnknownReason ?? '', /not asked/);
  assert.ok(['cgroup', 'heap_size_limit', 'ram'].includes(s.limit.source));
  const parts = s.gap.parts.reduce((sum, p) => sum + p.bytes, 0);
  assert.ok(parts <= s.gap.rssBytes + MiB, `parts ${parts} add up to at most RSS ${s.gap.rssBytes}`);
  assert.match(renderStatsText(s), /GC since counting began/);
});

test('memoryStats({ detail: true }) adds PSS and USS from smaps_rollup', () => {
  const s = memoryStats({ detail: true });
  assert.ok(s.kernel.pssBytes !== null && s.kernel.ussBytes !== null);
  assert.ok(
    s.kernel.ussBytes <= s.kernel.pssBytes + MiB && s.kernel.pssBytes <= (s.kernel.vmRssBytes ?? 0) + MiB,
  );
  assert.equal(s.kernel.detailUnknownReason, null);
});

test('bindingLimit: the cgroup binds when RSS reaches it before the heap reaches its limit', () => {
  const base = {
    rssBytes: 300 * MiB,
    heapPhysicalBytes: 100 * MiB,
    heapSizeLimitBytes: 2 * GiB,
    ramBytes: 16 * GiB,
  };
  const cg = bindingLimit({ ...base, cgroup: { path: '/pod', limitBytes: 1 * GiB } });
  assert.equal(cg.source, 'cgroup');
  assert.equal(cg.bytes, 1 * GiB);
  // heap 2 GiB + 200 MiB outside it = 2.2 GiB < 4 GiB: V8 runs out first.
  const heap = bindingLimit({ ...base, cgroup: { path: '/pod', limitBytes: 4 * GiB } });
  assert.equal(heap.source, 'heap_size_limit');
  assert.equal(heap.bytes, 2 * GiB);
  assert.equal(bindingLimit({ ...base, cgroup: null }).source, 'heap_size_limit');
  const ram = bindingLimit({ ...base, heapSizeLimitBytes: 32 * GiB, cgroup: null });
  assert.equal(ram.source, 'ram');
  assert.equal(ram.bytes, 16 * GiB);
});

test('explainGap: RSS split from the heap outwards, never below 0', () => {
  const gap = explainGap(
    {
      rssBytes: 0,
      heapTotalBytes: 60 * MiB,
      heapUsedBytes: 40 * MiB,
      externalBytes: 30 * MiB,
      arrayBuffersBytes: 20 * MiB,
    },
    { totalPhysicalBytes: 50 * MiB, mallocedBytes: 5 * MiB } as never,
    {
      vmRssBytes: 200 * MiB,
      rssAnonBytes: 150 * MiB,
      rssFileBytes: 45 * MiB,
      rssShmemBytes: 5 * MiB,
      vmSizeBytes: 1 * GiB,
    } as never,
  );
  const by = Object.fromEntries(gap.parts.map((p) => [p.name, p.bytes]));
  assert.deepEqual(by, {
    'heap-used': 40 * MiB,
    'heap-free': 10 * MiB,
    external: 30 * MiB,
    'v8-malloc': 5 * MiB,
    'code-and-files': 45 * MiB,
    shmem: 5 * MiB,
    'other-native': 65 * MiB,
  });
  assert.equal(gap.gapBytes, 160 * MiB);
  assert.equal(gap.reservedBytes, 1 * GiB - 200 * MiB);
  // External larger than the anonymous memory left: capped, other-native 0.
  const capped = explainGap(
    {
      rssBytes: 0,
      heapTotalBytes: 0,
      heapUsedBytes: 40 * MiB,
      externalBytes: 500 * MiB,
      arrayBuffersBytes: 0,
    },
    { totalPhysicalBytes: 40 * MiB, mallocedBytes: 0 } as never,
    {
      vmRssBytes: 100 * MiB,
      rssAnonBytes: 90 * MiB,
      rssFileBytes: 10 * MiB,
      rssShmemBytes: 0,
      vmSizeBytes: null,
    } as never,
  );
  assert.equal(capped.parts.find((p) => p.name === 'external')?.bytes, 50 * MiB);
  assert.equal(capped.parts.find((p) => p.name === 'other-native')?.bytes, 0);
});

test('negotiate: query first, then Accept; Prometheus scrapes get exposition', () => {
  const cases: [string, string | undefined, string][] = [
    ['/m', undefined, 'json'],
    ['/m', 'application/json', 'json'],
    ['/m', 'text/plain', 'text'],
    ['/m', 'text/plain;version=0.0.4', 'prometheus'],
    ['/m?format=prometheus', 'application/json', 'prometheus'],
    ['/m?format=text', undefined, 'text'],
    [
      '/m',
      'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
      'openmetrics',
    ],
  ];
  for (const [url, accept, want] of cases) assert.equal(negotiate(url, accept), want, `${url} ${accept}`);
});

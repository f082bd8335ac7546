// The badness formula and kill order, against numbers worked by hand from mm/oom_kill.c, and
// the OOM findings at their boundaries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  badness,
  exemptReason,
  globalTotalPages,
  kubernetesQos,
  nodeHeapLimitFromArgs,
  type OomCandidate,
  oomScore,
  rankForOom,
} from '../../src/analysis/oom.js';
import { explainOom, type OomCgroupInput, type OomFindingsInput } from '../../src/analysis/oom-findings.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const PAGE = 4096;

function proc(pid: number, rssMiB: number, adj = 0, extra: Partial<OomCandidate> = {}): OomCandidate {
  return {
    pid,
    name: `p${pid}`,
    rssBytes: rssMiB * MiB,
    swapBytes: 0,
    pageTablesBytes: 0,
    oomScoreAdj: adj,
    kernelThread: false,
    ...extra,
  };
}

describe('badness and oom_score', () => {
  const total = globalTotalPages(16 * GiB, 0, PAGE); // 4,194,304 pages

  it('adds rss, swap and page-table pages, and scales the adj by totalpages / 1000 (divided first)', () => {
    const b = badness(proc(10, 100, 0, { swapBytes: 8 * MiB, pageTablesBytes: 409600 }), total, PAGE);
    assert.deepEqual(b, {
      rssPages: 25600,
      swapPages: 2048,
      pageTablePages: 100,
      adjPoints: 0,
      totalPages: total,
      points: 27748,
    });
    // 4,194,304 / 1000 = 4194 (truncated) per adj point.
    assert.equal(badness(proc(10, 0, 500), total, PAGE)?.adjPoints, 500 * 4194);
    assert.equal(badness(proc(10, 0, -500), total, PAGE)?.adjPoints, -500 * 4194);
  });

  it('maps badness to /proc/PID/oom_score: (1000 + points*1000/total) * 2/3, truncated', () => {
    // 27748 * 1000 / 4194304 = 6.6 -> 6; (1000 + 6) * 2 / 3 = 670.67 -> 670
    assert.equal(
      oomScore(badness(proc(10, 100, 0, { swapBytes: 8 * MiB, pageTablesBytes: 409600 }), total, PAGE)),
      670,
    );
    assert.equal(oomScore(badness(proc(10, 0, 0), total, PAGE)), 666);
    // adj 1000 with no memory: 1000 + 4194000*1000/4194304 = 1999 -> 1332
    assert.equal(oomScore(badness(proc(10, 0, 1000), total, PAGE)), 1332);
    // adj -999: -999*4194*1000/4194304 = -998.9, truncated toward zero to -998: (1000-998)*2/3 = 1.
    assert.equal(oomScore(badness(proc(10, 0, -999), total, PAGE)), 1);
    assert.equal(oomScore(null), 0);
  });

  it('exempts kernel threads, init, adj -1000 and tasks without memory', () => {
    assert.equal(exemptReason(proc(1, 10)), 'init');
    assert.equal(exemptReason(proc(5, 10, -1000)), 'oom_score_adj -1000');
    assert.equal(exemptReason(proc(5, 10, 0, { kernelThread: true })), 'kernel thread');
    assert.equal(exemptReason(proc(5, 10, 0, { rssBytes: null })), 'no memory');
    assert.equal(exemptReason(proc(5, 10, -999)), null);
    assert.equal(badness(proc(5, 10, -1000), total, PAGE), null);
  });

  it('ranks the way the kernel picks: highest badness first, exempt last', () => {
    const ranked = rankForOom(
      [proc(20, 100), proc(21, 300), proc(22, 10, 1000), proc(23, 900, -1000), proc(1, 50)],
      total,
      PAGE,
    );
    assert.deepEqual(
      ranked.map((r) => r.process.pid),
      [22, 21, 20, 1, 23],
    );
    assert.equal(ranked[3]?.exempt, 'init');
    assert.equal(ranked[4]?.exempt, 'oom_score_adj -1000');
  });

  it('inside a cgroup the adj weighs by the limit, so the order can differ from the global one', () => {
    const limit = Math.floor((512 * MiB) / PAGE); // 131072 pages -> 131 pages per adj point
    // Globally an adj of 100 is worth 419,400 pages and beats 300 MiB; in 512 MiB it is 13,100.
    const a = proc(30, 300);
    const b = proc(31, 10, 100);
    assert.deepEqual(
      rankForOom([a, b], total, PAGE).map((r) => r.process.pid),
      [31, 30],
    );
    assert.deepEqual(
      rankForOom([a, b], limit, PAGE).map((r) => r.process.pid),
      [30, 31],
    );
  });
});

describe('kubernetesQos and the Node heap flag', () => {
  it('reads the QoS class from the cgroup path, else from the kubelet adj', () => {
    assert.equal(kubernetesQos('/kubepods.slice/kubepods-besteffort.slice/x', 1000), 'BestEffort');
    assert.equal(kubernetesQos('/kubepods/burstable/pod123/abc', 500), 'Burstable');
    assert.equal(kubernetesQos('/kubepods/pod123/abc', -997), 'Guaranteed');
    assert.equal(kubernetesQos('/system.slice/nginx.service', -997), null);
  });

  it('takes the last --max-old-space-size (MiB)', () => {
    assert.equal(nodeHeapLimitFromArgs(['node', '--max-old-space-size=512', 'app.js']), 512 * MiB);
    assert.equal(
      nodeHeapLimitFromArgs(['node', '--max_old_space_size=64', '--max-old-space-size=128']),
      128 * MiB,
    );
    assert.equal(nodeHeapLimitFromArgs(['node', 'app.js', '--max-old-space-size']), null);
  });
});

/** A cgroup whose own limit binds, unless `binding` says otherwise. */
const cg = (x: Partial<OomCgroupInput>): OomCgroupInput => {
  const g = {
    path: '/app',
    limitBytes: 512 * MiB,
    limitSetBy: '/app',
    usageBytes: 100 * MiB,
    workingSetBytes: 100 * MiB,
    inactiveFileBytes: 0,
    shmemBytes: 0,
    ...x,
  };
  const own = Number.isFinite(g.limitBytes)
    ? { setBy: g.path, limitBytes: g.limitBytes, workingSetBytes: g.workingSetBytes, sharedWith: 0 }
    : null;
  return { ...g, binding: x.binding === undefined ? own : x.binding };
};

function ids(input: Partial<OomFindingsInput>): string[] {
  return explainOom({
    memTotalBytes: 16 * GiB,
    swapTotalBytes: 0,
    swapFreeBytes: 0,
    psi: null,
    cgroups: [],
    processes: [],
    ...input,
  }).map((f) => f.id);
}

describe('OOM findings', () => {
  it('limit-below-ram only for a finite limit under MemTotal', () => {
    assert.ok(ids({ cgroups: [cg({})] }).includes('limit-below-ram'));
    assert.ok(!ids({ cgroups: [cg({ limitBytes: Number.POSITIVE_INFINITY })] }).includes('limit-below-ram'));
    assert.ok(!ids({ cgroups: [cg({ limitBytes: 16 * GiB })] }).includes('limit-below-ram'));
  });

  it('working-set-near-limit from 80%, a warning from 90%', () => {
    const at = (ws: number) =>
      explainOom({
        memTotalBytes: 16 * GiB,
        swapTotalBytes: 0,
        swapFreeBytes: 0,
        psi: null,
        cgroups: [cg({ workingSetBytes: ws, usageBytes: ws })],
        processes: [],
      }).find((f) => f.id === 'working-set-near-limit');
    assert.equal(at(0.79 * 512 * MiB), undefined);
    assert.equal(at(0.8 * 512 * MiB)?.severity, 'notice');
    assert.equal(at(0.9 * 512 * MiB)?.severity, 'warning');
    assert.equal(at(Number.NaN), undefined);
  });

  it('working-set-near-limit for a child whose parent limit is nearly used up by its siblings', () => {
    const child = cg({
      path: '/p/a',
      limitBytes: 160 * MiB,
      limitSetBy: '/p',
      usageBytes: 60 * MiB,
      workingSetBytes: 60 * MiB,
      binding: { setBy: '/p', limitBytes: 160 * MiB, workingSetBytes: 150 * MiB, sharedWith: 1 },
    });
    const f = explainOom({
      memTotalBytes: 16 * GiB,
      swapTotalBytes: 0,
      swapFreeBytes: 0,
      psi: null,
      cgroups: [child],
      processes: [],
    }).find((x) => x.id === 'working-set-near-limit');
    assert.equal(f?.severity, 'warning');
    assert.equal(
      f?.summary,
      'Cgroup /p/a lives under /p, whose working set is 150 MiB, 94% of its 160 MiB limit, shared with 1 other cgroup under /p.',
    );
    assert.equal(f?.evidence.limitCgroup, '/p');
  });

  it('page-cache-reclaimable when usage is high but mostly cache', () => {
    assert.ok(
      ids({ cgroups: [cg({ usageBytes: 500 * MiB, workingSetBytes: 200 * MiB })] }).includes(
        'page-cache-reclaimable',
      ),
    );
    assert.ok(
      !ids({ cgroups: [cg({ usageBytes: 500 * MiB, workingSetBytes: 400 * MiB })] }).includes(
        'page-cache-reclaimable',
      ),
    );
    assert.ok(!ids({ cgroups: [cg({ usageBytes: null })] }).includes('page-cache-reclaimable'));
  });

  it('tmpfs-held from 16 MiB and 20% of usage', () => {
    assert.ok(ids({ cgroups: [cg({ usageBytes: 100 * MiB, shmemBytes: 20 * MiB })] }).includes('tmpfs-held'));
    assert.ok(
      !ids({ cgroups: [cg({ usageBytes: 100 * MiB, shmemBytes: 19 * MiB })] }).includes('tmpfs-held'),
    );
    assert.ok(!ids({ cgroups: [cg({ usageBytes: 50 * MiB, shmemBytes: 15 * MiB })] }).includes('tmpfs-held'));
    assert.ok(!ids({ cgroups: [cg({ shmemBytes: null })] }).includes('tmpfs-held'));
  });

  it('oom-score-adj-max, node-heap-above-limit and kubernetes-qos come from the processes', () => {
    const p = {
      pid: 7,
      name: 'node',
      cgroup: '/kubepods/besteffort/pod1/c1',
      oomScoreAdj: 1000,
      heapLimitBytes: 4 * GiB,
      cgroupLimitBytes: 1 * GiB,
    };
    assert.deepEqual(ids({ processes: [p] }).sort(), [
      'kubernetes-qos',
      'node-heap-above-limit',
      'oom-score-adj-max',
    ]);
    // A heap limit that leaves the native headroom inside the cgroup limit is fine.
    const fine = { ...p, oomScoreAdj: 0, cgroup: null, heapLimitBytes: 512 * MiB };
    assert.deepEqual(ids({ processes: [fine] }), []);
    assert.deepEqual(
      ids({ processes: [{ ...fine, cgroupLimitBytes: Number.POSITIVE_INFINITY, heapLimitBytes: 64 * GiB }] }),
      [],
    );
  });

  it('swap-full below 10% free, memory-pressure from PSI avg60', () => {
    assert.ok(ids({ swapTotalBytes: GiB, swapFreeBytes: 0.05 * GiB }).includes('swap-full'));
    assert.ok(!ids({ swapTotalBytes: GiB, swapFreeBytes: 0.2 * GiB }).includes('swap-full'));
    assert.ok(!ids({ swapTotalBytes: 0, swapFreeBytes: 0 }).includes('swap-full'));
    const line = (avg60: number) => ({ avg10: 0, avg60, avg300: 0, totalMicros: 0 });
    assert.ok(ids({ psi: { some: line(12), full: line(0) } }).includes('memory-pressure'));
    assert.ok(ids({ psi: { some: line(1), full: line(6) } }).includes('memory-pressure'));
    assert.ok(!ids({ psi: { some: line(9), full: line(4) } }).includes('memory-pressure'));
  });
});

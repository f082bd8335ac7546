// The oom report's cgroup v2 paths, on whole-machine trees captured by elastic (this machine has
// no v2 memory controller): docker2 is v2 in a cgroup namespace, amzn2 a v1 Kubernetes pod.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readCgroupHeadroom } from '../../src/collect/cgroup-headroom.js';
import { listMemoryCgroups } from '../../src/collect/cgroups.js';
import type { OomCollection } from '../../src/collect/oom.js';
import { readCgroupMemory } from '../../src/procfs/cgroup_usage.js';
import { createProcFs } from '../../src/procfs/fs.js';
import { parseMeminfo } from '../../src/procfs/meminfo.js';
import { buildOomReport } from '../../src/reports/oom.js';

const corpus = (p: string) => fileURLToPath(new URL(`../fixtures/corpora/${p}`, import.meta.url));
const meminfoPath = corpus('procfs/proc/meminfo');
const meminfo = parseMeminfo(readFileSync(meminfoPath, 'utf8'), meminfoPath);

function collectionFor(tree: string): OomCollection {
  const fs = createProcFs(corpus(`elastic-cgroup/${tree}`));
  return {
    meminfo,
    sysctl: { overcommitMemory: 0, overcommitRatio: 50, panicOnOom: 0, oomKillAllocatingTask: 0 },
    psi: null,
    oomKills: null,
    processes: [],
    cgroups: listMemoryCgroups(fs).map(({ cgroup, pids }) => ({
      memory: readCgroupMemory(fs, cgroup),
      pids,
      headroom: readCgroupHeadroom(fs, cgroup),
    })),
    kills: [],
    killsUnknownReason: 'not read in this test',
  };
}

test('v2 (docker2): hierarchical events, PSI and no limit come through to the report', () => {
  const report = buildOomReport(collectionFor('docker2'), 4096);
  const [g] = report.cgroups;
  assert.ok(g);
  assert.equal(g.version, 2);
  assert.equal(g.path, '/user.slice/user-1000.slice/session-520.scope');
  assert.equal(g.limitBytes, null, 'no limit is null, not a huge number');
  assert.equal(g.limitSetBy, null);
  assert.equal(g.headroomBytes, null);
  assert.equal(g.killOrder, null);
  assert.equal(g.eventsScope, 'hierarchical');
  assert.deepEqual(g.events, { oom: 0, oomKill: 0, max: 0, high: 0 });
  assert.equal(g.psi?.full?.totalMicros, 1677369);
  assert.equal(g.workingSetBytes, 10498404352 - 6685749248);
  assert.deepEqual(g.pids, [2233801]);
  // JSON: Infinity never leaks out; no limit is null.
  const json = JSON.parse(JSON.stringify(report));
  assert.equal(json.cgroups[0].limitBytes, null);
});

test('v1 Kubernetes pod (amzn2): the pod limit binds below host RAM', () => {
  const report = buildOomReport(collectionFor('amzn2'), 4096);
  const pod = report.cgroups.find((g) => g.path.includes('kubepods'));
  assert.ok(pod);
  assert.equal(pod.version, 1);
  assert.equal(pod.limitBytes, 2 * 1024 ** 3);
  assert.equal(pod.eventsScope, 'local');
  assert.deepEqual(pod.killOrder, [], 'no process figures were collected');
  const f = report.findings.find((x) => x.id === 'limit-below-ram' && x.evidence.cgroup === pod.path);
  assert.ok(f, report.findings.map((x) => x.id).join(', '));
});

// OOM kill reports in the kernel log: the two captured memcg kills, inline reports in the formats
// of older kernels and of the global OOM killer, everything that is not a kill (ignored, never an
// error), generated reports, and a real memory cgroup OOM kill made here and found in /dev/kmsg.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { basename } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { createProcFs } from '../../src/procfs/fs.js';
import { type KmsgRecord, readKmsg } from '../../src/procfs/kmsg.js';
import { type OomKill, parseOomKills } from '../../src/procfs/oom_kills.js';
import { parseProcStat, readBootTimeSec } from '../../src/procfs/proc_stat.js';
import { cgroupUnavailable, createCgroup } from '../helpers/cgroup.js';
import { tableTests } from './_assert.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/kmsg/', import.meta.url));
const KiB = 1024;
const MiB = 1024 * KiB;

/** The kill with every field unknown; rows override what their report gives. */
function kill(fields: Partial<OomKill>): OomKill {
  return {
    time: null,
    monotonicSec: 0,
    pid: 0,
    name: '',
    uid: null,
    constraint: null,
    oomMemcg: null,
    taskMemcg: null,
    totalVmBytes: null,
    anonRssBytes: null,
    fileRssBytes: null,
    shmemRssBytes: null,
    pageTablesBytes: null,
    oomScoreAdj: null,
    invokedBy: null,
    invokedByPid: null,
    ...fields,
  };
}

describe('fixtures: memory cgroup OOM kills captured on this machine (kernel 6.18, cgroup v1)', () => {
  test('memcg-oom: node allocating past a 32 MiB limit', () => {
    const fs = createProcFs(`${FIXTURES}memcg-oom`);
    assert.equal(readBootTimeSec(fs), 1795628133);
    assert.deepEqual(parseOomKills(readKmsg(fs), readBootTimeSec(fs)), [
      {
        // btime 1795628133 + 2801.959326 s
        time: '2026-11-25T18:22:14.959Z',
        monotonicSec: 2801.959326,
        pid: 16915,
        name: 'node',
        uid: 0,
        constraint: 'CONSTRAINT_MEMCG',
        oomMemcg: '/memlens-kmsg-capture-13908',
        taskMemcg: '/memlens-kmsg-capture-13908',
        totalVmBytes: 754964 * KiB,
        anonRssBytes: 32000 * KiB,
        fileRssBytes: 33552 * KiB,
        shmemRssBytes: 0,
        pageTablesBytes: 428 * KiB,
        oomScoreAdj: 0,
        invokedBy: 'node',
        invokedByPid: 16915,
      },
    ]);
  });

  test('memcg-oom-odd-name: the same, run as "my (app) v2)"', () => {
    const fs = createProcFs(`${FIXTURES}memcg-oom-odd-name`);
    assert.deepEqual(parseOomKills(readKmsg(fs), readBootTimeSec(fs)), [
      {
        time: '2026-11-25T18:22:22.774Z',
        monotonicSec: 2809.774854,
        pid: 17357,
        name: 'my (app) v2)',
        uid: 0,
        constraint: 'CONSTRAINT_MEMCG',
        oomMemcg: '/memlens-kmsg-capture-13908',
        taskMemcg: '/memlens-kmsg-capture-13908',
        totalVmBytes: 753936 * KiB,
        anonRssBytes: 31872 * KiB,
        fileRssBytes: 33552 * KiB,
        shmemRssBytes: 0,
        pageTablesBytes: 432 * KiB,
        oomScoreAdj: 0,
        invokedBy: 'my (app) v2)',
        invokedByPid: 17357,
      },
    ]);
  });

  test('without the boot time a kill has no date, only its time since boot', () => {
    const [k] = parseOomKills(readKmsg(createProcFs(`${FIXTURES}memcg-oom`)), null);
    assert.equal(k?.time, null);
    assert.equal(k?.monotonicSec, 2801.959326);
  });
});

tableTests('/proc/stat btime', '/proc/stat', (text) => parseProcStat(text, '/proc/stat'), [
  [
    'btime among the other lines',
    'cpu  1 2 3\nctxt 5\nbtime 1795628133\nprocesses 9\n',
    { bootTimeSec: 1795628133 },
  ],
  ['no btime line', 'cpu  1 2 3\n', { bootTimeSec: null }],
  ['another key that starts with btime', 'btimex 5\n', { bootTimeSec: null }],
  ['btime not a number', 'btime soon\n', 'error'],
  ['btime with two values', 'btime 1 2\n', 'error'],
  ['btime without a value', 'btime\n', 'error'],
]);

/** Kernel records (facility 0) one millisecond apart, from message texts. */
function records(messages: string[], facility: number | null = 0): KmsgRecord[] {
  return messages.map((message, i) => ({
    priority: facility === null ? null : 6,
    facility,
    sequence: facility === null ? null : 100 + i,
    monotonicUsec: 5_000_000 + i * 1000,
    message,
  }));
}
const sec = (i: number) => (5_000_000 + i * 1000) / 1e6;

type Row = [name: string, messages: string[], expected: OomKill[]];
const ROWS: Row[] = [
  [
    'global OOM (6.x): CONSTRAINT_NONE, global_oom instead of oom_memcg',
    [
      'stress invoked oom-killer: gfp_mask=0x140dca(GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_ZERO), order=0, oom_score_adj=0',
      'CPU: 3 UID: 1000 PID: 4242 Comm: stress Not tainted 6.8.0-49-generic #49-Ubuntu',
      'oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/user.slice/user-1000.slice/session-2.scope,task=stress,pid=4243,uid=1000',
      'Out of memory: Killed process 4243 (stress) total-vm:8392940kB, anon-rss:7890000kB, file-rss:4kB, shmem-rss:0kB, UID:1000 pgtables:15460kB oom_score_adj:0',
      'oom_reaper: reaped process 4243 (stress), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB',
    ],
    [
      kill({
        monotonicSec: sec(3),
        pid: 4243,
        name: 'stress',
        uid: 1000,
        constraint: 'CONSTRAINT_NONE',
        taskMemcg: '/user.slice/user-1000.slice/session-2.scope',
        totalVmBytes: 8392940 * KiB,
        anonRssBytes: 7890000 * KiB,
        fileRssBytes: 4 * KiB,
        shmemRssBytes: 0,
        pageTablesBytes: 15460 * KiB,
        oomScoreAdj: 0,
        invokedBy: 'stress',
        invokedByPid: 4242,
      }),
    ],
  ],
  [
    '5.x before UID and pgtables: prefix, four sizes',
    [
      'oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=docker-1a2b.scope,mems_allowed=0,oom_memcg=/docker/1a2b,task_memcg=/docker/1a2b,task=java,pid=77,uid=1001',
      'Memory cgroup out of memory: Killed process 77 (java) total-vm:4000000kB, anon-rss:500000kB, file-rss:20000kB, shmem-rss:1024kB',
    ],
    [
      kill({
        monotonicSec: sec(1),
        pid: 77,
        name: 'java',
        uid: 1001,
        constraint: 'CONSTRAINT_MEMCG',
        oomMemcg: '/docker/1a2b',
        taskMemcg: '/docker/1a2b',
        totalVmBytes: 4000000 * KiB,
        anonRssBytes: 500000 * KiB,
        fileRssBytes: 20000 * KiB,
        shmemRssBytes: 1024 * KiB,
      }),
    ],
  ],
  [
    '4.19: the summary line, then "Kill process ... sacrifice child" and an unprefixed Killed line',
    [
      'java invoked oom-killer: gfp_mask=0x6000c0(GFP_KERNEL), nodemask=(null), order=0, oom_score_adj=-998',
      'oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=abc,mems_allowed=0,oom_memcg=/kubepods/pod1,task_memcg=/kubepods/pod1/abc,task=java,pid=1234,uid=0',
      'Memory cgroup out of memory: Kill process 1234 (java) score 1986 or sacrifice child',
      'Killed process 1234 (java) total-vm:2000000kB, anon-rss:262144kB, file-rss:0kB, shmem-rss:0kB',
    ],
    [
      kill({
        monotonicSec: sec(3),
        pid: 1234,
        name: 'java',
        uid: 0,
        constraint: 'CONSTRAINT_MEMCG',
        oomMemcg: '/kubepods/pod1',
        taskMemcg: '/kubepods/pod1/abc',
        totalVmBytes: 2000000 * KiB,
        anonRssBytes: 256 * MiB,
        fileRssBytes: 0,
        shmemRssBytes: 0,
        invokedBy: 'java',
      }),
    ],
  ],
  [
    '4.9: no summary line, so no constraint, memcgs or uid',
    [
      'Memory cgroup out of memory: Kill process 1234 (java) score 1000 or sacrifice child',
      'Killed process 1234 (java) total-vm:2000000kB, anon-rss:1000kB, file-rss:2000kB, shmem-rss:3000kB',
    ],
    [
      kill({
        monotonicSec: sec(1),
        pid: 1234,
        name: 'java',
        totalVmBytes: 2000000 * KiB,
        anonRssBytes: 1000 * KiB,
        fileRssBytes: 2000 * KiB,
        shmemRssBytes: 3000 * KiB,
      }),
    ],
  ],
  [
    '3.x: no shmem-rss',
    ['Killed process 99 (mysqld) total-vm:123456kB, anon-rss:100kB, file-rss:4kB'],
    [
      kill({
        monotonicSec: sec(0),
        pid: 99,
        name: 'mysqld',
        totalVmBytes: 123456 * KiB,
        anonRssBytes: 100 * KiB,
        fileRssBytes: 4 * KiB,
      }),
    ],
  ],
  [
    'oom_kill_allocating_task, a negative oom_score_adj',
    [
      'Out of memory (oom_kill_allocating_task): Killed process 5 (a) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB, UID:7 pgtables:4kB oom_score_adj:-999',
    ],
    [
      kill({
        monotonicSec: sec(0),
        pid: 5,
        name: 'a',
        uid: 7,
        totalVmBytes: KiB,
        anonRssBytes: KiB,
        fileRssBytes: 0,
        shmemRssBytes: 0,
        pageTablesBytes: 4 * KiB,
        oomScoreAdj: -999,
      }),
    ],
  ],
  [
    'names with spaces, parentheses and commas; commas in node lists and the cpuset path',
    [
      'oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=0-1,3,cpuset=/a,b,mems_allowed=0-1,3,oom_memcg=/x,y,task_memcg=/x,y/z,task=a,task=b),pid=8,uid=0',
      'Memory cgroup out of memory: Killed process 8 (a,task=b)) total-vm:1kB, anon-rss:2kB, file-rss:3kB, shmem-rss:4kB, UID:0 pgtables:5kB oom_score_adj:6',
      'Out of memory: Killed process 9 ((x) total-vm:) total-vm:10kB, anon-rss:0kB, file-rss:0kB, shmem-rss:0kB',
    ],
    [
      kill({
        monotonicSec: sec(1),
        pid: 8,
        name: 'a,task=b)',
        uid: 0,
        constraint: 'CONSTRAINT_MEMCG',
        oomMemcg: '/x,y',
        taskMemcg: '/x,y/z',
        totalVmBytes: KiB,
        anonRssBytes: 2 * KiB,
        fileRssBytes: 3 * KiB,
        shmemRssBytes: 4 * KiB,
        pageTablesBytes: 5 * KiB,
        oomScoreAdj: 6,
      }),
      kill({
        monotonicSec: sec(2),
        pid: 9,
        name: '(x) total-vm:',
        totalVmBytes: 10 * KiB,
        anonRssBytes: 0,
        fileRssBytes: 0,
        shmemRssBytes: 0,
      }),
    ],
  ],
  [
    'two reports interleaved by two CPUs pair by pid',
    [
      'oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/a,task_memcg=/a,task=a,pid=1,uid=0',
      'oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/b,task_memcg=/b,task=b,pid=2,uid=0',
      'Memory cgroup out of memory: Killed process 2 (b) total-vm:1kB, anon-rss:1kB, file-rss:1kB, shmem-rss:1kB',
      'Memory cgroup out of memory: Killed process 1 (a) total-vm:2kB, anon-rss:2kB, file-rss:2kB, shmem-rss:2kB',
    ],
    [
      kill({
        monotonicSec: sec(2),
        pid: 2,
        name: 'b',
        uid: 0,
        constraint: 'CONSTRAINT_MEMCG',
        oomMemcg: '/b',
        taskMemcg: '/b',
        totalVmBytes: KiB,
        anonRssBytes: KiB,
        fileRssBytes: KiB,
        shmemRssBytes: KiB,
      }),
      kill({
        monotonicSec: sec(3),
        pid: 1,
        name: 'a',
        uid: 0,
        constraint: 'CONSTRAINT_MEMCG',
        oomMemcg: '/a',
        taskMemcg: '/a',
        totalVmBytes: 2 * KiB,
        anonRssBytes: 2 * KiB,
        fileRssBytes: 2 * KiB,
        shmemRssBytes: 2 * KiB,
      }),
    ],
  ],
  [
    'a report that killed nothing lends its invoker to no later kill',
    [
      'a invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0',
      'Memory cgroup out of memory: OOM victim 3 (a) is already exiting. Skip killing the task',
      'Out of memory: Killed process 4 (b) total-vm:1kB, anon-rss:1kB, file-rss:1kB, shmem-rss:1kB',
    ],
    [
      kill({
        monotonicSec: sec(2),
        pid: 4,
        name: 'b',
        totalVmBytes: KiB,
        anonRssBytes: KiB,
        fileRssBytes: KiB,
        shmemRssBytes: KiB,
      }),
    ],
  ],
  [
    'a summary line for another pid does not pair',
    [
      'oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/a,task_memcg=/a,task=a,pid=1,uid=0',
      'Killed process 2 (b) total-vm:1kB, anon-rss:1kB, file-rss:1kB, shmem-rss:1kB',
    ],
    [
      kill({
        monotonicSec: sec(1),
        pid: 2,
        name: 'b',
        totalVmBytes: KiB,
        anonRssBytes: KiB,
        fileRssBytes: KiB,
        shmemRssBytes: KiB,
      }),
    ],
  ],
  [
    'sizes beyond 2^53 bytes are unknown, not rounded',
    [
      'Killed process 2 (b) total-vm:99999999999999999kB, anon-rss:9007199254740991kB, file-rss:1kB, shmem-rss:1kB',
    ],
    [
      kill({
        monotonicSec: sec(0),
        pid: 2,
        name: 'b',
        fileRssBytes: KiB,
        shmemRssBytes: KiB,
      }),
    ],
  ],
  [
    'messages that are not kills',
    [
      'Out of memory: Kill process 1 (x) score 1000 or sacrifice child',
      'oom_reaper: reaped process 1 (x), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB',
      'xKilled process 1 (x) total-vm:1kB',
      'Killed process 1 (x) without sizes',
      'Killed process x (y) total-vm:1kB',
      'Killed process 1 x) total-vm:1kB',
      'oom-kill:constraint=CONSTRAINT_NONE,task=x,pid=abc,uid=0',
      'invoked oom-killer: with no name',
      'Memory cgroup stats for /memlens-probe:',
    ],
    [],
  ],
];

describe('reports in many kernels formats', () => {
  for (const [name, messages, expected] of ROWS) {
    test(name, () => assert.deepEqual(parseOomKills(records(messages), null), expected));
  }

  test('the date is boot time plus time since boot', () => {
    const [k] = parseOomKills(records(['Killed process 1 (x) total-vm:1kB, anon-rss:1kB']), 1_700_000_000);
    assert.equal(k?.time, '2023-11-14T22:13:25.000Z');
  });
  test('saved dmesg text (no facility) counts', () => {
    const kills = parseOomKills(records(['Killed process 1 (x) total-vm:1kB'], null), null);
    assert.deepEqual(
      kills.map((k) => k.pid),
      [1],
    );
  });
  test('a report written from user space (facility 1) is not the kernel', () => {
    assert.deepEqual(parseOomKills(records(['Killed process 1 (x) total-vm:1kB'], 1), null), []);
  });
});

describe('properties', () => {
  const options = { seed: 20261125, numRuns: 300 };
  const pieces = [
    'Killed process ',
    'Out of memory: ',
    'oom-kill:',
    'constraint=',
    ',task=',
    ',task_memcg=',
    ',oom_memcg=',
    ',pid=',
    ',uid=',
    ' invoked oom-killer:',
    'CPU: 1 PID: ',
    ') total-vm:',
    'kB',
    ', anon-rss:',
    'oom_score_adj:',
    '(',
    ')',
    ' ',
    ',',
    '1',
    '-1',
    '99999999999999999999',
    'x',
  ];
  const message = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 120 }),
    fc.array(fc.constantFrom(...pieces), { maxLength: 30 }).map((p) => p.join('')),
  );
  const record = fc.record({
    priority: fc.option(fc.nat(7)),
    facility: fc.option(fc.nat(3)),
    sequence: fc.option(fc.nat()),
    monotonicUsec: fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER)),
    message,
  });

  test('any records: never throws, and no integer is rounded', () => {
    fc.assert(
      fc.property(
        fc.array(record, { maxLength: 20 }),
        fc.option(fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER))),
        (rs, boot) => {
          for (const k of parseOomKills(rs, boot)) {
            for (const [key, v] of Object.entries(k)) {
              if (typeof v === 'number' && key !== 'monotonicSec')
                assert.ok(Number.isSafeInteger(v), `${key} is ${v}`);
            }
          }
        },
      ),
      options,
    );
  });

  test('generated reports give back their values', () => {
    // comm: up to 15 characters, anything but the line-ending escapes the kernel makes.
    const comm = fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 15 });
    const cgroup = fc.stringMatching(/^\/[a-z0-9.,_/-]{0,30}$/);
    const kb = fc.nat(1 << 30);
    fc.assert(
      fc.property(
        comm,
        comm,
        fc.integer({ min: 1, max: 4194304 }),
        fc.nat(65535),
        fc.boolean(),
        cgroup,
        cgroup,
        fc.tuple(kb, kb, kb, kb, kb),
        fc.integer({ min: -1000, max: 1000 }),
        (invoker, name, pid, uid, memcg, oomMemcg, taskMemcg, [vm, anon, file, shmem, pt], adj) => {
          const constraint = memcg ? 'CONSTRAINT_MEMCG' : 'CONSTRAINT_NONE';
          const context = memcg ? `oom_memcg=${oomMemcg}` : 'global_oom';
          const messages = [
            `${invoker} invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0`,
            `CPU: 0 UID: ${uid} PID: ${pid + 1} Comm: ${invoker} Not tainted 6.18.0 #1`,
            `oom-kill:constraint=${constraint},nodemask=(null),cpuset=/,mems_allowed=0,${context},task_memcg=${taskMemcg},task=${name},pid=${pid},uid=${uid}`,
            `${memcg ? 'Memory cgroup out' : 'Out'} of memory: Killed process ${pid} (${name}) total-vm:${vm}kB, anon-rss:${anon}kB, file-rss:${file}kB, shmem-rss:${shmem}kB, UID:${uid} pgtables:${pt}kB oom_score_adj:${adj}`,
          ];
          assert.deepEqual(parseOomKills(records(messages), 1_700_000_000), [
            {
              time: new Date(1_700_000_000_000 + sec(3) * 1000).toISOString(),
              monotonicSec: sec(3),
              pid,
              name,
              uid,
              constraint,
              oomMemcg: memcg ? oomMemcg : null,
              taskMemcg,
              totalVmBytes: vm * KiB,
              anonRssBytes: anon * KiB,
              fileRssBytes: file * KiB,
              shmemRssBytes: shmem * KiB,
              pageTablesBytes: pt * KiB,
              oomScoreAdj: adj,
              invokedBy: invoker,
              invokedByPid: pid + 1,
            },
          ]);
        },
      ),
      options,
    );
  });
});

test('live: a real memory cgroup OOM kill is found in /dev/kmsg', async (t) => {
  const why = cgroupUnavailable();
  if (why) return t.skip(`${why}; CI runs it as root`);
  const limit = 32 * MiB;
  const cg = createCgroup('kmsg-oom', { limitBytes: limit });
  try {
    // The shell moves itself into the cgroup before exec'ing node, so every page node touches is
    // charged there. Buffers live outside the V8 heap: only the cgroup limit stops them.
    const child = spawn(
      'sh',
      [
        '-c',
        `echo $$ > ${cg.dir}/cgroup.procs && exec "$0" -e 'const a=[];for(;;)a.push(Buffer.alloc(1<<20,1))'`,
        process.execPath,
      ],
      { stdio: 'ignore' },
    );
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    const killedAt = Date.now();
    clearTimeout(timer);
    assert.equal(signal, 'SIGKILL', `the child exited with code ${code}`);
    assert.match(cg.read('memory.oom_control'), /^oom_kill 1$/m, 'the cgroup counted one OOM kill');

    const fs = createProcFs('/');
    const kills = parseOomKills(readKmsg(fs), readBootTimeSec(fs)).filter((k) => k.pid === child.pid);
    assert.equal(kills.length, 1, JSON.stringify(kills));
    const k = kills[0] as OomKill;
    assert.equal(k.name, basename(process.execPath).slice(0, 15));
    assert.equal(k.uid, 0);
    assert.equal(k.constraint, 'CONSTRAINT_MEMCG');
    assert.equal(k.oomMemcg, cg.path);
    assert.equal(k.taskMemcg, cg.path);
    // Nearly all the charge is the buffers' anonymous memory; node's own code pages are file-rss
    // and charged too, hence the slack.
    const anon = k.anonRssBytes as number;
    assert.ok(Math.abs(anon - limit) <= 8 * MiB, `anon-rss ${anon} vs limit ${limit}`);
    // btime has whole seconds and the kernel's log clock may drift from the wall clock a little;
    // a unit error would be off by far more.
    const loggedAt = Date.parse(k.time as string);
    assert.ok(
      Math.abs(loggedAt - killedAt) < 30_000,
      `logged ${k.time}, exited ${new Date(killedAt).toISOString()}`,
    );
  } finally {
    await cg.remove();
  }
});

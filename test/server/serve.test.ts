// `memlens serve` as a real process on a random loopback port, every route over HTTP, with a
// child that leaks at a known rate: it appears in the process list with its real RSS, its
// history grows, and within about a minute it is a leak suspect in the API and in /metrics.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type RunningChild, startChild } from '../helpers/children.js';
import { getJson, type RunningServe, startServe, tempDir, waitFor } from './serve-helper.js';

const MiB = 1024 * 1024;
const LEAK_KIB_S = 2048;

let serve: RunningServe;
let leaker: RunningChild<{ pid: number }>;
const tmp = tempDir('serve');
const started = Date.now() / 1000;

function vmRss(pid: number): number {
  const line = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(line?.[1]) * 1024;
}

before(async () => {
  leaker = await startChild('grow', ['leak', String(LEAK_KIB_S)]);
  serve = await startServe(['--port', '0', '--db', join(tmp.dir, 'h.db'), '--metrics-top', '1000']);
});

after(async () => {
  try {
    if (serve) assert.equal((await serve.stop()).code, 0, `exit 0 on SIGTERM; stderr: ${serve.stderr()}`);
  } finally {
    await leaker?.stop();
    tmp.remove();
  }
});

test('prints where it listens first, then the history file and its retention', async () => {
  assert.match(serve.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  await waitFor('the second line', async () => (serve.stdout.length > 1 ? true : undefined), 5000);
  assert.equal(
    serve.stdout[1],
    `history: ${join(tmp.dir, 'h.db')} (1 s for 1 h, 1 min for 7 d, 10 min for 90 d)`,
  );
});

test('/api/machine has the machine as /proc/meminfo has it', async () => {
  const { status, body } = await getJson(`${serve.url}/api/machine`);
  assert.equal(status, 200);
  const memTotal = Number(/MemTotal:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1]) * 1024;
  assert.equal(body.memTotalBytes, memTotal);
  assert.ok(body.t >= started - 1 && body.t <= Date.now() / 1000 + 1);
  for (const k of [
    'memAvailableBytes',
    'cachedBytes',
    'swapTotalBytes',
    'swapFreeBytes',
    'psi',
    'oomKills',
  ]) {
    assert.ok(k in body, k);
  }
});

test('/api/processes lists the child with its real RSS, ranked as asked', async () => {
  const pid = leaker.info.pid;
  const { body } = await getJson(`${serve.url}/api/processes?sort=rss&limit=1000`);
  const before = vmRss(pid);
  const row = body.processes.find((p: { pid: number }) => p.pid === pid);
  assert.ok(row, `pid ${pid} is listed`);
  // It grows 2 MiB/s and the row is up to a second old.
  assert.ok(Math.abs(row.rssBytes - before) <= 4 * MiB, `RSS ${row.rssBytes} vs VmRSS ${before}`);
  assert.ok(row.pssBytes > 0 && row.ussBytes > 0, 'PSS and USS from smaps_rollup');
  assert.match(row.command, /grow.* leak 2048$/);
  assert.ok(Array.isArray(row.spark) && row.spark.length >= 1 && row.spark.length <= 60);
  const rss = body.processes.map((p: { rssBytes: number | null }) => p.rssBytes ?? -1);
  assert.deepEqual(
    rss,
    [...rss].sort((a: number, b: number) => b - a),
    'sorted by RSS, largest first',
  );
  const top = await getJson(`${serve.url}/api/processes`);
  assert.ok(top.body.processes.length <= 50, 'default limit 50');
});

test('/api/processes/:pid has the detail and the inspect report', async () => {
  const { status, body } = await getJson(`${serve.url}/api/processes/${leaker.info.pid}`);
  assert.equal(status, 200);
  assert.equal(body.process.pid, leaker.info.pid);
  assert.equal(body.process.threads, 1);
  assert.equal(typeof body.process.oomScoreAdj, 'number');
  assert.ok(body.inspect, `inspect: ${body.inspectUnknownReason}`);
  assert.ok(body.inspect.categories.length > 0 && Array.isArray(body.inspect.findings));
  assert.equal(body.inspectUnknownReason, null);
});

test("the child's history grows while it runs", async () => {
  const url = `${serve.url}/api/processes/${leaker.info.pid}/history?from=${Math.floor(started - 60)}`;
  const first = await getJson(url);
  assert.equal(first.status, 200);
  await new Promise((r) => setTimeout(r, 3000));
  const { body } = await getJson(url);
  const rss = body.series.rssBytes as number[];
  assert.ok(body.series.t.length >= first.body.series.t.length + 2, 'more points 3 s later');
  assert.ok((rss.at(-1) as number) > (rss[0] as number) + 2 * MiB, 'RSS rose along the series');
  for (const k of [
    'vszBytes',
    'pssBytes',
    'ussBytes',
    'swapBytes',
    'anonBytes',
    'fileBytes',
    'shmemBytes',
    'minorFaultsPerSec',
    'majorFaultsPerSec',
  ]) {
    assert.equal(body.series[k].length, body.series.t.length, k);
  }
  assert.ok(body.stepSec > 0 && body.stepSec <= 2, `step ${body.stepSec}`);
  // Touching 2 MiB/s of new pages is 512 minor faults a second.
  const faults = (body.series.minorFaultsPerSec as (number | null)[]).filter((v) => v !== null) as number[];
  assert.ok(
    faults.some((v) => v > 200),
    `fault rates ${faults.slice(-5)}`,
  );
});

test('machine and cgroup history, cgroups, oom and findings answer', async () => {
  const machine = await getJson(`${serve.url}/api/machine/history?points=100`);
  assert.equal(machine.status, 200);
  assert.ok(machine.body.series.t.length >= 2);
  assert.ok(machine.body.series.memAvailableBytes.every((v: number | null) => v !== null && v > 0));
  const cgroups = await getJson(`${serve.url}/api/cgroups`);
  assert.ok(Array.isArray(cgroups.body.cgroups));
  const first = cgroups.body.cgroups[0];
  if (first) {
    const h = await getJson(`${serve.url}/api/cgroups/history?path=${encodeURIComponent(first.path)}`);
    assert.equal(h.status, 200);
    assert.equal(h.body.path, first.path);
    assert.ok(h.body.series.t.length >= 1);
  }
  const oom = await getJson(`${serve.url}/api/oom`);
  assert.ok(oom.body.machine.memTotalBytes > 0 && oom.body.ranking.length > 0);
  assert.ok(oom.body.ranking.some((r: { pid: number }) => r.pid === leaker.info.pid));
  const findings = await getJson(`${serve.url}/api/findings`);
  assert.ok(Array.isArray(findings.body.findings));
  const leaks = await getJson(`${serve.url}/api/leaks`);
  assert.ok(Array.isArray(leaks.body.suspects));
});

test('/api/events streams a tick event after every sample', { timeout: 30_000 }, async () => {
  const ac = new AbortController();
  const res = await fetch(`${serve.url}/api/events`, { signal: ac.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  const ticks: { t: number; machine: unknown; processes: unknown[] }[] = [];
  const deadline = Date.now() + 8000;
  try {
    while (ticks.length < 3 && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      let end = text.indexOf('\n\n');
      while (end >= 0) {
        const block = text.slice(0, end);
        text = text.slice(end + 2);
        end = text.indexOf('\n\n');
        if (!block.startsWith('event: tick')) continue;
        ticks.push(
          JSON.parse(
            block
              .split('\n')
              .find((l) => l.startsWith('data: '))
              ?.slice(6) ?? 'null',
          ),
        );
      }
    }
  } finally {
    ac.abort();
  }
  assert.equal(ticks.length, 3, 'three ticks within 8 s');
  assert.ok((ticks[2]?.t ?? 0) > (ticks[1]?.t ?? 0), 'each a new sample');
  assert.ok(ticks.every((e) => e.machine && e.processes.length > 0 && e.processes.length <= 50));
});

test('a client that never reads, and one that never finishes its headers, do not stall sampling', {
  timeout: 30_000,
}, async () => {
  const { port } = new URL(serve.url);
  const stuck = connect(Number(port), '127.0.0.1', () => {
    stuck.write('GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    stuck.pause();
  });
  const slow = connect(Number(port), '127.0.0.1', () => slow.write('GET /api/machine HTTP/1.1\r\nHo'));
  stuck.on('error', () => {});
  slow.on('error', () => {});
  try {
    const t0 = (await getJson(`${serve.url}/api/machine`)).body.t as number;
    await new Promise((r) => setTimeout(r, 3500));
    const t1 = (await getJson(`${serve.url}/api/machine`)).body.t as number;
    assert.ok(t1 - t0 >= 2, `samples went on: t ${t0} then ${t1}`);
  } finally {
    stuck.destroy();
    slow.destroy();
  }
});

/**
 * Opens /api/events on a raw socket (fetch's connection pool would decide when to open one) and
 * resolves with the status of the response once its head has arrived; the socket stays open.
 */
function openEvents(port: number): Promise<{ status: number; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () =>
      socket.write('GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
    );
    let head = '';
    const timer = setTimeout(() => reject(new Error(`no response head within 10 s: "${head}"`)), 10_000);
    socket.on('error', reject);
    socket.on('data', (d) => {
      head += String(d);
      const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (!m || !head.includes('\r\n\r\n')) return;
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.on('data', () => {}); // keep reading, so the server never waits on this client
      resolve({ status: Number(m[1]), socket });
    });
  });
}

test('at most 32 event streams at once; the next is told to come back later', {
  timeout: 60_000,
}, async () => {
  const port = Number(new URL(serve.url).port);
  const sockets: Socket[] = [];
  try {
    for (let i = 0; i < 32; i++) {
      const { status, socket } = await openEvents(port);
      sockets.push(socket);
      assert.equal(status, 200, `stream ${i + 1}`);
    }
    const extra = await getJson(`${serve.url}/api/events`);
    assert.equal(extra.status, 503);
    assert.equal(extra.body.error.code, 'too-many-clients');
  } finally {
    for (const socket of sockets) socket.destroy();
  }
  // Closed streams free their places.
  await waitFor(
    'a free place',
    async () => {
      const { status, socket } = await openEvents(port);
      socket.destroy();
      return status === 200 ? true : undefined;
    },
    10_000,
  );
});

test('GET / serves the dashboard, or says how to build it', async () => {
  const res = await fetch(`${serve.url}/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/html/);
  assert.match(await res.text(), /memlens/);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
});

test('the leaking child becomes a leak suspect in the API, the findings and /metrics', {
  timeout: 150_000,
}, async () => {
  const pid = leaker.info.pid;
  const suspect = await waitFor(
    'a growing verdict',
    async () => {
      const { body } = await getJson(`${serve.url}/api/leaks`);
      return body.suspects.find((s: { pid: number }) => s.pid === pid);
    },
    120_000,
  );
  assert.equal(suspect.verdict.kind, 'growing');
  const slope = suspect.verdict.slopeBytesPerSec as number;
  assert.ok(Math.abs(slope - LEAK_KIB_S * 1024) < 0.2 * LEAK_KIB_S * 1024, `slope ${slope}`);
  assert.ok(suspect.verdict.timeToLimitSec > 0, 'time to limit');
  const { body } = await getJson(`${serve.url}/api/findings`);
  assert.ok(
    body.findings.some(
      (f: { id: string; evidence: { pid: number } }) => f.id === 'leak-suspect' && f.evidence.pid === pid,
    ),
  );
  const metrics = await (await fetch(`${serve.url}/metrics`)).text();
  assert.match(
    metrics,
    new RegExp(`memlens_process_leak_verdict\\{pid="${pid}",name="[^"]+",verdict="growing"\\} 1`),
  );
  assert.match(
    metrics,
    new RegExp(`memlens_process_leak_slope_bytes_per_second\\{pid="${pid}",name="[^"]+"\\} \\d`),
  );
  assert.match(
    metrics,
    new RegExp(`memlens_process_time_to_limit_seconds\\{pid="${pid}",name="[^"]+"\\} \\d`),
  );
});

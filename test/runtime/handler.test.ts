// memoryStatsHandler on node:http, Express and Fastify, each over a real loopback socket, in the
// three formats; registerMemoryMetrics beside prom-client's collectDefaultMetrics in one registry.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import express from 'express';
import Fastify from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { memoryStatsHandler, metricNames, registerMemoryMetrics } from '../../src/runtime/index.js';

const OPENMETRICS = 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

async function checkFormats(base: string): Promise<void> {
  const json = await fetch(`${base}/debug/memory`);
  assert.equal(json.status, 200);
  assert.match(json.headers.get('content-type') ?? '', /application\/json/);
  const stats = (await json.json()) as { pid: number; memoryUsage: { heapUsedBytes: number } };
  assert.equal(stats.pid, process.pid);
  assert.ok(stats.memoryUsage.heapUsedBytes > 0);

  const text = await fetch(`${base}/debug/memory`, { headers: { accept: 'text/plain' } });
  assert.match(text.headers.get('content-type') ?? '', /text\/plain; charset=utf-8/);
  assert.match(await text.text(), /^pid \d+, node v/);

  const prom = await fetch(`${base}/debug/memory?format=prometheus`);
  assert.match(prom.headers.get('content-type') ?? '', /text\/plain; version=0\.0\.4/);
  const body = await prom.text();
  assert.match(body, new RegExp(`^${metricNames.heapUsed} \\d+`, 'm'));
  assert.match(body, new RegExp(`^# TYPE ${metricNames.gcDuration} histogram`, 'm'));

  const om = await fetch(`${base}/debug/memory`, { headers: { accept: OPENMETRICS } });
  assert.match(om.headers.get('content-type') ?? '', /application\/openmetrics-text/);
  assert.match(await om.text(), /# EOF\n$/);
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('node:http', async () => {
  const handler = memoryStatsHandler();
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/debug/memory')) void handler(req, res);
    else res.writeHead(404).end();
  });
  try {
    await checkFormats(await listen(server));
  } finally {
    server.close();
  }
});

test('Express', async () => {
  const app = express();
  app.get('/debug/memory', memoryStatsHandler());
  const server = createServer(app);
  try {
    await checkFormats(await listen(server));
  } finally {
    server.close();
  }
});

test('Fastify', async () => {
  const app = Fastify();
  app.get('/debug/memory', memoryStatsHandler());
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    await checkFormats(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
  } finally {
    await app.close();
  }
});

test('registerMemoryMetrics beside collectDefaultMetrics: no clash, every name ours', async () => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = registerMemoryMetrics(registry);
  const text = await registry.metrics();
  for (const name of Object.values(metricNames))
    assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
  assert.match(text, /^# TYPE nodejs_gc_duration_seconds histogram/m, 'the defaults are still there');
  assert.match(text, /^memlens_node_memory_limit_bytes\{source="(cgroup|heap_size_limit|ram)"\} \d+/m);
  metrics.unregister();
  assert.doesNotMatch(await registry.metrics(), /memlens_node_/);
});

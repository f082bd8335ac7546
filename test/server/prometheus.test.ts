// A real Prometheus (Debian's package) scrapes a real `memlens serve` every second, with the
// bearer token as deployments send it and the shipped rules loaded. Its HTTP API must then hold
// memlens's series with the values /proc has; the rules must evaluate; every query of the shipped
// Grafana dashboard must be valid PromQL; and /metrics must pass `promtool check metrics`.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type RunningChild, startChild } from '../helpers/children.js';
import { freePort, getJson, type RunningServe, startServe, tempDir, waitFor } from './serve-helper.js';

const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));
const missing =
  spawnSync('prometheus', ['--version']).status !== 0 || spawnSync('promtool', ['--version']).status !== 0;
const skip = missing
  ? "prometheus and promtool are not installed (.ci/run installs Debian's prometheus)"
  : false;

const MiB = 1024 * 1024;
const TOKEN = 'prometheus-scrapes-with-this-token';
const tmp = tempDir('prometheus');
let serve: RunningServe | null = null;
let prom: ChildProcess | null = null;
let promUrl = '';
let child: RunningChild<{ pid: number }> | null = null;
let steady: RunningChild<{ pid: number }> | null = null;

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(expr: string): Promise<Sample[]> {
  const { body } = await getJson(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data.result as Sample[];
}

function vmRss(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;
}

before(async () => {
  if (skip) return;
  child = await startChild('grow', ['leak', '1024']);
  steady = await startChild('grow', ['steady', '64']);
  const tokenFile = join(tmp.dir, 'token');
  writeFileSync(tokenFile, TOKEN, { mode: 0o600 });
  serve = await startServe([
    '--port',
    '0',
    '--db',
    join(tmp.dir, 'h.db'),
    '--token',
    TOKEN,
    '--metrics-top',
    '1000',
  ]);
  const target = new URL(serve.url).host;
  const config = join(tmp.dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      `rule_files: ['${join(DEPLOY, 'prometheus', 'rules.yml')}']`,
      'scrape_configs:',
      '  - job_name: memlens',
      '    scrape_interval: 1s',
      '    scrape_timeout: 1s',
      `    authorization: { type: Bearer, credentials_file: '${tokenFile}' }`,
      `    static_configs: [{ targets: ['${target}'] }]`,
      '',
    ].join('\n'),
  );
  const check = spawnSync('promtool', ['check', 'config', config], { encoding: 'utf8' });
  assert.equal(check.status, 0, `promtool check config: ${check.stdout}${check.stderr}`);
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  prom = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(tmp.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  prom.stderr?.on('data', (d) => {
    log += d;
  });
  await waitFor(
    'Prometheus to scrape memlens',
    async () => {
      const { body } = await getJson(`${promUrl}/api/v1/targets`);
      const t = body.data.activeTargets[0];
      if (t?.lastError) throw new Error(t.lastError);
      return t?.health === 'up' ? true : undefined;
    },
    30_000,
  ).catch((e) => {
    throw new Error(`${(e as Error).message}; prometheus log: ${log.slice(-2000)}`);
  });
});

after(async () => {
  try {
    if (prom && prom.exitCode === null) {
      prom.kill('SIGTERM');
      await once(prom, 'exit');
    }
  } finally {
    await serve?.stop();
    await child?.stop();
    await steady?.stop();
    tmp.remove();
  }
});

test('Prometheus holds memlens_machine_mem_total_bytes equal to MemTotal', { skip }, async (t) => {
  const result = await waitFor('the series', async () => {
    const r = await query('memlens_machine_mem_total_bytes');
    return r.length > 0 ? r : undefined;
  });
  const memTotal = Number(/MemTotal:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1]) * 1024;
  t.diagnostic(`memlens_machine_mem_total_bytes = ${result[0]?.value[1]} (MemTotal ${memTotal})`);
  assert.equal(result.length, 1);
  assert.equal(Number(result[0]?.value[1]), memTotal);
  assert.equal(result[0]?.metric.job, 'memlens');
});

test("Prometheus holds the grow child's RSS, close to its VmRSS", { skip }, async (t) => {
  const pid = child?.info.pid as number;
  const expr = `memlens_process_rss_bytes{pid="${pid}"}`;
  const result = await waitFor('the child series', async () => {
    const r = await query(expr);
    return r.length > 0 ? r : undefined;
  });
  const rss = vmRss(pid);
  const value = Number(result[0]?.value[1]);
  t.diagnostic(`${expr} = ${value} (VmRSS now ${rss}, ${result[0]?.metric.name})`);
  // It grows 1 MiB/s; the value is up to a sample plus a scrape old.
  assert.ok(Math.abs(rss - value) <= 4 * MiB, `${value} vs VmRSS ${rss}`);
  assert.match(result[0]?.metric.name ?? '', /^grow/);
  for (const name of [
    'memlens_process_pss_bytes',
    'memlens_process_uss_bytes',
    'memlens_process_minor_faults_total',
  ]) {
    assert.equal((await query(`${name}{pid="${pid}"}`)).length, 1, name);
  }
});

test('a steady grow child holds still: its RSS in Prometheus is its VmRSS', { skip }, async (t) => {
  const pid = steady?.info.pid as number;
  // It touches its 64 MiB within its first second; wait until Prometheus has that level.
  const result = await waitFor('the steady series', async () => {
    const r = await query(`memlens_process_rss_bytes{pid="${pid}"}`);
    return r.length > 0 && Number(r[0]?.value[1]) > 64 * MiB ? r : undefined;
  });
  const value = Number(result[0]?.value[1]);
  const rss = vmRss(pid);
  t.diagnostic(`memlens_process_rss_bytes{pid="${pid}"} = ${value} (VmRSS ${rss})`);
  assert.ok(Math.abs(value - rss) <= 0.01 * rss, `${value} vs VmRSS ${rss}`);
});

test('the shipped rules load and evaluate without errors', { skip, timeout: 90_000 }, async () => {
  const groups = await waitFor('evaluated rules', async () => {
    const { body } = await getJson(`${promUrl}/api/v1/rules`);
    const gs = body.data.groups as {
      name: string;
      rules: { health: string; lastError?: string; name: string }[];
    }[];
    const all = gs.flatMap((g) => g.rules);
    return all.length > 0 && all.every((r) => r.health !== 'unknown') ? gs : undefined;
  });
  assert.deepEqual(groups.map((g) => g.name).sort(), ['memlens-alerts', 'memlens-recording']);
  for (const r of groups.flatMap((g) => g.rules)) assert.equal(r.health, 'ok', `${r.name}: ${r.lastError}`);
  // The recording group runs every 30 s: its first run may have come before the first scrape.
  const used = await waitFor(
    'a recorded series',
    async () => {
      const r = await query('instance:memlens_machine_memory_used:ratio');
      return r.length > 0 ? r : undefined;
    },
    70_000,
  );
  assert.equal(used.length, 1);
  assert.ok(Number(used[0]?.value[1]) > 0 && Number(used[0]?.value[1]) < 1);
});

test("every query of the Grafana dashboard is valid PromQL on memlens's series", { skip }, async () => {
  const dash = JSON.parse(readFileSync(join(DEPLOY, 'grafana', 'memlens-dashboard.json'), 'utf8'));
  const exprs: string[] = dash.panels.flatMap((p: { targets?: { expr: string }[] }) =>
    (p.targets ?? []).map((x) => x.expr),
  );
  assert.ok(exprs.length >= 15);
  let answered = 0;
  for (const e of exprs) {
    const expr = e
      .replaceAll('$instance', '.*')
      .replaceAll('$top', '10')
      .replaceAll('$__rate_interval', '1m');
    const result = await query(expr);
    if (result.length > 0) answered++;
  }
  // Cgroup and OOM panels may be empty on this machine; most panels have data.
  assert.ok(answered >= exprs.length / 2, `${answered} of ${exprs.length} queries have data`);
});

test('/metrics passes promtool check metrics with no problems', { skip }, async () => {
  const res = await fetch(`${serve?.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const check = spawnSync('promtool', ['check', 'metrics'], { input: await res.text(), encoding: 'utf8' });
  assert.equal(`${check.stdout}${check.stderr}`.trim(), '');
  assert.equal(check.status, 0);
});

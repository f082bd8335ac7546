// The app in-process (app.request), on the live /proc and a real history file: parameter
// checks, the error shape, redaction of command lines, authentication, and /metrics dropping a
// process that exited. The same routes over a real socket: serve.test.ts.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createProcFs } from '../../src/procfs/fs.js';
import { createApp } from '../../src/server/app.js';
import type { AuthOptions } from '../../src/server/auth.js';
import { EventHub } from '../../src/server/events.js';
import { createMetrics } from '../../src/server/metrics.js';
import { ServerSampler } from '../../src/server/sampler.js';
import { Views } from '../../src/server/views.js';
import { History } from '../../src/store/history.js';
import { startChild } from '../helpers/children.js';
import { tempDir } from './serve-helper.js';

const tmp = tempDir('app');
const history = History.open(join(tmp.dir, 'h.db'));
const fs = createProcFs('/');
const sampler = new ServerSampler(fs, history);
const views = new Views(sampler, fs);
const logged: unknown[] = [];
const deps = {
  views,
  history,
  events: new EventHub(views),
  // Every process gets its series: the test's child must not depend on what else runs here.
  registry: createMetrics(sampler, 1000),
  logError: (e: unknown) => logged.push(e),
};
const open = createApp({ ...deps, auth: { token: null, allowedHosts: ['127.0.0.1'] } });
const TOKEN = 'a-test-token-0123456789';
const guarded = createApp({ ...deps, auth: { token: TOKEN, allowedHosts: null } satisfies AuthOptions });

// A process whose command line holds secrets in several forms.
const SECRETS = ['hunter2', 's3cretpw', 'tok-abcdef'];
const secretive = spawn(
  process.execPath,
  [
    '-e',
    'setInterval(() => {}, 1e6)',
    '--',
    '--password=hunter2',
    'postgres://app:s3cretpw@db/x',
    '--token',
    'tok-abcdef',
  ],
  { stdio: 'ignore' },
);

before(async () => {
  await new Promise((r) => setTimeout(r, 300)); // let node replace the fork's command line
  sampler.tick(Date.now() / 1000);
});

after(async () => {
  secretive.kill('SIGKILL');
  await once(secretive, 'exit').catch(() => {});
  history.close();
  tmp.remove();
});

async function get(path: string, init?: RequestInit): Promise<Response> {
  return await open.request(path, { headers: { host: '127.0.0.1:9105' }, ...init });
}

async function expectError(path: string, status: number, code: string, quoted?: string, app = open) {
  const res = await app.request(path, { headers: { host: '127.0.0.1:9105' } });
  assert.equal(res.status, status, path);
  const body = (await res.json()) as { error: { code: string; message: string } };
  assert.deepEqual(Object.keys(body), ['error'], path);
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message'], path);
  assert.equal(body.error.code, code, `${path}: ${body.error.message}`);
  assert.doesNotMatch(body.error.message, /\n\s+at |\.ts:\d+|\.js:\d+/, 'no stack trace');
  if (quoted)
    assert.ok(
      body.error.message.includes(`"${quoted}"`),
      `${path}: ${body.error.message} quotes "${quoted}"`,
    );
}

test('every bad parameter is a 400 that quotes the value and says what was expected', async () => {
  const bad: [string, string, string?][] = [
    ['/api/processes?sort=bogus', 'bad-parameter', 'bogus'],
    ['/api/processes?limit=0', 'bad-parameter', '0'],
    ['/api/processes?limit=1001', 'bad-parameter', '1001'],
    ['/api/processes?limit=1e3', 'bad-parameter', '1e3'],
    ['/api/processes?limit=-5', 'bad-parameter', '-5'],
    ['/api/processes/0', 'bad-parameter', '0'],
    ['/api/processes/abc', 'bad-parameter', 'abc'],
    ['/api/processes/1.5', 'bad-parameter', '1.5'],
    ['/api/processes/99999999', 'bad-parameter', '99999999'],
    ['/api/processes/1/history?from=yesterday', 'bad-parameter', 'yesterday'],
    ['/api/processes/1/history?from=200&to=100', 'bad-range'],
    ['/api/processes/1/history?from=100&to=100', 'bad-range'],
    [`/api/machine/history?from=0&to=${101 * 86400}`, 'bad-range'],
    ['/api/machine/history?points=0', 'bad-parameter', '0'],
    ['/api/machine/history?points=5001', 'bad-parameter', '5001'],
    ['/api/machine/history?to=NaN', 'bad-parameter', 'NaN'],
    ['/api/cgroups/history', 'bad-parameter'],
    ['/api/cgroups/history?path=/no/such/cgroup', 'bad-parameter', '/no/such/cgroup'],
  ];
  for (const [path, code, quoted] of bad) await expectError(path, 400, code, quoted);
});

test('unknown processes and routes are 404s; anything but GET is a 405', async () => {
  // PID_MAX is 4194304; a PID this high is not in use on a test machine.
  await expectError('/api/processes/4194301', 404, 'no-such-process');
  await expectError('/api/processes/4194301/history', 404, 'no-such-process');
  await expectError('/api/nothing-here', 404, 'not-found');
  const res = await get('/api/machine', { method: 'POST', body: 'x' });
  assert.equal(res.status, 405);
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'method-not-allowed');
});

test('an unexpected failure is a 500 with no detail; the detail goes to the log', async () => {
  const closed = History.open(join(tmp.dir, 'closed.db'));
  closed.close();
  const broken = createApp({ ...deps, history: closed, auth: { token: null, allowedHosts: ['127.0.0.1'] } });
  await expectError('/api/machine/history', 500, 'internal', undefined, broken);
  assert.ok(logged.length > 0, 'the error was logged');
});

test('command lines are redacted in the process list and in the process detail', async () => {
  const pid = secretive.pid as number;
  const list = (await (await get('/api/processes?limit=1000&sort=pid')).json()) as {
    processes: { pid: number; command: string | null }[];
  };
  const row = list.processes.find((p) => p.pid === pid);
  assert.ok(row?.command, `pid ${pid} is listed with its command`);
  assert.match(row.command, /--password=\*\*\* postgres:\/\/app:\*\*\*@db\/x --token \*\*\*/);
  const detail = await (await get(`/api/processes/${pid}`)).text();
  for (const s of SECRETS) {
    assert.ok(!JSON.stringify(list).includes(s), `"${s}" is not in /api/processes`);
    assert.ok(!detail.includes(s), `"${s}" is not in /api/processes/${pid}`);
  }
  const inspect = JSON.parse(detail).inspect as { command: string } | null;
  assert.ok(inspect, 'the detail has the inspect report');
  assert.match(inspect.command, /--password=\*\*\*/);
});

test('with a token, every route needs it: bearer header, or a cookie set by /?token=', async () => {
  for (const path of ['/api/machine', '/api/processes', '/metrics', '/', '/api/events']) {
    await expectError(path, 401, 'unauthorized', undefined, guarded);
    const wrong = await guarded.request(path, {
      headers: { authorization: 'Bearer wrong-token-0123456789' },
    });
    assert.equal(wrong.status, 401, path);
  }
  const ok = await guarded.request('/api/machine', { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(ok.status, 200);
  const first = await guarded.request(`/?token=${TOKEN}`);
  assert.equal(first.status, 302, 'the token leaves the address bar');
  const cookie = first.headers.get('set-cookie') ?? '';
  assert.match(cookie, /memlens_token=.+; Path=\/; HttpOnly; SameSite=Strict/);
  const withCookie = await guarded.request('/api/processes', {
    headers: { cookie: cookie.split(';')[0] as string },
  });
  assert.equal(withCookie.status, 200);
});

test('without a token, a request naming another host is refused (DNS rebinding)', async () => {
  const evil = await open.request('/api/machine', { headers: { host: 'attacker.example:9105' } });
  assert.equal(evil.status, 403);
  for (const host of ['127.0.0.1:9105', 'localhost:9105', '[::1]:9105']) {
    assert.equal((await open.request('/api/machine', { headers: { host } })).status, 200, host);
  }
});

test('/metrics drops a process as soon as it exits, and passes promtool check metrics', async () => {
  const child = await startChild<{ pid: number }>('grow', ['steady', '256']);
  const metrics = () => get('/metrics').then((r) => r.text());
  try {
    sampler.tick(Date.now() / 1000);
    const body = await metrics();
    assert.match(
      body,
      new RegExp(`memlens_process_rss_bytes\\{pid="${child.info.pid}",name="grow[^"]*"\\} \\d+`),
    );
    if (spawnSync('promtool', ['--version']).status === 0) {
      const check = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
      assert.equal(`${check.stdout}${check.stderr}`.trim(), '', 'promtool reports no problems');
      assert.equal(check.status, 0);
    }
  } finally {
    await child.stop();
  }
  sampler.tick(Date.now() / 1000);
  assert.doesNotMatch(await metrics(), new RegExp(`pid="${child.info.pid}"`));
});

// Who may reach the server, over a real socket: a public address needs a token or an explicit
// --no-auth; with a token, requests without it are refused; bad parameters and oversized
// requests get clear errors, never a stack trace.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { getJson, startServe, tempDir } from './serve-helper.js';

const tmp = tempDir('security');
after(() => tmp.remove());
const TOKEN = 'f3c1e0d2b4a59687f3c1e0d2b4a59687';

/** The server bound to 0.0.0.0 is reached through loopback here. */
function local(url: string): string {
  return url.replace('0.0.0.0', '127.0.0.1');
}

test('binding 0.0.0.0 without a token refuses to start: exit 2, one line', async () => {
  const r = await runCli(['serve', '--host', '0.0.0.0', '--port', '0', '--db', join(tmp.dir, 'a.db')]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^memlens: binding 0\.0\.0\.0 .*--token.*--no-auth.*\n$/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('a token too short, or a token with --no-auth, is a usage error', async () => {
  const short = await runCli(['serve', '--token', 'abc', '--port', '0', '--db', join(tmp.dir, 'b.db')]);
  assert.equal(short.code, 2);
  assert.match(short.stderr, /at least 16 characters/);
  const both = await runCli([
    'serve',
    '--token',
    TOKEN,
    '--no-auth',
    '--port',
    '0',
    '--db',
    join(tmp.dir, 'b.db'),
  ]);
  assert.equal(both.code, 2);
});

test('with --token on 0.0.0.0, requests without it get 401 and with it 200', async () => {
  const serve = await startServe([
    '--host',
    '0.0.0.0',
    '--port',
    '0',
    '--token',
    TOKEN,
    '--db',
    join(tmp.dir, 'c.db'),
  ]);
  try {
    assert.match(serve.url, /^http:\/\/0\.0\.0\.0:\d+$/);
    const url = local(serve.url);
    for (const path of ['/api/machine', '/api/processes', '/metrics', '/']) {
      const res = await fetch(`${url}${path}`);
      assert.equal(res.status, 401, path);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'unauthorized');
      const ok = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(ok.status, 200, path);
    }
    const wrong = await fetch(`${url}/api/machine`, {
      headers: { authorization: `Bearer ${TOKEN.slice(1)}x` },
    });
    assert.equal(wrong.status, 401);
  } finally {
    assert.equal((await serve.stop()).code, 0);
  }
});

test('MEMLENS_TOKEN works like --token', async () => {
  const serve = await startServe(['--host', '0.0.0.0', '--port', '0', '--db', join(tmp.dir, 'd.db')], {
    MEMLENS_TOKEN: TOKEN,
  });
  try {
    const url = local(serve.url);
    assert.equal((await fetch(`${url}/api/machine`)).status, 401);
    assert.equal(
      (await fetch(`${url}/api/machine`, { headers: { authorization: `Bearer ${TOKEN}` } })).status,
      200,
    );
  } finally {
    await serve.stop();
  }
});

test('--no-auth serves anyone, and says so on stderr', async () => {
  const serve = await startServe([
    '--host',
    '0.0.0.0',
    '--port',
    '0',
    '--no-auth',
    '--db',
    join(tmp.dir, 'e.db'),
  ]);
  try {
    assert.equal((await fetch(`${local(serve.url)}/api/machine`)).status, 200);
    assert.match(serve.stderr(), /warning: --no-auth: anyone who can reach/);
  } finally {
    await serve.stop();
  }
});

test('over the socket: bad parameters are 400s with the error shape, oversized headers are refused', async () => {
  const serve = await startServe(['--port', '0', '--db', join(tmp.dir, 'f.db')]);
  try {
    for (const path of [
      '/api/processes?limit=100000',
      '/api/processes/-1',
      '/api/processes/1/history?from=1&to=99999999999',
      '/api/machine/history?points=abc',
      '/api/processes?sort=%3Cscript%3E',
    ]) {
      const { status, body } = await getJson(`${serve.url}${path}`);
      assert.equal(status, 400, path);
      assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message']);
      assert.doesNotMatch(JSON.stringify(body), /\bat .*\(|node_modules|dist\//, 'no stack trace');
    }
    // 16 KiB of headers at most: node answers 431 and closes.
    const { port } = new URL(serve.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/api/machine', headers: { 'x-big': 'a'.repeat(20_000) } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 431);
    // The server is still fine.
    assert.equal((await fetch(`${serve.url}/api/machine`)).status, 200);
  } finally {
    await serve.stop();
  }
});

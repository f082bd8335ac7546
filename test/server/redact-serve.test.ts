// A real `memlens serve` on loopback and real processes whose command lines hold secrets in the
// forms that leaked before: a token in a URL's query, a bearer token split from its header over
// arguments, curl's -u user:password, mysql's glued -p and a quoted --password= inside sh -c.
// Neither the process's `command` nor its inspect report's may carry any of them.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type HostileInfo, type RunningChild, startChild } from '../helpers/children.js';
import { getJson, type RunningServe, startServe, tempDir, waitFor } from './serve-helper.js';

const SECRETS = ['SPLITBEARER1', 'QUERYTOK2', 'CURLPASS3', 'GLUEDPW4', 'QUOTEDPW5'];

// The child only waits; what matters is the command line it shows in /proc.
const CURL = [
  '-s',
  '-H',
  'Authorization:',
  'Bearer',
  'SPLITBEARER1',
  'https://api.example.com/x?token=QUERYTOK2&page=2',
  '-u',
  'admin:CURLPASS3',
];
const CURL_SHOWN =
  'curl -s -H Authorization: Bearer *** https://api.example.com/x?token=***&page=2 -u admin:***';
const SCRIPT = 'mysql -uroot -pGLUEDPW4 app; exec app --password="QUOTEDPW5" --port 80';
const SCRIPT_SHOWN = 'sh -c mysql -uroot -p*** app; exec app --password="***" --port 80';

const tmp = tempDir('redact-serve');
let serve: RunningServe;
let children: RunningChild<HostileInfo>[] = [];

before(async () => {
  children = [
    await startChild<HostileInfo>('hostile', CURL, { argv0: 'curl' }),
    await startChild<HostileInfo>('hostile', ['-c', SCRIPT], { argv0: 'sh' }),
  ];
  serve = await startServe(['--port', '0', '--db', join(tmp.dir, 'h.db')]);
});

after(async () => {
  await serve?.stop();
  for (const c of children) await c.stop();
  tmp.remove();
});

async function detail(pid: number): Promise<{ text: string; command: string; inspectCommand: string }> {
  return waitFor(`pid ${pid} with its inspect report`, async () => {
    const res = await fetch(`${serve.url}/api/processes/${pid}`);
    if (res.status !== 200) return undefined;
    const text = await res.text();
    const body = JSON.parse(text);
    if (!body.inspect) return undefined;
    return { text, command: body.process.command, inspectCommand: body.inspect.command };
  });
}

test('/api/processes/PID redacts every secret of a curl command line, in both fields', async () => {
  const d = await detail(children[0]?.info.pid as number);
  assert.equal(d.command, CURL_SHOWN);
  assert.equal(d.inspectCommand, CURL_SHOWN);
  for (const s of SECRETS) assert.ok(!d.text.includes(s), `"${s}" is not in the answer`);
});

test('/api/processes/PID redacts the secrets of a sh -c script, in both fields', async () => {
  const d = await detail(children[1]?.info.pid as number);
  assert.equal(d.command, SCRIPT_SHOWN);
  assert.equal(d.inspectCommand, SCRIPT_SHOWN);
  for (const s of SECRETS) assert.ok(!d.text.includes(s), `"${s}" is not in the answer`);
});

test('the process list does not carry them either', async () => {
  const pids = new Set(children.map((c) => c.info.pid));
  const { body } = await getJson(`${serve.url}/api/processes?limit=1000&sort=pid`);
  const rows = body.processes.filter((p: { pid: number }) => pids.has(p.pid));
  assert.equal(rows.length, 2, 'both processes are listed');
  const text = JSON.stringify(body);
  for (const s of SECRETS) assert.ok(!text.includes(s), `"${s}" is not in /api/processes`);
});

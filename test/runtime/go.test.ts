// memlens inspect --runtime-url: a Go service's expvar memstats beside VmRSS. Parsed from output
// captured from the real program in go/expvar (PauseNs, PauseEnd and BySize trimmed: not read),
// and live against that program, built with the Go toolchain where one is installed.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseGoExpvar } from '../../src/collect/runtime-channel.js';
import { type GoRuntimeView, goRuntimeView, type InspectReport } from '../../src/reports/inspect.js';
import { runCli } from '../helpers/cli.js';

const MiB = 1024 * 1024;
const fixture = fileURLToPath(new URL('./fixtures/go-expvar.json', import.meta.url));
const source = fileURLToPath(new URL('./go/expvar/', import.meta.url));

test('captured expvar: the gap between the Go heap and VmRSS explained', () => {
  const go = parseGoExpvar(readFileSync(fixture, 'utf8'), fixture);
  assert.equal(go.heapAllocBytes, 67302168);
  assert.equal(go.heapReleasedBytes, 25387008);
  // VmRSS read from /proc/PID/status of the same process when this was captured.
  const v = goRuntimeView(
    go,
    { rssBytes: 141032 * 1024, lazyFreeBytes: 0, cmdline: ['expvar-demo'] },
    'fixture',
  );
  assert.equal(v.idleNotReleasedBytes, 137428992 - 25387008);
  assert.deepEqual(
    v.parts.map((p) => p.name),
    ['heap-in-use', 'heap-idle-retained', 'stacks', 'runtime-metadata', 'outside-go'],
  );
  assert.match(v.notes[0] ?? '', /MADV_FREE .* LazyFree/);
  assert.equal(v.cmdlineMatches, true);
  assert.equal(
    goRuntimeView(go, { rssBytes: null, lazyFreeBytes: 4096, cmdline: ['other'] }, 'f').cmdlineMatches,
    false,
  );
});

test('expvar that is not memstats is an error that says what was expected', () => {
  assert.throws(() => parseGoExpvar('<html>', 'u'), /expected expvar JSON/);
  assert.throws(() => parseGoExpvar('{"cmdline":[]}', 'u'), /expected a "memstats" object/);
  assert.throws(
    () => parseGoExpvar('{"memstats":{"HeapAlloc":"1"}}', 'u'),
    /expected a number at memstats.HeapAlloc/,
  );
});

const noGo =
  spawnSync('go', ['version']).status === 0
    ? null
    : 'the Go toolchain is not installed (apt-get install golang-go)';

test('live: memlens inspect --runtime-url against a real Go program', { skip: noGo ?? false }, async (t) => {
  const work = join(tmpdir(), 'memlens-go');
  mkdirSync(work, { recursive: true });
  const binary = join(work, 'expvar-demo');
  const built = spawnSync('go', ['build', '-o', binary, '.'], {
    cwd: source,
    env: { ...process.env, GOCACHE: join(work, 'cache'), GOPATH: join(work, 'path'), GOFLAGS: '-mod=mod' },
    encoding: 'utf8',
  });
  assert.equal(built.status, 0, built.stderr);
  const child = spawn(binary, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const info = await new Promise<{ pid: number; port: number }>((resolve, reject) => {
      child.stdout.once('data', (d) => resolve(JSON.parse(String(d))));
      child.once('exit', () => reject(new Error('the Go program exited')));
    });
    const url = `http://127.0.0.1:${info.port}/debug/vars`;
    // Through the real command line, so the option is tested as users type it.
    const json = await runCli(['inspect', String(info.pid), '--runtime-url', url, '--json']);
    assert.equal(json.code, 0, json.stderr);
    const text = await runCli(['inspect', String(info.pid), '--runtime-url', url]);
    assert.equal(text.code, 0, text.stderr);
    const printed = [json.stdout, text.stdout];
    const report = JSON.parse(printed[0] ?? '') as InspectReport;
    const v = report.runtime as GoRuntimeView;
    assert.equal(v.kind, 'go');
    assert.ok(v.heapAllocBytes >= 64 * MiB, 'it keeps 64 MiB live');
    assert.ok(v.rssBytes !== null && v.rssBytes >= 64 * MiB);
    assert.equal(v.cmdlineMatches, true);
    const accounted = v.parts.reduce((sum, p) => sum + p.bytes, 0);
    t.diagnostic(
      `VmRSS ${(v.rssBytes / MiB).toFixed(0)} MiB: HeapInuse ${(v.heapInuseBytes / MiB).toFixed(0)}, idle kept ${(v.idleNotReleasedBytes / MiB).toFixed(0)}, released ${(v.heapReleasedBytes / MiB).toFixed(0)} MiB`,
    );
    // The parts cover RSS (outside-go is what is left), unless the scavenger returned idle pages
    // between the two reads: then the Go side can exceed RSS a little.
    assert.ok(accounted >= v.rssBytes, `${accounted} >= ${v.rssBytes}`);
    assert.match(printed[1] ?? '', /Runtime \(Go, from http:\/\/127\.0\.0\.1:\d+\/debug\/vars\)/);
    assert.match(printed[1] ?? '', /HeapIdle - HeapReleased/);
  } finally {
    child.stdin.end();
    child.kill();
  }
});

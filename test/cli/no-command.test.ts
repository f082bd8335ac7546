// `memlens` with no command: it says how it is used, on stderr, and exits 2 as any usage error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';

test('memlens alone prints the help to stderr and exits 2', async () => {
  const r = await runCli([]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^Usage: memlens \[options\] \[command\]\n/);
  for (const command of ['ps', 'inspect', 'oom', 'serve'])
    assert.match(r.stderr, new RegExp(`\\n  ${command} `));
});

test('asking for the help is not an error: memlens help and --help exit 0 with it on stdout', async () => {
  for (const args of [['help'], ['--help']]) {
    const r = await runCli(args);
    assert.equal(r.code, 0, args.join(' '));
    assert.match(r.stdout, /^Usage: memlens /);
  }
});

// Bad input gets one line that says what is wrong and what to do, exit 2 for usage and 1 for
// runtime errors, and never a stack trace.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';

function assertOneLine(stderr: string): void {
  const lines = stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.match(lines[0] as string, /^memlens: /);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
}

/** A kernel thread found on this machine (PF_KTHREAD in stat's flags), whatever its PID. */
function someKernelThread(): number {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const flags = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[6]);
      if ((flags & 0x00200000) !== 0) return Number(name);
    } catch {
      // exited while we looked
    }
  }
  throw new Error('no kernel thread visible in /proc');
}

const cases: Array<{ args: string[]; code: number; message: RegExp }> = [
  { args: ['inspect', '999999999'], code: 2, message: /"999999999" is not a PID/ },
  { args: ['inspect', '0'], code: 2, message: /"0" is not a PID/ },
  { args: ['inspect', '-5'], code: 2, message: /"-5" is not a PID/ },
  { args: ['inspect', 'no-such-program-xyz'], code: 1, message: /no process is named "no-such-program-xyz"/ },
  { args: ['maps', 'abc'], code: 2, message: /"abc" is not a PID/ },
  { args: ['maps', '4194000'], code: 1, message: /no process 4194000/ },
  { args: ['ps', '--frobnicate'], code: 2, message: /unknown option '--frobnicate'/ },
  // commander's suggestion is on a line of its own: joined, not shown as an escaped \x0a
  {
    args: ['ps', '--grup'],
    code: 2,
    message: /^memlens: unknown option '--grup' \(did you mean --group\?\)$/m,
  },
  { args: ['ps', '--sort', 'colour'], code: 2, message: /--sort takes one of .*not "colour"/ },
  { args: ['ps', '--top', '0'], code: 2, message: /--top takes a whole number/ },
  { args: ['ps', '--name', '/(/'], code: 2, message: /not a valid regular expression/ },
  { args: ['frob'], code: 2, message: /unknown command 'frob'/ },
  {
    args: ['--root', '/nonexistent-root', 'ps'],
    code: 1,
    message: /no proc\/meminfo under "\/nonexistent-root"/,
  },
];

for (const c of cases) {
  test(`memlens ${c.args.join(' ')} -> exit ${c.code}, one line`, async () => {
    const r = await runCli(c.args);
    assert.equal(r.code, c.code, r.stderr);
    assertOneLine(r.stderr);
    assert.match(r.stderr, c.message);
    assert.equal(r.stdout, '');
  });
}

test('maps on a kernel thread says it has no mappings', async () => {
  const pid = someKernelThread();
  const r = await runCli(['maps', String(pid)]);
  assert.notEqual(r.code, 0);
  assertOneLine(r.stderr);
  assert.match(r.stderr, /is a kernel thread/);
});

test('--debug shows the stack trace that is otherwise hidden', async () => {
  const r = await runCli(['--debug', 'maps', '4194000']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\n\s+at /);
});

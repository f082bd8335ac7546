// /proc/PID/cmdline and comm: nothing in them can be malformed, only odd.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCmdline, parseComm } from '../../src/procfs/cmdline.js';

const rows: [string, string, string[]][] = [
  [
    'NUL-terminated arguments',
    'node\0--max-old-space-size=4096\0server.js\0',
    ['node', '--max-old-space-size=4096', 'server.js'],
  ],
  ['a kernel thread: empty', '', []],
  [
    'rewritten by setproctitle: one string with spaces',
    'postgres: writer process   ',
    ['postgres: writer process   '],
  ],
  ['an empty argument is kept', 'a\0\0b\0', ['a', '', 'b']],
  ['no final NUL', 'a\0b', ['a', 'b']],
];
for (const [name, text, expected] of rows) {
  test(`cmdline: ${name}`, () => assert.deepEqual(parseCmdline(text), expected));
}

test('comm: the trailing newline goes, spaces and parentheses stay', () => {
  assert.equal(parseComm('vim\n'), 'vim');
  assert.equal(parseComm('(a b ) ( c d) \n'), '(a b ) ( c d) ');
  assert.equal(parseComm('no newline'), 'no newline');
  assert.equal(parseComm(''), '');
});

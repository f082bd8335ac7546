// The one sanitizer of text output: every control a terminal could obey is shown escaped, what
// is printable stays as it is, and only the renderer's own line feeds (and colours) are kept.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { escapeControls, escapeStrings, terminalText } from '../../src/cli/render/terminal.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters looked for
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

test('each C0 control, DEL and C1 control is shown as its escape', () => {
  const cases: [string, string][] = [
    ['\x1b]0;PWNED\x07', '\\x1b]0;PWNED\\x07'],
    ['\x1b[2J', '\\x1b[2J'],
    ['a\nb\tc\rd', 'a\\x0ab\\x09c\\x0dd'],
    ['\x00\x01\x1f', '\\x00\\x01\\x1f'],
    ['\x7f', '\\x7f'],
    ['\u0080\u009b2J\u009f', '\\u0080\\u009b2J\\u009f'],
  ];
  for (const [input, shown] of cases) assert.equal(escapeControls(input), shown, JSON.stringify(input));
});

test('printable text is left as it is: spaces, backslashes, non-ASCII letters, emoji', () => {
  for (const s of [
    'nginx: worker process',
    'C:\\path\\x1b',
    'grep a\\.b',
    'café ñ 日本',
    '🙂',
    '\u00a0\u00ff',
  ]) {
    assert.equal(escapeControls(s), s);
  }
});

test('no control survives escaping, and the escapes say exactly which ones were there', () => {
  const decode = (s: string) =>
    s.replace(/\\(?:x|u00)([0-9a-f]{2})/g, (_m, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16)),
    );
  fc.assert(
    fc.property(
      fc.string({ unit: 'binary' }).filter((s) => !s.includes('\\')),
      (s) => {
        const out = escapeControls(s);
        assert.equal(RAW_CONTROL.exec(out), null);
        assert.equal(decode(out), s);
      },
    ),
  );
});

test('escapeStrings copies plain data with every string and key escaped, other values kept', () => {
  const data = { name: 'a\x1b', n: 3, none: null, list: ['\n', 1, { deep: '\u009b' }], ['k\x07']: true };
  assert.deepEqual(escapeStrings(data), {
    name: 'a\\x1b',
    n: 3,
    none: null,
    list: ['\\x0a', 1, { deep: '\\u009b' }],
    'k\\x07': true,
  });
  assert.equal(data.name, 'a\x1b', 'the original is untouched');
});

test("terminalText keeps the renderer's line feeds and escapes a data string's", () => {
  const text = terminalText({ name: 'evil\nrow' }, (d) => `NAME\n${d.name}\n`);
  assert.equal(text, 'NAME\nevil\\x0arow\n');
});

test('terminalText escapes what reaches the text outside its data, but line feeds', () => {
  const outside = 'x\x1b[2J\u009b\ty';
  assert.equal(
    terminalText(null, () => `a ${outside}\nb`),
    'a x\\x1b[2J\\u009b\\x09y\nb',
  );
});

test('with colors, only colour sequences of the renderer stay; any other escape is escaped', () => {
  const out = terminalText({ name: '\x1b[31m\x1b]0;t\x07' }, (d) => `\x1b[34m${d.name}\x1b[0m \x1b[2J`, {
    colors: true,
  });
  assert.equal(out, '\x1b[34m\\x1b[31m\\x1b]0;t\\x07\x1b[0m \\x1b[2J');
});

// /dev/kmsg records and saved dmesg text: the captured OOM report, inline records of each shape
// (malformed headers included), random and mutated input, and the real device: as root it agrees
// with util-linux dmesg, and as nobody it is E_PERMISSION where dmesg_restrict is 1.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { ProcParseError, ProcReadError } from '../../src/procfs/errors.js';
import { createProcFs } from '../../src/procfs/fs.js';
import {
  type KmsgRecord,
  parseDmesgText,
  parseKmsgRecord,
  parseKmsgText,
  readKmsg,
} from '../../src/procfs/kmsg.js';
import { tableTests } from './_assert.js';

const PATH = '/dev/kmsg';
const FIXTURES = fileURLToPath(new URL('../fixtures/kmsg/', import.meta.url));
const REPO = fileURLToPath(new URL('../../', import.meta.url));

describe('fixture: a memory cgroup OOM kill captured on this machine', () => {
  const records = readKmsg(createProcFs(`${FIXTURES}memcg-oom`));

  test('every record of the report, in order', () => {
    assert.equal(records.length, 78);
    assert.deepEqual(
      records.map((r) => r.sequence),
      Array.from({ length: 78 }, (_, i) => 419 + i),
    );
    assert.ok(records.every((r) => r.facility === 0));
  });

  test('first and last records, whole', () => {
    assert.deepEqual(records[0], {
      priority: 4,
      facility: 0,
      sequence: 419,
      monotonicUsec: 2801958825,
      message: 'node invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0',
    });
    // The trailing space is the kernel's own.
    assert.deepEqual(records[1], {
      priority: 4,
      facility: 0,
      sequence: 420,
      monotonicUsec: 2801958834,
      message: 'CPU: 1 UID: 0 PID: 16915 Comm: node Not tainted 6.18.44-fc-v769 #1 PREEMPT(none) ',
    });
    assert.deepEqual(records.at(-1), {
      priority: 3,
      facility: 0,
      sequence: 496,
      monotonicUsec: 2801959326,
      message:
        'Memory cgroup out of memory: Killed process 16915 (node) total-vm:754964kB, anon-rss:32000kB, file-rss:33552kB, shmem-rss:0kB, UID:0 pgtables:428kB oom_score_adj:0',
    });
  });

  test('the same records as dmesg prints them parse to the same times and messages', () => {
    const asDmesg = records
      .map((r) => {
        const sec = Math.floor(r.monotonicUsec / 1e6);
        const usec = String(r.monotonicUsec % 1e6).padStart(6, '0');
        return `<${(r.facility as number) * 8 + (r.priority as number)}>[${String(sec).padStart(5)}.${usec}] ${r.message}`;
      })
      .join('\n');
    assert.deepEqual(
      parseDmesgText(asDmesg, PATH),
      records.map((r) => ({ ...r, sequence: null })),
    );
  });
});

test('fixture: a victim named "my (app) v2)"', () => {
  const records = readKmsg(createProcFs(`${FIXTURES}memcg-oom-odd-name`));
  assert.equal(records.length, 79);
  assert.equal(
    records[0]?.message,
    'my (app) v2) invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0',
  );
  assert.match(records.at(-1)?.message ?? '', /Killed process 17357 \(my \(app\) v2\)\) total-vm:/);
});

const rec = (
  priority: number,
  facility: number,
  sequence: number | null,
  monotonicUsec: number,
  message: string,
): KmsgRecord => ({ priority, facility, sequence, monotonicUsec, message });

tableTests('records', PATH, (text) => parseKmsgRecord(text, PATH), [
  [
    'kernel warning',
    '4,341,2648286704,-;node invoked oom-killer',
    rec(4, 0, 341, 2648286704, 'node invoked oom-killer'),
  ],
  [
    'more header fields (CONFIG_PRINTK_CALLER)',
    '6,339,1352704,-,caller=T70;drop_caches: 3',
    rec(6, 0, 339, 1352704, 'drop_caches: 3'),
  ],
  ['continuation flags of old kernels', '6,5,10,c;part', rec(6, 0, 5, 10, 'part')],
  ['written from user space: facility 1', '12,900,5,-;hello', rec(4, 1, 900, 5, 'hello')],
  ['a ";" in the message', '6,1,0,-;a; b;c', rec(6, 0, 1, 0, 'a; b;c')],
  ['an empty message', '6,1,0,-;', rec(6, 0, 1, 0, '')],
  ['escaped backslash and newline', '6,1,0,-;a\\x5cb\\x0ac', rec(6, 0, 1, 0, 'a\\b\nc')],
  ['escaped UTF-8 bytes', '6,1,0,-;caf\\xc3\\xa9', rec(6, 0, 1, 0, 'café')],
  ['"\\x" without two hex digits is text', '6,1,0,-;\\xg1', rec(6, 0, 1, 0, '\\xg1')],
  ['sequence at 2^53 - 1', '6,9007199254740991,0,-;x', rec(6, 0, 9007199254740991, 0, 'x')],
  ['no ";"', '6,1,0,- message', 'error'],
  ['three header fields', '6,1,0;message', 'error'],
  ['priority not a number', 'x,1,0,-;message', 'error'],
  ['negative sequence', '6,-1,0,-;message', 'error'],
  ['time beyond 2^53', '6,1,99999999999999999,-;message', 'error'],
  ['empty header field', '6,,0,-;message', 'error'],
  ['dmesg text is not a record', '[ 2648.295518] message', 'error'],
]);

tableTests('files of records', PATH, (text) => parseKmsgText(text, PATH), [
  ['empty', '', []],
  [
    'dictionary lines belong to no message',
    '6,1,5,-;virtio_net: probe\n SUBSYSTEM=virtio\n DEVICE=+virtio:virtio1\n6,2,6,-;next\n',
    [rec(6, 0, 1, 5, 'virtio_net: probe'), rec(6, 0, 2, 6, 'next')],
  ],
  ['blank lines are skipped', '\n6,1,5,-;a\n\n', [rec(6, 0, 1, 5, 'a')]],
  ['a malformed record anywhere', '6,1,5,-;a\nnot a record\n', 'error'],
]);

const dm = (monotonicUsec: number, message: string, prio: number | null = null): KmsgRecord => ({
  priority: prio === null ? null : prio % 8,
  facility: prio === null ? null : Math.floor(prio / 8),
  sequence: null,
  monotonicUsec,
  message,
});

tableTests('saved dmesg text', PATH, (text) => parseDmesgText(text, PATH), [
  ['empty', '', []],
  ['plain', '[ 2648.295518] Out of memory\n', [dm(2648295518, 'Out of memory')]],
  ['boot time zero', '[    0.000000] Linux version\n', [dm(0, 'Linux version')]],
  [
    'dmesg -r: with the priority',
    '<4>[   12.000001] x\n<14>[   13.5] y',
    [dm(12000001, 'x', 4), dm(13500000, 'y', 14)],
  ],
  ['more than six fraction digits are cut', '[1.1234567] x', [dm(1123456, 'x')]],
  [
    'indented lines continue the message above',
    '[    1.000000] first\n               second\n[    2.000000] next',
    [dm(1000000, 'first\nsecond'), dm(2000000, 'next')],
  ],
  ['an empty message', '[    1.000000] ', [dm(1000000, '')]],
  ['dmesg -T: wall-clock times cannot be placed', '[Tue Nov 25 18:22:14 2026] x\n', 'error'],
  ['dmesg -t: no time at all', 'Out of memory: Killed process 1 (x)\n', 'error'],
  ['a kmsg record is not dmesg text', '6,1,0,-;x\n', 'error'],
  ['seconds beyond 2^53 microseconds', '[99999999999.000000] x\n', 'error'],
]);

describe('only ProcParseError escapes', () => {
  const fixture = readFileSync(`${FIXTURES}memcg-oom/dev/kmsg`, 'utf8');
  const tokens = [
    '6',
    '4,',
    ',',
    ';',
    '-',
    '\n',
    ' ',
    '[',
    ']',
    '<4>',
    '.',
    '\\x',
    'c3',
    '9007199254740993',
    '18446744073709551615',
    'caller=T1',
    ' KEY=value',
    'Killed process',
  ];
  const onlyParseErrors = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      if (!(err instanceof ProcParseError)) throw err;
    }
  };
  const parsers = [
    (t: string) => parseKmsgText(t, PATH),
    (t: string) => parseDmesgText(t, PATH),
    (t: string) => parseKmsgRecord(t, PATH),
  ];
  const options = { seed: 20261125, numRuns: 300 };

  test('random text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        for (const parse of parsers) onlyParseErrors(() => parse(text));
      }),
      options,
    );
  });
  test('text made of the formats own tokens', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...tokens), { maxLength: 60 }), (parts) => {
        for (const parse of parsers) onlyParseErrors(() => parse(parts.join('')));
      }),
      options,
    );
  });
  test('the fixture with characters inserted or cut', () => {
    fc.assert(
      fc.property(
        fc.nat(fixture.length),
        fc.oneof(fc.constantFrom(...tokens), fc.string({ unit: 'binary', maxLength: 4 })),
        fc.boolean(),
        (at, insert, cut) => {
          const text = cut
            ? fixture.slice(0, at) + fixture.slice(at + insert.length)
            : fixture.slice(0, at) + insert + fixture.slice(at);
          for (const parse of parsers) onlyParseErrors(() => parse(text));
        },
      ),
      options,
    );
  });
  test('generated records parse back to their values', () => {
    // What the kernel does to a message: each byte of its UTF-8 that is unprintable, not ASCII,
    // or the backslash itself becomes \xNN.
    const kernelEscape = (text: string): string =>
      [...Buffer.from(text, 'utf8')]
        .map((b) =>
          b < 0x20 || b >= 0x7f || b === 0x5c
            ? `\\x${b.toString(16).padStart(2, '0')}`
            : String.fromCharCode(b),
        )
        .join('');
    fc.assert(
      fc.property(
        fc.nat(191),
        fc.nat(),
        fc.nat(),
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        (prio, sequence, usec, text) => {
          assert.deepEqual(parseKmsgRecord(`${prio},${sequence},${usec},-;${kernelEscape(text)}`, PATH), {
            priority: prio % 8,
            facility: Math.floor(prio / 8),
            sequence,
            monotonicUsec: usec,
            message: text,
          });
        },
      ),
      options,
    );
  });
});

describe('read errors', () => {
  test('a tree without dev/kmsg is E_UNSUPPORTED', () => {
    const dir = mkdtempSync(join(tmpdir(), 'memlens-kmsg-'));
    try {
      assert.throws(
        () => readKmsg(createProcFs(dir)),
        (err: unknown) => err instanceof ProcReadError && err.code === 'E_UNSUPPORTED',
      );
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
  test('a malformed record in a tree is a ProcParseError naming the file and line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'memlens-kmsg-'));
    try {
      mkdirSync(join(dir, 'dev'));
      writeFileSync(join(dir, 'dev', 'kmsg'), '6,1,0,-;ok\nbroken\n');
      assert.throws(
        () => readKmsg(createProcFs(dir)),
        (err: unknown) =>
          err instanceof ProcParseError && err.path === join(dir, 'dev', 'kmsg') && err.line === 2,
      );
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe('the real /dev/kmsg', () => {
  test('as root: the records util-linux dmesg prints, in sequence order', (t) => {
    if (process.getuid?.() !== 0) return t.skip('reading the kernel log needs root here; CI runs it as root');
    const records = readKmsg(createProcFs('/'));
    assert.ok(records.length > 0, 'the ring buffer is never empty after boot');
    for (let i = 1; i < records.length; i++) {
      assert.ok(
        (records[i]?.sequence as number) > (records[i - 1]?.sequence as number),
        `sequence ${records[i]?.sequence} follows ${records[i - 1]?.sequence}`,
      );
    }
    const run = spawnSync('dmesg', ['--raw'], { encoding: 'utf8' });
    if (run.error) return t.skip('util-linux dmesg is not installed');
    assert.equal(run.status, 0, run.stderr);
    const printed = parseDmesgText(run.stdout, 'dmesg --raw');
    const first = printed[0]?.monotonicUsec ?? 0;
    const seen = new Set(printed.map((r) => `${r.facility} ${r.priority} ${r.monotonicUsec} ${r.message}`));
    // dmesg ran after us: what it lacks can only be records overwritten in between (older than
    // its first one). dmesg prints unprintable bytes its own way, so those records are left out.
    const comparable = records.filter((r) => r.monotonicUsec >= first && /^[\x20-\x7e]*$/.test(r.message));
    assert.ok(comparable.length > 0);
    for (const r of comparable) {
      assert.ok(
        seen.has(`${r.facility} ${r.priority} ${r.monotonicUsec} ${r.message}`),
        `dmesg lacks ${JSON.stringify(r)}`,
      );
    }
  });

  test('as user nobody: E_PERMISSION, saying that root is needed', (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root to switch to nobody; CI runs it as root');
    if (readFileSync('/proc/sys/kernel/dmesg_restrict', 'utf8').trim() === '0')
      return t.skip('kernel.dmesg_restrict is 0: anyone may read the kernel log here');
    if (spawnSync('setpriv', ['--version']).error) return t.skip('setpriv (util-linux) is not installed');
    const script = `
      const { createProcFs } = await import(${JSON.stringify(`${REPO}src/procfs/fs.ts`)});
      const { readKmsg } = await import(${JSON.stringify(`${REPO}src/procfs/kmsg.ts`)});
      const out = {};
      try { readKmsg(createProcFs('/')); out.code = 'read'; } catch (e) { out.code = e.code; out.message = e.message; out.errno = e.cause?.code; }
      console.log(JSON.stringify(out));`;
    const run = spawnSync(
      'setpriv',
      [
        '--reuid=nobody',
        '--regid=nogroup',
        '--clear-groups',
        process.execPath,
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        script,
      ],
      { cwd: REPO, encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(run.status, 0, run.stderr);
    const out = JSON.parse(run.stdout.trim().split('\n').at(-1) as string);
    assert.deepEqual(out, {
      code: 'E_PERMISSION',
      errno: 'EPERM',
      message:
        'permission denied reading "/dev/kmsg": reading the kernel log needs root (CAP_SYSLOG) here (kernel.dmesg_restrict=1)',
    });
  });
});

// The ProcFs root and the mapping of errno to ProcReadError codes.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isNoProcess, ProcParseError, ProcReadError, toReadError } from '../../src/procfs/errors.js';
import { createProcFs } from '../../src/procfs/fs.js';

const tmp = mkdtempSync(join(tmpdir(), 'memlens-fs-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
mkdirSync(join(tmp, 'proc/7'), { recursive: true });
writeFileSync(join(tmp, 'proc/7/comm'), 'x\n');
symlinkSync('/usr/bin/x', join(tmp, 'proc/7/exe'));
const fs = createProcFs(tmp);

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ProcReadError, String(err));
    return err.code;
  }
  return 'no error';
};

test('paths are below the root', () => {
  assert.equal(fs.path('proc', '7', 'comm'), join(tmp, 'proc/7/comm'));
  assert.equal(fs.readText('proc/7/comm'), 'x\n');
  assert.deepEqual(fs.list('proc/7').sort(), ['comm', 'exe']);
  assert.equal(fs.readLink('proc/7/exe', 7), '/usr/bin/x');
});

test('ENOENT is E_NO_PROCESS under a pid, E_UNSUPPORTED otherwise', () => {
  assert.equal(
    code(() => fs.readText('proc/8/status', 8)),
    'E_NO_PROCESS',
  );
  assert.equal(
    code(() => fs.readText('proc/pressure/memory')),
    'E_UNSUPPORTED',
  );
  assert.equal(
    code(() => fs.list('proc/nothing')),
    'E_UNSUPPORTED',
  );
  assert.equal(
    code(() => fs.readLink('proc/8/exe', 8)),
    'E_NO_PROCESS',
  );
  assert.equal(
    code(() => fs.openPinned('proc/8/stat', 8)),
    'E_NO_PROCESS',
  );
});

test('other errors are E_IO, with the errno kept as the cause', () => {
  const err = toReadError(Object.assign(new Error('is a directory'), { code: 'EISDIR' }), '/x');
  assert.equal(err.code, 'E_IO');
  assert.equal((err.cause as NodeJS.ErrnoException).code, 'EISDIR');
  assert.equal(
    code(() => fs.readText('proc/7')),
    'E_IO',
  );
});

test('EACCES and EPERM are E_PERMISSION; ESRCH is E_NO_PROCESS', () => {
  assert.equal(toReadError(Object.assign(new Error(), { code: 'EACCES' }), '/p', 1).code, 'E_PERMISSION');
  assert.equal(toReadError(Object.assign(new Error(), { code: 'EPERM' }), '/p', 1).code, 'E_PERMISSION');
  const gone = toReadError(Object.assign(new Error(), { code: 'ESRCH' }), '/proc/9/smaps', 9);
  assert.equal(gone.code, 'E_NO_PROCESS');
  assert.equal(gone.message, 'process 9 exited');
  assert.ok(isNoProcess(gone));
  assert.ok(!isNoProcess(new Error('x')));
});

test('a pinned file re-reads from the start', () => {
  const pinned = fs.openPinned('proc/7/comm', 7);
  try {
    assert.equal(pinned.read(), 'x\n');
    assert.equal(pinned.read(), 'x\n');
  } finally {
    pinned.close();
  }
});

test('ProcParseError: a SyntaxError that names the path and the line', () => {
  const err = new ProcParseError('expected 7 fields, found 5', '/proc/42/statm', 1);
  assert.ok(err instanceof SyntaxError);
  assert.equal(err.name, 'ProcParseError');
  assert.equal(err.message, 'Cannot parse "/proc/42/statm" line 1: expected 7 fields, found 5');
  assert.equal(new ProcParseError('missing Name', '/p').message, 'Cannot parse "/p": missing Name');
});

test('a file larger than the first read buffer is read whole', () => {
  const big = 'y'.repeat(200_000);
  writeFileSync(join(tmp, 'big'), big);
  assert.equal(fs.readText('big'), big);
});

// serve's history log: one line when an outage of a kind begins, one when writing resumes, and a
// second outage of the same kind is logged again (the last line must never say all is well while
// the history has stopped).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { historyLog } from '../../src/server/history-log.js';

const FULL = { kind: 'full' as const, message: 'database or disk is full' };
const status = { queued: 0, written: 1, dropped: 0, failing: null };

test('each outage is logged once when it begins and once when it ends, the second one too', () => {
  const lines: string[] = [];
  const log = historyLog('/var/lib/memlens/history.db', (l) => lines.push(l));
  for (let i = 0; i < 3; i++) log.failed(FULL, 'write');
  log.resumed(FULL, status);
  log.resumed(FULL, status);
  for (let i = 0; i < 3; i++) log.failed(FULL, 'write');
  log.resumed(FULL, status);
  assert.deepEqual(
    lines.map((l) =>
      /^memlens serve: cannot write a tick/.test(l) ? 'failed' : /written again/.test(l) ? 'resumed' : l,
    ),
    ['failed', 'resumed', 'failed', 'resumed'],
  );
  assert.match(
    lines[0] as string,
    /the disk is full: free space on the file system that holds \/var\/lib\/memlens/,
  );
});

// watch's shorter options on real children: --diff-every snapshots and says what grew, a name
// that matches several processes is watched per process and summed, --count ends the run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type RunningChild, startChild } from '../helpers/children.js';
import { runCli } from '../helpers/cli.js';

const MiB = 1024 * 1024;

function lines(stdout: string): Record<string, unknown>[] {
  return stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('--diff-every takes snapshots and reports the region that grew', async () => {
  const child = await startChild<{ pid: number }>('grow', ['leak', '4096']);
  try {
    const r = await runCli(['watch', String(child.info.pid), '--count', '4', '--diff-every', '1s', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const diffs = lines(r.stdout).filter((l) => l.event === 'diff') as {
      diff: { regions: { change: string; category: string; rssDeltaBytes: number }[]; summary: string };
    }[];
    assert.ok(diffs.length >= 2, `${diffs.length} diff events`);
    const grown = diffs[0]?.diff.regions.find((x) => x.category === 'anonymous' && x.rssDeltaBytes > 0);
    assert.ok(grown, JSON.stringify(diffs[0]?.diff.regions));
    // 4 MiB/s for about a second, give or take a tick.
    assert.ok(grown.rssDeltaBytes >= 2 * MiB && grown.rssDeltaBytes <= 12 * MiB, String(grown.rssDeltaBytes));
    assert.match(diffs[0]?.diff.summary ?? '', /anonymous [0-9a-f]+ \+[\d.]+ MiB RSS/);
  } finally {
    await child.stop();
  }
});

test('a name that matches several processes is watched per process and summed', async () => {
  const kids: RunningChild<{ pid: number }>[] = [];
  try {
    for (let i = 0; i < 3; i++)
      kids.push(await startChild<{ pid: number }>('grow', ['steady', String(8 + i)]));
    const name = 'grow-'; // the cached binary is named grow-<hash>: its comm starts with this
    const r = await runCli(['watch', name, '--count', '3', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const all = lines(r.stdout);
    const pids = new Set(all.filter((l) => typeof l.pid === 'number' && !l.event).map((l) => l.pid));
    for (const k of kids) assert.ok(pids.has(k.info.pid), `pid ${k.info.pid} watched`);
    const agg = all.filter((l) => l.aggregate === true) as { rssBytes: number; pids: number[] }[];
    assert.ok(agg.length >= 3);
    assert.ok(agg.every((a) => a.pids.length >= 3 && a.rssBytes >= 27 * MiB));
    const ends = all.filter((l) => l.event === 'end');
    assert.ok(ends.length >= 3 && ends.every((e) => e.reason === 'count'));
  } finally {
    for (const k of kids) await k.stop();
  }
});

test('the text form prints one line per sample and the end, no redraw', async () => {
  const child = await startChild<{ pid: number }>('grow', ['steady', '4']);
  try {
    const r = await runCli(['watch', String(child.info.pid), '--count', '2']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes('\u001b['), 'no terminal escapes when not a TTY');
    assert.match(r.stdout, /rss [\d.]+M .* majflt\/s/);
    assert.match(r.stdout, /watched grow-\w+ \(\d+\) for \d+s, last RSS/);
    assert.match(r.stdout, /verdict: not enough data yet/);
  } finally {
    await child.stop();
  }
});

test('bad durations are usage errors', async () => {
  const r = await runCli(['watch', '1', '--interval', 'fast']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--interval takes a duration such as 500ms, 10s, 5m or 1h, not "fast"/);
});

// --pause: the demo waits after each step with the helper as the step left it, so what the test
// reads from /proc itself at each pause must be exactly the "after" the demo reports for that step.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { DemoReport } from '../../src/lab/types.js';
import { find, noCompiler, pausedPids, startDemo } from './_lab.js';

const PROMPT = /paused after step \d+[^\n]*\n/;

/** VmSize, VmRSS (bytes) and minflt, read here without memlens's parsers. */
function kernelFigures(pid: number): { vsz: number; rss: number; minflt: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1]) * 1024;
  // Fields after the command name's closing parenthesis: state is field 3, minflt field 10.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { vsz: kb('VmSize'), rss: kb('VmRSS'), minflt: Number(fields[7]) };
}

test('reserve --pause: at every pause /proc says what the step reports', async (t) => {
  const why = noCompiler();
  if (why) return t.skip(why);
  const demo = startDemo(['reserve', '--size', '16M', '--pause', '--json']);
  const seen: ReturnType<typeof kernelFigures>[] = [];
  let pid = 0;
  for (let step = 1; step <= 3; step++) {
    const prompt = await demo.waitForStderr(PROMPT, step);
    assert.match(
      prompt[0],
      new RegExp(`paused after step ${step}\\. From another terminal: memlens inspect \\d+`),
    );
    pid = pausedPids(prompt[0])[0] as number;
    seen.push(kernelFigures(pid));
    demo.proc.stdin?.write('\n');
  }
  const { code } = await demo.exited;
  assert.equal(code, 0, demo.stderr());
  const r = JSON.parse(demo.stdout()) as DemoReport;
  assert.equal(r.created.processes[0]?.pid, pid);
  for (const [i, k] of seen.entries()) {
    assert.equal(find(r, i + 1, 'vszBytes').after, k.vsz, `step ${i + 1} VmSize`);
    assert.equal(find(r, i + 1, 'rssBytes').after, k.rss, `step ${i + 1} VmRSS`);
    if (i < 2) assert.equal(find(r, i + 1, 'minorFaults').after, k.minflt, `step ${i + 1} minflt`);
  }
});

test('cow --pause: the parent and child figures at each pause are the kernel own', async (t) => {
  const why = noCompiler();
  if (why) return t.skip(why);
  const demo = startDemo(['cow', '--size', '8M', '--pause', '--json']);
  const seen = new Map<number, Map<number, ReturnType<typeof kernelFigures>>>();
  for (let step = 1; step <= 5; step++) {
    const prompt = await demo.waitForStderr(PROMPT, step);
    seen.set(step, new Map(pausedPids(prompt[0]).map((pid) => [pid, kernelFigures(pid)])));
    demo.proc.stdin?.write('\n');
  }
  const { code } = await demo.exited;
  assert.equal(code, 0, demo.stderr());
  const r = JSON.parse(demo.stdout()) as DemoReport;
  const parent = r.created.processes[0]?.pid as number;
  const child = r.created.processes[1]?.pid as number;
  assert.deepEqual([...(seen.get(2)?.keys() ?? [])], [parent, child]);
  assert.equal(find(r, 2, 'parentVmRssBytes').after, seen.get(2)?.get(parent)?.rss);
  assert.equal(find(r, 3, 'childMinorFaults').after, seen.get(3)?.get(child)?.minflt);
  assert.equal(find(r, 4, 'childMinorFaults').after, seen.get(4)?.get(child)?.minflt);
});

test('--pause with stdin closed goes on without waiting', async (t) => {
  const why = noCompiler();
  if (why) return t.skip(why);
  const demo = startDemo(['reserve', '--size', '4M', '--pause', '--json']);
  demo.proc.stdin?.end();
  const { code } = await demo.exited;
  assert.equal(code, 0, demo.stderr());
  assert.equal((JSON.parse(demo.stdout()) as DemoReport).steps.length, 3);
});

// memoryBudget in a real process. Modes:
//   warn   start the budget and report its start-up warnings (run with a --max-old-space-size
//          above the cgroup's limit), then exit
//   grow   touch 4 MiB more every 50 ms until the 95% pressure event, printing each event
//   measure  print what the budget measures and memoryStats' limit, then wait for stdin to close
import { memoryBudget, memoryStats } from '../../../src/runtime/index.js';

const mode = process.argv[2];
const print = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);

if (mode === 'measure') {
  const budget = memoryBudget({ warn: false });
  print({ pid: process.pid, measure: budget.measure(), limit: memoryStats().limit });
  budget.stop();
  process.stdin.resume();
} else if (mode === 'warn') {
  const budget = memoryBudget();
  print({ warnings: budget.warnings, limit: budget.measure() });
  budget.stop();
} else {
  const budget = memoryBudget({ intervalMs: 100 });
  const held: Buffer[] = [];
  let stopped = false;
  budget.on('pressure', (e) => {
    print({ event: 'pressure', ...e });
    if (e.threshold >= 0.95) stopped = true;
  });
  const timer = setInterval(() => {
    // Filled, so the pages are touched: a zero-filled Buffer.alloc may be untouched mmap.
    if (!stopped) held.push(Buffer.alloc(4 * 1024 * 1024, 1));
  }, 50);
  print({ ready: true, pid: process.pid, start: budget.measure() });
  process.stdin.on('end', () => {
    clearInterval(timer);
    budget.stop();
    print({ done: true, held: held.length });
  });
  process.stdin.resume();
}

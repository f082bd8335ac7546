#!/usr/bin/env node
// Runs the tests (scripts/run-tests.mjs, with the same arguments) while another process keeps one
// core busy, as a loaded CI machine or a neighbour would. Tests of verdicts on real processes
// must hold there too: a test that passes only on an idle machine depends on timing it does not
// control. `npm run test:stress -- test/cli/watch.test.ts` narrows the run like `run-tests.mjs`.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// The spinner checks now and then that its parent is still this script, so it never outlives a
// run that was SIGKILLed (an orphan is re-parented and its ppid changes).
const SPIN = `const p = process.ppid; for (let i = 0; ; i++) if ((i & 0xffffff) === 0 && process.ppid !== p) process.exit(0);`;
const spinner = spawn(process.execPath, ['-e', SPIN], { stdio: 'ignore' });

const runTests = fileURLToPath(new URL('./run-tests.mjs', import.meta.url));
// In a process group of its own, so that a signal sent to this script alone still reaches every
// test process (run-tests.mjs waits for node --test synchronously and would not pass it on).
const tests = spawn(process.execPath, [runTests, ...process.argv.slice(2)], {
  stdio: 'inherit',
  detached: true,
});

let signalled = null;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    signalled = sig;
    spinner.kill('SIGKILL');
    if (tests.pid === undefined) return;
    try {
      process.kill(-tests.pid, sig);
    } catch {
      // Already gone.
    }
  });
}

tests.on('exit', (code, sig) => {
  spinner.kill('SIGKILL');
  if (signalled || sig) {
    process.exitCode = 1;
    console.error(`test:stress: stopped by ${signalled ?? sig}`);
  } else {
    process.exitCode = code ?? 1;
  }
});

// A history writer for crash.test.ts, run as its own process (node --import tsx):
//   _writer.ts PATH START_T PROCESSES
// Writes one tick of PROCESSES processes per event-loop turn, simulated time 1 s per tick from
// START_T, compacting every 60 ticks as the server does every minute. It prints "+t" before each
// writeTick and "t" after it returns (synchronous writes: a printed t was committed). On SIGTERM
// it closes the history and prints "closed N" (ticks written) before exiting, as the server does.

import { writeSync } from 'node:fs';
import { History } from '../../src/store/index.js';
import { cgroupPopulation, machine, population } from './_helpers.js';

const [path, startArg, procsArg] = process.argv.slice(2);
if (!path || !startArg || !procsArg) throw new Error('usage: _writer.ts PATH START_T PROCESSES');
const procs = Number(procsArg);
const history = History.open(path);
let t = Number(startArg);
let written = 0;

process.on('SIGTERM', () => {
  history.close();
  writeSync(1, `closed ${written}\n`);
  process.exit(0);
});

function tick(): void {
  writeSync(1, `+${t}\n`);
  history.writeTick(t, {
    machine: machine({ memAvailableBytes: 4e9 + (t % 1000) * 4096 }),
    processes: population(procs, t),
    cgroups: cgroupPopulation(20, t),
  });
  writeSync(1, `${t}\n`);
  written++;
  t++;
  if (t % 60 === 0) history.compact(t);
  setImmediate(tick);
}
writeSync(1, 'ready\n');
tick();

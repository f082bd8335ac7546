// A Node process that publishes memlens/runtime's channel and waits: until its stdin closes
// (a normal exit) or a signal ends it.
import { enableRuntimeChannel } from '../../../src/runtime/index.js';

const channel = enableRuntimeChannel();
// Some heap of its own, so the runtime view has something to show.
const kept = Array.from({ length: 50_000 }, (_, i) => ({ i, s: `item ${i}` }));
process.stdout.write(
  `${JSON.stringify({ ready: true, pid: process.pid, path: channel.path, kept: kept.length })}\n`,
);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();

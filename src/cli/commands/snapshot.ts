// memlens snapshot: one process's memory saved as JSON, for `memlens diff` to compare later.
import { formatBytes } from '../../analysis/format.js';
import { readProcess } from '../../collect/process.js';
import { loadUserNames } from '../../collect/users.js';
import { FileWriteError, writeFilePrivately } from '../../files/private-file.js';
import { isNoProcess } from '../../procfs/errors.js';
import { buildSnapshot } from '../../reports/snapshot.js';
import { createContext, type GlobalOptions } from '../context.js';
import { RuntimeError, UsageError } from '../errors.js';
import { printText } from '../render/terminal.js';
import { resolveTarget } from '../resolve.js';

interface SnapshotCliOptions {
  output?: string;
  /** The snapshot is JSON either way; with -o it silences the one-line confirmation. */
  json?: boolean;
}

export async function runSnapshot(
  target: string,
  opts: SnapshotCliOptions,
  globals: GlobalOptions,
): Promise<void> {
  if (opts.output === '') throw new UsageError('-o takes a file name, not ""');
  const ctx = createContext(globals);
  const [pid] = resolveTarget(ctx.fs, target, false) as [number];
  let sample: ReturnType<typeof readProcess>;
  try {
    sample = readProcess(ctx.fs, pid, { smaps: true, oom: true });
  } catch (err) {
    if (isNoProcess(err)) throw new RuntimeError(`no process ${pid}: it does not exist (or already exited)`);
    throw err;
  }
  if (sample.kernelThread) {
    throw new UsageError(`process ${pid} (${sample.name}) is a kernel thread: it has no memory to snapshot`);
  }
  if (!sample.smaps) {
    // A snapshot without regions could never be diffed, so this is a failure, not a partial file.
    const hint = sample.rollupUnknown === 'permission denied' ? ': run as root or as the process owner' : '';
    throw new RuntimeError(`cannot read the mappings of process ${pid} (${sample.rollupUnknown})${hint}`);
  }
  const user = sample.uid === null ? null : loadUserNames(ctx.fs)(sample.uid);
  const snapshot = buildSnapshot(sample, user, ctx.pageSize, new Date());
  const text = `${JSON.stringify(snapshot)}\n`;
  if (opts.output === undefined || opts.output === '-') {
    process.stdout.write(text);
    return;
  }
  try {
    // Atomic (a crash leaves the old file or none) and safe beside other users' planted links.
    writeFilePrivately(opts.output, text);
  } catch (err) {
    if (err instanceof FileWriteError) throw new RuntimeError(err.message);
    throw err;
  }
  if (!opts.json) {
    const rss = snapshot.inspect.rssBytes === null ? 'unknown' : formatBytes(snapshot.inspect.rssBytes);
    printText(
      { name: snapshot.name, file: opts.output },
      (s) =>
        `Snapshot of ${s.name} (pid ${pid}): ${rss} RSS in ${snapshot.regions.length} regions, written to ${s.file}\n`,
    );
  }
}

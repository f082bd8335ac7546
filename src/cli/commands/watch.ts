// memlens watch: memory over time, a leak verdict backed by statistics, and time to the limit.
// NDJSON with --json; a live view on a terminal; one line per sample otherwise.
import logUpdate from 'log-update';
import { isNoProcess } from '../../procfs/errors.js';
import { type EndEvent, type SampleEvent, Watch, type WatchEvent } from '../../reports/watch.js';
import { createContext, type GlobalOptions } from '../context.js';
import { parseDuration } from '../duration.js';
import { RuntimeError } from '../errors.js';
import { parseCount } from '../options.js';
import { printText, terminalText } from '../render/terminal.js';
import { compactBytes } from '../render/units.js';
import { liveView, sampleLine, verdictLine } from '../render/watch-view.js';
import { resolveTarget } from '../resolve.js';

interface WatchCliOptions {
  interval?: string;
  duration?: string;
  count?: string;
  diffEvery?: string;
  json?: boolean;
}

export async function runWatch(target: string, opts: WatchCliOptions, globals: GlobalOptions): Promise<void> {
  const interval = parseDuration(opts.interval ?? '1s', '--interval') as number;
  const duration = parseDuration(opts.duration, '--duration');
  const count = parseCount(opts.count, '--count');
  const diffEvery = parseDuration(opts.diffEvery, '--diff-every');
  const ctx = createContext(globals);
  // A name may match all the workers of a server: watch each, and their sum.
  const pids = resolveTarget(ctx.fs, target, true);
  let watch: Watch;
  try {
    watch = new Watch(ctx.fs, pids);
  } catch (err) {
    if (isNoProcess(err))
      throw new RuntimeError(`process ${pids.join(', ')} exited before it could be watched`);
    throw err;
  }
  const live = !opts.json && process.stdout.isTTY === true;
  const pss = new Map<number, number[]>();
  const lastDiffText = new Map<number, string>();
  const write = (events: WatchEvent[]) => {
    for (const e of events) {
      if ('pid' in e && e.pid !== null && !('event' in e)) {
        const list = pss.get(e.pid) ?? [];
        if (e.pssBytes !== null) list.push(e.pssBytes);
        pss.set(e.pid, list);
      }
      if ('event' in e && e.event === 'diff') lastDiffText.set(e.pid, terminalText(e, textOf));
      if (opts.json) process.stdout.write(`${JSON.stringify(e)}\n`);
      else if (!live) printText(e, (x) => `${textOf(x)}\n`);
    }
    if (live) {
      const views = watch
        .current()
        .filter((c) => c.sample)
        .map((c) => {
          // The sample and verdict hold the names; the series are numbers. Colours: the chart's.
          const view = terminalText(
            { sample: c.sample as SampleEvent, verdict: c.verdict },
            (x) => liveView(x.sample, c.series, pss.get(c.pid) ?? [], x.verdict),
            { colors: true },
          );
          const diff = lastDiffText.get(c.pid);
          return diff ? `${view}\n${diff}` : view;
        });
      logUpdate(views.join('\n\n'));
    }
  };

  const started = Date.now();
  let ticks = 0;
  let lastDiff = 0;
  let stopping: 'interrupted' | null = null;
  const onSignal = () => {
    stopping = 'interrupted';
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (;;) {
      const now = Date.now() / 1000;
      write(watch.tick(now));
      if (diffEvery !== null && (ticks === 0 || now - lastDiff >= diffEvery)) {
        write(watch.diffTick(now, ctx.pageSize));
        lastDiff = now;
      }
      ticks++;
      if (watch.live === 0) break;
      const reason =
        stopping ??
        (count !== null && ticks >= count ? 'count' : null) ??
        (duration !== null && (Date.now() - started) / 1000 >= duration ? 'duration' : null);
      if (reason) {
        write(watch.end(Date.now() / 1000, reason));
        break;
      }
      // Sleep to the next tick boundary, waking early on a signal.
      const next = started + ticks * interval * 1000;
      await sleepUntil(next, () => stopping !== null);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (live) logUpdate.done();
  }
}

async function sleepUntil(when: number, stop: () => boolean): Promise<void> {
  while (Date.now() < when && !stop()) {
    await new Promise((r) => setTimeout(r, Math.min(100, when - Date.now())));
  }
}

function textOf(e: WatchEvent): string {
  if ('event' in e && e.event === 'diff') {
    return `pid ${e.pid}: ${e.diff.summary}`;
  }
  if ('event' in e) return `${(e as EndEvent).summary}\n${verdictLine((e as EndEvent).verdict)}`;
  if ('aggregate' in e) {
    const line = `all ${e.pids.length} processes: rss ${compactBytes(e.rssBytes)} pss ${compactBytes(e.pssBytes)}`;
    return e.verdict ? `${line}\n  ${verdictLine(e.verdict)}` : line;
  }
  const line = sampleLine(e);
  return e.verdict ? `${line}\n  ${verdictLine(e.verdict)}` : line;
}

// Timing helpers: contenders run round-robin (each round starts at a different one, so no contender
// always runs right after the same neighbour), and each is summarized by its median and p90.
// A spawned command is timed with spawnSync, so nothing else of the bench runs while a contender
// does; between repetitions the loop yields, so that a Ctrl-C handler gets to run.
import { spawnSync } from 'node:child_process';
import { openSync } from 'node:fs';

export interface Stats {
  n: number;
  medianMs: number;
  p90Ms: number;
  minMs: number;
  maxMs: number;
}

export interface Contender {
  /** Short key used in results and comparisons, e.g. "memlens-ps". */
  id: string;
  /** What a reader sees, e.g. "node dist/cli/main.js ps". */
  label: string;
  /** One timed repetition. Throws to drop the contender from later rounds (the error is reported). */
  run(): void;
}

export interface Measured {
  id: string;
  label: string;
  samplesMs: number[];
  stats: Stats | null;
  /** Why the contender stopped early or never ran (a timeout, a missing tool, a failed command). */
  note: string | null;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

export function summarize(samplesMs: number[]): Stats | null {
  if (samplesMs.length === 0) return null;
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return {
    n: sorted.length,
    medianMs: median,
    p90Ms: percentile(sorted, 90),
    minMs: sorted[0] as number,
    maxMs: sorted[sorted.length - 1] as number,
  };
}

/** Milliseconds taken by fn, from process.hrtime.bigint(). */
export function timeMs(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export interface RoundRobinOptions {
  warmup: number;
  reps: number;
  /** Called after each timed round, for a progress line. */
  onRound?: (round: number, reps: number) => void;
}

/** Set by the bench's signal handler; the next yield() then throws instead of going on. */
export const interruption = { requested: false };

/** Lets pending events (a signal handler) run between repetitions; throws once interrupted. */
export async function yieldToEvents(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  if (interruption.requested) throw new Error('interrupted');
}

/**
 * Runs `warmup` untimed rounds, then `reps` timed rounds of every contender. A contender that
 * throws is dropped for the rest of the run and its error becomes its note.
 */
export async function roundRobin(contenders: Contender[], opts: RoundRobinOptions): Promise<Measured[]> {
  const results = contenders.map(
    (c): Measured => ({ id: c.id, label: c.label, samplesMs: [], stats: null, note: null }),
  );
  const total = opts.warmup + opts.reps;
  for (let round = 0; round < total; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const i = (round + k) % contenders.length;
      const c = contenders[i] as Contender;
      const out = results[i] as Measured;
      if (out.note !== null) continue;
      try {
        const ms = timeMs(() => c.run());
        if (round >= opts.warmup) out.samplesMs.push(ms);
      } catch (err) {
        out.note = (err as Error).message;
      }
      await yieldToEvents();
    }
    if (round >= opts.warmup) opts.onRound?.(round - opts.warmup + 1, opts.reps);
  }
  for (const r of results) r.stats = summarize(r.samplesMs);
  return results;
}

let devNull: number | null = null;

/** A contender that never ran: a missing optional peer. */
export function skipped(id: string, label: string, note: string): Contender {
  return {
    id,
    label,
    run() {
      throw new Error(note);
    },
  };
}

/**
 * A contender that spawns a command with stdout to /dev/null and times it wall-clock, spawn
 * included (the same cost for every command; `true` measures it). A non-zero exit or a run past
 * timeoutMs (the child is killed) drops it.
 */
export function command(id: string, argv: string[], timeoutMs = 60_000): Contender {
  const [file, ...args] = argv as [string, ...string[]];
  devNull ??= openSync('/dev/null', 'w');
  const out = devNull;
  return {
    id,
    label: argv.join(' '),
    run() {
      const r = spawnSync(file, args, {
        stdio: ['ignore', out, 'pipe'],
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 1 << 20,
      });
      if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
        throw new Error(`did not finish within ${timeoutMs / 1000} s (killed)`);
      }
      if (r.error) throw new Error(`could not run: ${r.error.message}`);
      if (r.status !== 0) {
        const why = r.stderr.toString().trim().split('\n')[0] ?? '';
        throw new Error(`exited with ${r.signal ?? `code ${r.status}`}${why ? `: ${why}` : ''}`);
      }
    },
  };
}

/** The ratio of two medians (a / b), null when either is missing. */
export function ratio(a: Measured | undefined, b: Measured | undefined): number | null {
  if (!a?.stats || !b?.stats || b.stats.medianMs === 0) return null;
  return a.stats.medianMs / b.stats.medianMs;
}

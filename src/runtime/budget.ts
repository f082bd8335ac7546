// memoryBudget(): the GOMEMLIMIT analog. It knows the limit that binds the process (cgroup v1/v2,
// else heap_size_limit, else RAM: limit.ts), measures what that limit counts, and emits
// 'pressure' when usage crosses 80/90/95% of it and 'relief' when it falls back, with hysteresis
// so a usage that hovers at a threshold does not flap. Opt-in actions: a heap snapshot
// (rate-limited), the user's hook, and a middleware that sheds load with 503 + Retry-After.
import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import { formatBytes } from '../analysis/format.js';
import { type BudgetWarning, heapLimitWarning } from './budget-warning.js';
import { bindingLimit, cgroupFigures, cgroupHeadroom, cgroupLimit } from './limit.js';
import type { LimitSource } from './types.js';

export type { BudgetWarning } from './budget-warning.js';

export interface PressureEvent {
  /** The threshold crossed (a share of the limit, e.g. 0.9). */
  threshold: number;
  ratio: number;
  usageBytes: number;
  limitBytes: number;
  source: LimitSource;
  /** What usage counts: the cgroup's working set, heapUsed or RSS. */
  measure: 'cgroup working set' | 'heapUsed' | 'rss';
  timeMs: number;
}

export interface MemoryBudgetOptions {
  /** A limit in bytes (or a function that says it now), instead of the one found; usage is then RSS. */
  limit?: number | (() => number);
  /** Shares of the limit; default [0.8, 0.9, 0.95]. */
  thresholds?: number[];
  /** A threshold is left when usage falls this share below it; default 0.05. */
  hysteresis?: number;
  /** How often usage is measured; default 1000 ms. */
  intervalMs?: number;
  /** Called for every 'pressure' event, e.g. to shed load. */
  onPressure?: (event: PressureEvent) => void;
  /** Write a heap snapshot into `dir` at `threshold` (default 0.9), at most once per minIntervalMs (1 h). */
  heapSnapshot?: { dir: string; threshold?: number; minIntervalMs?: number };
  /** The start-up check: process.emitWarning (default), a function of yours, or false. */
  warn?: boolean | ((warning: BudgetWarning) => void);
}

export interface BudgetMiddlewareOptions {
  /** Shed load at or above this threshold; default the highest one. */
  threshold?: number;
  retryAfterSec?: number;
}

export class MemoryBudget extends EventEmitter {
  readonly thresholds: number[];
  /** Start-up findings, such as a heap limit above the cgroup limit. */
  readonly warnings: BudgetWarning[];
  private readonly active = new Set<number>();
  private readonly timer: NodeJS.Timeout;
  private lastSnapshotMs = Number.NEGATIVE_INFINITY;
  last: PressureEvent | null = null;

  constructor(private readonly options: MemoryBudgetOptions = {}) {
    super();
    this.thresholds = [...(options.thresholds ?? [0.8, 0.9, 0.95])].sort((a, b) => a - b);
    const warning = heapLimitWarning(v8.getHeapStatistics().heap_size_limit, cgroupLimit());
    this.warnings = warning ? [warning] : [];
    if (warning && options.warn !== false) {
      if (typeof options.warn === 'function') options.warn(warning);
      else process.emitWarning(warning.message, { type: 'MemlensWarning', code: warning.code });
    }
    if (options.onPressure) this.on('pressure', options.onPressure);
    this.timer = setInterval(() => this.check(), options.intervalMs ?? 1000);
    this.timer.unref();
    // The first check after the caller has attached its listeners.
    setImmediate(() => this.check()).unref();
  }

  /** The highest threshold usage is at or above (with hysteresis), 0 when none. */
  get level(): number {
    let level = 0;
    for (const t of this.active) level = Math.max(level, t);
    return level;
  }

  /** The limit and usage now. */
  measure(): Omit<PressureEvent, 'threshold'> {
    const timeMs = Date.now();
    const m = process.memoryUsage();
    if (this.options.limit !== undefined) {
      const limit = this.options.limit;
      const limitBytes = typeof limit === 'function' ? limit() : limit;
      return {
        ratio: m.rss / limitBytes,
        usageBytes: m.rss,
        limitBytes,
        source: 'option',
        measure: 'rss',
        timeMs,
      };
    }
    const heap = v8.getHeapStatistics();
    // One reading: the level that binds (and its working set) can change from one to the next.
    const room = cgroupHeadroom();
    const limit = bindingLimit({
      rssBytes: m.rss,
      heapSizeLimitBytes: heap.heap_size_limit,
      heapPhysicalBytes: heap.total_physical_size,
      cgroup: cgroupFigures(room),
      ramBytes: totalmem(),
    });
    let usageBytes = m.rss;
    let measure: PressureEvent['measure'] = 'rss';
    if (limit.source === 'heap_size_limit') {
      usageBytes = m.heapUsed;
      measure = 'heapUsed';
    } else if (limit.source === 'cgroup') {
      // The binding level's working set: its other cgroups' memory counts against the limit too.
      const ws = room?.workingSetBytes ?? null;
      if (ws !== null) {
        usageBytes = ws;
        measure = 'cgroup working set';
      }
    }
    return {
      ratio: usageBytes / limit.bytes,
      usageBytes,
      limitBytes: limit.bytes,
      source: limit.source,
      measure,
      timeMs,
    };
  }

  /** Measures now and emits what changed; the timer calls it every intervalMs. */
  check(): void {
    const now = this.measure();
    const hysteresis = this.options.hysteresis ?? 0.05;
    for (const t of this.thresholds) {
      if (now.ratio >= t && !this.active.has(t)) {
        this.active.add(t);
        const event = { ...now, threshold: t };
        this.last = event;
        this.emit('pressure', event);
        this.maybeSnapshot(t);
      }
    }
    for (const t of [...this.thresholds].reverse()) {
      if (this.active.has(t) && now.ratio < t - hysteresis) {
        this.active.delete(t);
        this.emit('relief', { ...now, threshold: t });
      }
    }
  }

  private maybeSnapshot(threshold: number): void {
    const s = this.options.heapSnapshot;
    if (!s || threshold < (s.threshold ?? 0.9)) return;
    const now = Date.now();
    if (now - this.lastSnapshotMs < (s.minIntervalMs ?? 3_600_000)) return;
    this.lastSnapshotMs = now;
    try {
      mkdirSync(s.dir, { recursive: true, mode: 0o700 });
      const path = join(s.dir, `heap-${process.pid}-${now}.heapsnapshot`);
      // V8 opens the file it writes by name, following links and truncating what is there; so it
      // writes into a folder of our own (mkdtemp: a new, unpredictable, 0700 folder), and the file
      // is then renamed into place, which replaces a link planted at that name, never its target.
      const own = mkdtempSync(join(s.dir, '.heap-'));
      try {
        // Synchronous and costly: V8 walks the whole heap, and needs memory of its own to do it.
        renameSync(v8.writeHeapSnapshot(join(own, 'heap.heapsnapshot')), path);
      } finally {
        rmSync(own, { recursive: true, force: true });
      }
      this.emit('snapshot', { path, threshold, error: null });
    } catch (err) {
      this.emit('snapshot', { path: null, threshold, error: err });
    }
  }

  /**
   * Answers 503 with Retry-After while usage is at or above the threshold, else passes the
   * request on: Express and Connect middleware, Fastify's onRequest hook, or node:http with
   * `budget.middleware()(req, res, () => app(req, res))`.
   */
  middleware(opts: BudgetMiddlewareOptions = {}) {
    const threshold = opts.threshold ?? (this.thresholds[this.thresholds.length - 1] as number);
    const retryAfter = String(opts.retryAfterSec ?? 10);
    return (_req: unknown, res: ShedResponse, next: (err?: unknown) => void): unknown => {
      if (this.level < threshold) return next();
      const last = this.last;
      const body = JSON.stringify({
        error: {
          code: 'E_MEMORY_PRESSURE',
          message: `memory at ${last ? Math.round(last.ratio * 100) : '?'}% of its ${last ? formatBytes(last.limitBytes) : ''} limit: shedding load`,
        },
      });
      if ('raw' in res) {
        return res
          .code(503)
          .header('retry-after', retryAfter)
          .header('content-type', 'application/json')
          .send(body);
      }
      res.writeHead(503, { 'retry-after': retryAfter, 'content-type': 'application/json' });
      res.end(body);
    };
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** A node/Express response, or a Fastify reply. */
type ShedResponse =
  | { writeHead(status: number, headers: Record<string, string>): unknown; end(body: string): unknown }
  | {
      raw: unknown;
      code(status: number): {
        header(n: string, v: string): { header(n: string, v: string): { send(b: string): unknown } };
      };
    };

export function memoryBudget(options: MemoryBudgetOptions = {}): MemoryBudget {
  return new MemoryBudget(options);
}

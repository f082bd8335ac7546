// The HTTP app: the JSON API, /metrics, server-sent events and the dashboard's files. A factory
// that never listens by itself (serve.ts wires it to a socket; tests call app.request()). Every
// failure leaves through onError as { "error": { "code", "message" } }, never a stack trace.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import { type AuthOptions, authMiddleware } from './auth.js';
import type { EventHub } from './events.js';
import type { Columnar, HistoryStore } from './history.js';
import {
  badParam,
  HttpError,
  parseChoiceParam,
  parseIntParam,
  parsePidParam,
  parseRange,
  type Range,
} from './params.js';
import { toDetail } from './state.js';
import { SORTS, type Views } from './views.js';

export interface AppDeps {
  views: Views;
  history: HistoryStore;
  registry: Registry;
  events: EventHub;
  auth: AuthOptions;
  /** The built dashboard (index.html and its assets); default dist/web of this package. */
  webRoot?: string;
  now?: () => number;
  /** Where unexpected errors are reported (the client only sees "internal error"). */
  logError?: (err: unknown) => void;
}

/**
 * A history read that may work if retried: a lock, or an I/O error. Any other SQLite error
 * (SQLITE_ERROR, SQLITE_CORRUPT) is a bug or damage, logged as an internal error, never hidden.
 */
function isPassingSqliteError(err: unknown): err is Error {
  const code = String((err as { code?: unknown } | null)?.code);
  return err instanceof Error && /^SQLITE_(BUSY|LOCKED|IOERR)/.test(code);
}

export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../dist/web/', import.meta.url));

// The dashboard loads its own script and styles and talks to this server only.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** The spacing of the points: the median gap, or the range split evenly when too few to tell. */
function stepOf(series: Columnar, r: Range): number {
  const t = series.t;
  if (t.length < 2) return (r.to - r.from) / r.points;
  const gaps = t.slice(1).map((ti, i) => ti - (t[i] as number));
  gaps.sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)] as number;
}

function pick(series: Columnar, keys: readonly string[]): Record<string, (number | null)[]> {
  const out: Record<string, (number | null)[]> = { t: series.t };
  for (const k of keys) out[k] = (series[k] as (number | null)[] | undefined) ?? series.t.map(() => null);
  return out;
}

const PROCESS_KEYS = [
  'vszBytes',
  'rssBytes',
  'pssBytes',
  'ussBytes',
  'swapBytes',
  'anonBytes',
  'fileBytes',
  'shmemBytes',
  // The store turns the fault counters into rates between points.
  'minorFaultsPerSec',
  'majorFaultsPerSec',
];
const MACHINE_KEYS = [
  'memAvailableBytes',
  'cachedBytes',
  'swapFreeBytes',
  'psiSomeAvg10',
  'psiFullAvg10',
  'oomKills',
];
const CGROUP_KEYS = [
  'usageBytes',
  'workingSetBytes',
  'limitBytes',
  'anonBytes',
  'fileBytes',
  'shmemBytes',
  'kernelBytes',
  'oomKills',
  'psiSomeAvg10',
];

export function createApp(deps: AppDeps): Hono {
  const { views, history, events } = deps;
  const now = deps.now ?? (() => Date.now() / 1000);
  const webRoot = deps.webRoot ?? DEFAULT_WEB_ROOT;
  const app = new Hono();

  app.onError((err, c) => {
    if (err instanceof HttpError) {
      return c.json({ error: { code: err.code, message: err.message } }, err.status, err.headers);
    }
    if (isPassingSqliteError(err)) {
      // A history read that met a lock or a failing disk: the live routes are unaffected.
      const message = `The history cannot be read now (${err.message}): retry; the live routes still answer`;
      return c.json({ error: { code: 'history-unavailable', message } }, 503, { 'Retry-After': '1' });
    }
    (deps.logError ?? ((e) => console.error('memlens serve: internal error:', e)))(err);
    return c.json({ error: { code: 'internal', message: 'Internal error: see the server log' } }, 500);
  });
  app.notFound((c) => c.json({ error: { code: 'not-found', message: `No route "${c.req.path}"` } }, 404));

  app.use(async (c, next) => {
    // Read-only API: nothing takes a body. A request that has one is answered before auth and
    // with Connection: close, so node closes the socket rather than reading the body to its end
    // to keep the connection (a chunked body need not have one).
    const hasBody =
      c.req.header('transfer-encoding') !== undefined || !/^0*$/.test(c.req.header('content-length') ?? '');
    const close: Record<string, string> = hasBody ? { Connection: 'close' } : {};
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      throw new HttpError(
        405,
        'method-not-allowed',
        `Method ${c.req.method} is not allowed: this API is read-only`,
        {
          Allow: 'GET, HEAD',
          ...close,
        },
      );
    }
    if (hasBody) {
      throw new HttpError(
        413,
        'body-not-allowed',
        'This API takes no request body: send the request without one',
        close,
      );
    }
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Content-Security-Policy', CSP);
    if (c.req.path.startsWith('/api/')) c.header('Cache-Control', 'no-store');
  });
  app.use(authMiddleware(deps.auth));

  const live = () => {
    const m = views.sampler.state.machine;
    if (!m) throw new HttpError(503, 'not-ready', 'No sample taken yet: retry in a second');
    return m;
  };

  app.get('/api/machine', (c) => c.json(live()));

  app.get('/api/processes', (c) => {
    live();
    const sort = parseChoiceParam('sort', c.req.query('sort'), SORTS, 'pss');
    const limit = parseIntParam('limit', c.req.query('limit'), 1, 1000, 50);
    return c.json({ t: views.t, processes: views.processRows(sort, limit) });
  });

  const tracked = (raw: string) => {
    const pid = parsePidParam(raw);
    const x = views.tracked(pid);
    if (!x)
      throw new HttpError(
        404,
        'no-such-process',
        `No process ${pid} at the last sample: it exited, or never ran`,
      );
    return x;
  };

  app.get('/api/processes/:pid', (c) => {
    const x = tracked(c.req.param('pid'));
    return c.json({ process: toDetail(x, views.t), ...views.inspect(x) });
  });

  app.get('/api/processes/:pid/history', (c) => {
    const pid = parsePidParam(c.req.param('pid'));
    const r = parseRange(c.req.query(), now());
    const startRaw = c.req.query('startTicks');
    // Without startTicks: the live process's own series, else whatever ran under this PID.
    const start =
      startRaw !== undefined
        ? parseIntParam('startTicks', startRaw, 0, Number.MAX_SAFE_INTEGER, 0)
        : (views.tracked(pid)?.startTicks ?? null);
    const s = history.processSeries(pid, start, r.from, r.to, r.points);
    if (s.t.length === 0 && !views.tracked(pid)) {
      throw new HttpError(
        404,
        'no-such-process',
        `No process ${pid} now, nor in the history between ${r.from} and ${r.to}`,
      );
    }
    return c.json({ pid, from: r.from, to: r.to, stepSec: stepOf(s, r), series: pick(s, PROCESS_KEYS) });
  });

  app.get('/api/machine/history', (c) => {
    const r = parseRange(c.req.query(), now());
    const s = history.machineSeries(r.from, r.to, r.points);
    return c.json({ from: r.from, to: r.to, stepSec: stepOf(s, r), series: pick(s, MACHINE_KEYS) });
  });

  app.get('/api/cgroups', (c) => {
    live();
    return c.json({ cgroups: views.oomReport().cgroups });
  });

  app.get('/api/cgroups/history', (c) => {
    const path = c.req.query('path');
    if (path === undefined)
      throw new HttpError(
        400,
        'bad-parameter',
        'Parameter "path" is missing: a cgroup path from /api/cgroups',
      );
    // Only paths the sampler has seen: the history holds no others, and nothing else is looked up.
    if (!views.sampler.knownCgroups.has(path)) {
      throw badParam('path', path, 'the path of a memory cgroup memlens has seen (see /api/cgroups)');
    }
    const r = parseRange(c.req.query(), now());
    const s = history.cgroupSeries(path, r.from, r.to, r.points);
    return c.json({ path, from: r.from, to: r.to, stepSec: stepOf(s, r), series: pick(s, CGROUP_KEYS) });
  });

  app.get('/api/oom', (c) => {
    live();
    return c.json(views.oomReport());
  });
  app.get('/api/findings', (c) => {
    live();
    return c.json({ findings: views.findings() });
  });
  app.get('/api/leaks', (c) => c.json({ suspects: views.leaks() }));
  app.get('/api/events', (c) => events.handle(c));
  app.all('/api/*', (c) =>
    c.json({ error: { code: 'not-found', message: `No API route "${c.req.path}"` } }, 404),
  );

  app.get('/metrics', async (c) => {
    const body = await deps.registry.metrics();
    return c.body(body, 200, { 'Content-Type': deps.registry.contentType });
  });

  app.get('/', async (c, next) => {
    if (existsSync(join(webRoot, 'index.html'))) return next();
    return c.html(
      '<!doctype html><title>memlens</title><h1>memlens</h1><p>The dashboard is not built: run ' +
        '<code>npm run build</code> (scripts/build-web.mjs puts it in dist/web/). The JSON API is ' +
        'at <a href="/api/processes">/api/processes</a> and Prometheus metrics at <a href="/metrics">/metrics</a>.</p>',
    );
  });
  app.use('/*', serveStatic({ root: webRoot }));
  return app;
}

// memoryStatsHandler(): one request handler for node:http, Express and Fastify.
//   JSON (memoryStats) by default; readable text for `Accept: text/plain`; Prometheus exposition
//   for ?format=prometheus, `Accept: text/plain; version=0.0.4` (Prometheus's own format) or an
//   OpenMetrics Accept header, which is what a Prometheus server sends when it scrapes.
// Node's (req, res) and Express's (req, res, next) are the same objects; Fastify passes its own
// request and reply, told apart by reply.raw, and answered through reply.send().
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type OpenMetricsContentType, type PrometheusContentType, Registry } from 'prom-client';
import { registerMemoryMetrics } from './metrics.js';
import { memoryStats } from './stats.js';
import { renderStatsText } from './text.js';

export interface MemoryStatsHandlerOptions {
  /** Read smaps_rollup too (PSS, USS): costs in proportion to RSS on every request. */
  detail?: boolean;
  /** Serve this registry for Prometheus (register memlens's metrics in it yourself). */
  registry?: Registry;
}

export type Format = 'json' | 'text' | 'prometheus' | 'openmetrics';

interface FastifyRequestLike {
  raw: IncomingMessage;
  url: string;
  headers: IncomingMessage['headers'];
}
interface FastifyReplyLike {
  raw: ServerResponse;
  code(status: number): FastifyReplyLike;
  header(name: string, value: string): FastifyReplyLike;
  send(body: string): FastifyReplyLike;
}

/** The format asked for, from the query (format=) first, then the Accept header. */
export function negotiate(url: string | undefined, accept: string | undefined): Format {
  const query = new URL(url ?? '/', 'http://x').searchParams.get('format');
  if (query === 'json' || query === 'text' || query === 'prometheus' || query === 'openmetrics') return query;
  const a = (accept ?? '').toLowerCase();
  if (a.includes('application/openmetrics-text')) return 'openmetrics';
  if (/text\/plain\s*;[^,]*version\s*=\s*0\.0\.4/.test(a)) return 'prometheus';
  if (a.includes('text/plain') && !a.includes('application/json')) return 'text';
  return 'json';
}

interface Body {
  status: number;
  type: string;
  text: string;
}

export function memoryStatsHandler(options: MemoryStatsHandlerOptions = {}) {
  const registries: {
    prometheus?: Registry<PrometheusContentType>;
    openmetrics?: Registry<OpenMetricsContentType>;
  } = {};
  const registryFor = (
    format: 'prometheus' | 'openmetrics',
  ): Registry<PrometheusContentType | OpenMetricsContentType> => {
    if (options.registry) return options.registry;
    // One registry per content type: prom-client fixes it when the registry is made.
    if (format === 'openmetrics') {
      if (!registries.openmetrics) {
        registries.openmetrics = new Registry<OpenMetricsContentType>();
        registries.openmetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
        registerMemoryMetrics(registries.openmetrics);
      }
      return registries.openmetrics;
    }
    if (!registries.prometheus) {
      registries.prometheus = new Registry();
      registerMemoryMetrics(registries.prometheus);
    }
    return registries.prometheus;
  };

  const render = async (url: string | undefined, accept: string | undefined): Promise<Body> => {
    const format = negotiate(url, accept);
    if (format === 'prometheus' || format === 'openmetrics') {
      const registry = registryFor(format);
      return { status: 200, type: registry.contentType, text: await registry.metrics() };
    }
    const stats = memoryStats({ detail: options.detail === true });
    if (format === 'text')
      return { status: 200, type: 'text/plain; charset=utf-8', text: renderStatsText(stats) };
    return { status: 200, type: 'application/json; charset=utf-8', text: `${JSON.stringify(stats)}\n` };
  };

  const fail = (err: unknown): Body => ({
    status: 500,
    type: 'application/json; charset=utf-8',
    text: `${JSON.stringify({ error: { code: 'E_MEMORY_STATS', message: (err as Error)?.message ?? String(err) } })}\n`,
  });

  return async function handle(
    req: IncomingMessage | FastifyRequestLike,
    res: ServerResponse | FastifyReplyLike,
    next?: (err?: unknown) => void,
  ): Promise<unknown> {
    const body = await render(req.url, req.headers.accept).catch(fail);
    if ('raw' in res && typeof (res as FastifyReplyLike).send === 'function') {
      // Fastify: reply.send() keeps its hooks and logging; returning the reply tells it so.
      return (res as FastifyReplyLike).code(body.status).header('content-type', body.type).send(body.text);
    }
    const out = res as ServerResponse;
    if (out.headersSent) {
      next?.(new Error('memoryStatsHandler: the response was already sent'));
      return;
    }
    out.writeHead(body.status, { 'content-type': body.type, 'cache-control': 'no-store' });
    out.end(body.text);
  };
}

// `memlens serve` wired together: the history file, the sampler on its timer, the app on a node
// HTTP server with limits, and an orderly stop. The CLI command (cli/commands/serve.ts) checks the
// options and prints; this module owns the parts and their order.
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createAdaptorServer, type HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import type { ProcFs } from '../procfs/fs.js';
import { History } from '../store/history.js';
import { classifyWriteFailure } from '../store/write-failure.js';
import { WriterThread } from '../store/writer-thread.js';
import { createApp } from './app.js';
import { isLoopback } from './auth.js';
import { ConnectionGate, type GateLimits } from './connection-gate.js';
import { DEFAULT_EVENTS, EventHub } from './events.js';
import { historyLog } from './history-log.js';
import { createMetrics } from './metrics.js';
import { HttpError } from './params.js';
import { clientErrorHandler } from './raw-answer.js';
import { ServerSampler } from './sampler.js';
import { Views } from './views.js';

export const DEFAULT_PORT = 9105;
export const DEFAULT_HOST = '127.0.0.1';

export interface ServeOptions {
  fs: ProcFs;
  host: string;
  port: number;
  dbPath: string;
  intervalSec: number;
  metricsTop: number;
  /** Null: no token (loopback, or --no-auth). */
  token: string | null;
  pageSize: number;
  webRoot?: string;
  logError?: (err: unknown) => void;
  /** Where the history's failures are reported, a line at a time (default: stderr). */
  logLine?: (line: string) => void;
  /** SERVER_LIMITS by default; tests shorten the timeouts. */
  limits?: Partial<ServerLimits>;
}

export interface RunningServer {
  url: string;
  port: number;
  dbPath: string;
  retention: string;
  /** Stops sampling, ends event streams, closes the socket, then writes what is queued and closes the history. */
  close(): Promise<void>;
}

// Abuse limits of the node server. Every route is a GET with a short query and no body: 16 KiB
// of headers is plenty, and a client gets 10 s from connecting to send them (a connection that
// sends nothing is closed then) and 30 s for the whole request. Connection slots are counted
// apart before and after authentication (connection-gate.ts). Responses (event streams included)
// are not limited by these: they bound what a client sends, not what it reads.
export interface ServerLimits extends GateLimits {
  maxHeaderSize: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

export const SERVER_LIMITS: ServerLimits = {
  maxHeaderSize: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxUnauthenticated: 128,
  maxAuthenticated: 256,
  retryAfterSec: 1,
};

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function startServer(o: ServeOptions): Promise<RunningServer> {
  // This connection only reads (the API's history routes): a busy timeout of 0, since WAL
  // readers never wait for the writer, and a request must never wait for a lock.
  const history = History.open(o.dbPath, { busyTimeoutMs: 0 });
  const log = historyLog(o.dbPath, o.logLine ?? ((line) => process.stderr.write(line)));
  const closeReader = () => {
    try {
      history.close();
    } catch (err) {
      log.failed(classifyWriteFailure(err, o.dbPath), 'close');
    }
  };
  let writer: WriterThread;
  try {
    writer = await WriterThread.start(o.dbPath, log);
  } catch (err) {
    closeReader();
    throw err;
  }
  let server: Server | null = null;
  const sampler = new ServerSampler(o.fs, writer, { intervalSec: o.intervalSec });
  try {
    // One sample before the socket opens: the first request finds a full state.
    sampler.tick(Date.now() / 1000);
    const views = new Views(sampler, o.fs, o.pageSize);
    const events = new EventHub(views, DEFAULT_EVENTS);
    const limits = { ...SERVER_LIMITS, ...o.limits };
    let gate: ConnectionGate | null = null;
    const app = createApp({
      views,
      history,
      events,
      registry: createMetrics(sampler, o.metricsTop),
      auth: {
        token: o.token,
        // Without a token on loopback, only loopback names are valid hosts (see auth.ts).
        allowedHosts: o.token === null && !isLoopback(o.host) ? null : [o.host],
        onAuthenticated: (c: Context) => {
          const socket = (c.env as HttpBindings | undefined)?.incoming.socket as Socket | undefined;
          if (gate && !gate.authenticate(socket)) {
            throw new HttpError(
              503,
              'too-many-clients',
              `${limits.maxAuthenticated} clients are connected already: retry in ${limits.retryAfterSec} s`,
              { 'Retry-After': String(limits.retryAfterSec), Connection: 'close' },
            );
          }
        },
      },
      webRoot: o.webRoot,
      logError: o.logError,
    });
    const s = createAdaptorServer({
      fetch: app.fetch,
      serverOptions: {
        maxHeaderSize: limits.maxHeaderSize,
        headersTimeout: limits.headersTimeoutMs,
        requestTimeout: limits.requestTimeoutMs,
        keepAliveTimeout: limits.keepAliveTimeoutMs,
        // Node checks the two timeouts above only this often (30 s by default, which made an
        // idle connection last 30 s): check each second, so they hold to the second.
        connectionsCheckingInterval: 1_000,
      },
    }) as Server;
    server = s;
    gate = new ConnectionGate(s, limits);
    s.on('clientError', clientErrorHandler(limits.maxHeaderSize / 1024, limits.headersTimeoutMs / 1000));
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(o.port, o.host, () => {
        s.off('error', reject);
        resolve();
      });
    });
    const port = (s.address() as AddressInfo).port;
    sampler.start();
    let closing: Promise<void> | null = null;
    return {
      url: `http://${urlHost(o.host)}:${port}`,
      port,
      dbPath: o.dbPath,
      retention: history.retentionDescription(),
      close() {
        closing ??= (async () => {
          sampler.stop();
          events.closeAll();
          const closed = new Promise<void>((resolve) => s.close(() => resolve()));
          s.closeAllConnections();
          gate?.closeAll();
          await closed;
          // The reader first, so the writer's is the last connection and checkpoints the WAL.
          closeReader();
          log.closed(await writer.close());
        })();
        return closing;
      },
    };
  } catch (err) {
    sampler.stop();
    server?.close();
    closeReader();
    await writer.close();
    throw err;
  }
}

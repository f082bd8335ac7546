// memlens serve: the always-on view. Samples every process, keeps the history, and serves the
// dashboard, the JSON API and Prometheus /metrics until SIGTERM or SIGINT.

import { isIP } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import {
  ensurePrivateDir,
  privateDirProblem,
  UntrustedDirError,
  walkFolders,
} from '../../files/private-dir.js';
import { isLoopback } from '../../server/auth.js';
import { DEFAULT_HOST, DEFAULT_PORT, type RunningServer, startServer } from '../../server/serve.js';
import { HistoryError } from '../../store/errors.js';
import { History } from '../../store/history.js';
import { createContext, type GlobalOptions } from '../context.js';
import { parseDuration } from '../duration.js';
import { RuntimeError, UsageError } from '../errors.js';
import { parseCount } from '../options.js';
import { printText } from '../render/terminal.js';

interface ServeCliOptions {
  port?: string;
  host?: string;
  db?: string;
  interval?: string;
  metricsTop?: string;
  token?: string;
  /** Commander's --no-auth: false when given. */
  auth?: boolean;
}

const MIN_TOKEN = 16;

function parsePort(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PORT;
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) {
    throw new UsageError(`--port takes a port number from 0 to 65535 (0: any free port), not "${value}"`);
  }
  return Number(value);
}

/** An address to listen on: an IP address, or a host name as RFC 1123 spells one. */
function parseHost(value: string | undefined): string {
  if (value === undefined) return DEFAULT_HOST;
  const label = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
  // A name whose last label is all digits is a mistyped address, not a host name (999.1.1.1).
  const parts = value.split('.');
  const name = value.length <= 253 && parts.every((p) => label.test(p)) && !/^\d+$/.test(parts.at(-1) ?? '');
  if (isIP(value) === 0 && !name) {
    throw new UsageError(
      `--host takes an IP address or a host name (e.g. 127.0.0.1, ::1, 0.0.0.0), not "${value}"`,
    );
  }
  return value;
}

/**
 * The history file: --db as given, in a folder that must exist and that no other user can write
 * to (they could plant links at the database's -wal and -shm names); by default the state folder,
 * made 0700 and checked.
 */
function historyPath(db: string | undefined): string {
  if (db === undefined) {
    const path = History.defaultPath(process.env);
    try {
      ensurePrivateDir(dirname(path), 'the history folder');
    } catch (err) {
      if (err instanceof UntrustedDirError) throw new RuntimeError(`${err.message} (or pass --db FILE)`);
      throw err;
    }
    return path;
  }
  if (db === '' || db === ':memory:') {
    throw new UsageError(`--db takes the file to keep the history in, not "${db}"`);
  }
  // Resolved first: a service's state folder may be a link (systemd's DynamicUser makes
  // /var/lib/NAME -> private/NAME); what is checked is then what is opened. A link another user
  // owns is refused rather than followed: he would choose where root keeps its database.
  const walked = walkFolders(dirname(resolve(db)), false);
  if ('problem' in walked && walked.missing) {
    throw new UsageError(`--db ${db}: its folder ${dirname(resolve(db))} does not exist: create it first`);
  }
  const folder = 'real' in walked ? walked.real : dirname(resolve(db));
  const problem = 'problem' in walked ? walked.problem : privateDirProblem(folder, true);
  if (problem !== null) {
    throw new UsageError(
      `--db ${db}: refusing the folder ${folder}: ${problem}; choose one only you can write to`,
    );
  }
  return join(folder, basename(db));
}

function checkToken(token: string | null, host: string, noAuth: boolean): void {
  if (token !== null && noAuth)
    throw new UsageError('--no-auth and a token contradict each other: pass one of them');
  if (token !== null && token.length < MIN_TOKEN) {
    throw new UsageError(
      `the token must be at least ${MIN_TOKEN} characters: make one with "openssl rand -hex 16"`,
    );
  }
  if (token === null && !noAuth && !isLoopback(host)) {
    throw new UsageError(
      `binding ${host} lets other machines in, so it needs a token: pass --token T (or set MEMLENS_TOKEN), or --no-auth to allow anyone`,
    );
  }
}

export async function runServe(opts: ServeCliOptions, globals: GlobalOptions): Promise<void> {
  const host = parseHost(opts.host);
  const port = parsePort(opts.port);
  const intervalSec = parseDuration(opts.interval ?? '1s', '--interval') as number;
  if (intervalSec < 0.1 || intervalSec > 3600) {
    throw new UsageError(`--interval must lie between 100ms and 1h, not "${opts.interval}"`);
  }
  const metricsTop = parseCount(opts.metricsTop, '--metrics-top') ?? 20;
  if (metricsTop > 1000) throw new UsageError(`--metrics-top is at most 1000, not "${opts.metricsTop}"`);
  const noAuth = opts.auth === false;
  const token = opts.token ?? (process.env.MEMLENS_TOKEN || null);
  checkToken(token, host, noAuth);
  const ctx = createContext(globals);
  const dbPath = historyPath(opts.db);

  let server: RunningServer;
  try {
    server = await startServer({
      fs: ctx.fs,
      host,
      port,
      dbPath,
      intervalSec,
      metricsTop,
      token,
      pageSize: ctx.pageSize,
      // The log is text on a terminal too, and an error can quote what a process holds.
      logError: (err) =>
        printText(
          null,
          () =>
            `memlens serve: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
          process.stderr,
        ),
      // The history's failures: one line each, quoting SQLite and the path.
      logLine: (line) => printText(null, () => line, process.stderr),
    });
  } catch (err) {
    if (err instanceof HistoryError && err.code === 'E_PATH') throw new UsageError(err.message);
    if (err instanceof HistoryError) throw new RuntimeError(err.message);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new RuntimeError(
        `cannot listen on ${host}:${port}: the port is in use (pick another with --port)`,
      );
    if (code === 'EACCES')
      throw new RuntimeError(
        `cannot listen on ${host}:${port}: permission denied (ports below 1024 need root)`,
      );
    if (code === 'EADDRNOTAVAIL')
      throw new RuntimeError(`cannot listen on ${host}: no such address on this machine`);
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
      throw new UsageError(`--host ${host}: no such host name (give an IP address, e.g. 127.0.0.1)`);
    throw err;
  }
  // The first line is the contract with scripts and tests: with --port 0 it has the real port.
  const shown = { url: server.url, dbPath: server.dbPath, retention: server.retention };
  printText(shown, (s) => `listening on ${s.url}\nhistory: ${s.dbPath} (${s.retention})\n`);
  if (noAuth) {
    printText(
      shown,
      (s) =>
        `memlens: warning: --no-auth: anyone who can reach ${s.url} can read every process's memory and command line\n`,
      process.stderr,
    );
  }

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  await server.close();
}

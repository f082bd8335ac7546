// Who may talk to the server. With a token, every request must carry it: "Authorization: Bearer
// T" (scripts, Prometheus), or the memlens_token cookie, which a browser gets by opening the
// dashboard once as /?token=T. Without a token (loopback only, or an explicit --no-auth), the
// Host header must name the machine itself, so a web page cannot reach a loopback server
// through a DNS name that it re-points at 127.0.0.1 (DNS rebinding).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { HttpError } from './params.js';

export const COOKIE = 'memlens_token';

export interface AuthOptions {
  /** The token, or null for none. */
  token: string | null;
  /** Host names accepted without a token; null accepts any (--no-auth on a public address). */
  allowedHosts: readonly string[] | null;
  /**
   * Called when a request passed; it may throw (an HttpError) to refuse it anyway. serve.ts
   * moves the request's socket to the authenticated connection slots here.
   */
  onAuthenticated?: (c: Context) => void;
}

/** The credentials of an Authorization header; the scheme is case-insensitive (RFC 9110, 11.1). */
function bearerToken(header: string | undefined): string | null {
  const m = header === undefined ? null : /^bearer +(.*)$/is.exec(header.trim());
  return m ? (m[1] as string).trim() : null;
}

/**
 * Compares in constant time: both sides are hashed first, so their lengths match and the time
 * taken says nothing about where they differ or how long the token is.
 */
export function tokenMatches(given: string, token: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

/** The host name of a Host header: "[::1]:9105" is "::1", "localhost:9105" is "localhost". */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') === -1 ? undefined : h.indexOf(']'));
  const colon = h.lastIndexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

export const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '::1'];

export function isLoopback(host: string): boolean {
  return LOOPBACK_HOSTS.includes(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export function authMiddleware(opts: AuthOptions): MiddlewareHandler {
  const token = opts.token;
  return async (c, next) => {
    if (token === null) {
      const host = hostName(c.req.header('host') ?? '');
      if (opts.allowedHosts !== null && !opts.allowedHosts.includes(host) && !isLoopback(host)) {
        throw new HttpError(
          403,
          'forbidden-host',
          `Host "${host}" is not this server's: open it as http://127.0.0.1`,
        );
      }
      opts.onAuthenticated?.(c);
      return next();
    }
    const bearer = bearerToken(c.req.header('authorization'));
    const query = c.req.query('token');
    const given = bearer ?? query ?? getCookie(c, COOKIE) ?? null;
    if (given === null || !tokenMatches(given, token)) {
      throw new HttpError(
        401,
        'unauthorized',
        'This server needs its token: send "Authorization: Bearer TOKEN", or open /?token=TOKEN once in a browser',
      );
    }
    opts.onAuthenticated?.(c);
    if (query !== undefined) {
      // The browser keeps the token in a cookie from now on, and the address bar loses it.
      setCookie(c, COOKIE, token, { httpOnly: true, sameSite: 'Strict', path: '/' });
      if (c.req.method === 'GET' && c.req.path === '/') return c.redirect('/', 302);
    }
    return next();
  };
}

// The server's one error class, and the checks of every request parameter. A bad parameter is a
// 400 whose message quotes the value and says what was expected; app.ts renders every HttpError
// the same way: { "error": { "code", "message" } }.

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 413 | 429 | 500 | 503,
    readonly code: string,
    message: string,
    /** Sent with the error: Allow on a 405, Retry-After on a 503, Connection: close. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function badParam(name: string, value: string, expected: string): HttpError {
  const shown = value.length > 40 ? `${value.slice(0, 40)}...` : value;
  return new HttpError(400, 'bad-parameter', `Parameter "${name}" is "${shown}": expected ${expected}`);
}

/** PID_MAX_LIMIT on 64-bit kernels. */
export const PID_MAX = 4194304;
export const MAX_RANGE_SEC = 100 * 86400;
export const MAX_POINTS = 5000;

function integer(name: string, raw: string, min: number, max: number): number {
  if (!/^\d{1,10}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw badParam(name, raw, `a whole number from ${min} to ${max}`);
  }
  return Number(raw);
}

export function parsePidParam(raw: string): number {
  return integer('pid', raw, 1, PID_MAX);
}

export function parseIntParam(
  name: string,
  raw: string | undefined,
  min: number,
  max: number,
  dflt: number,
): number {
  return raw === undefined ? dflt : integer(name, raw, min, max);
}

export function parseChoiceParam<T extends string>(
  name: string,
  raw: string | undefined,
  choices: readonly T[],
  dflt: T,
): T {
  if (raw === undefined) return dflt;
  if ((choices as readonly string[]).includes(raw)) return raw as T;
  throw badParam(name, raw, `one of ${choices.join(', ')}`);
}

function seconds(name: string, raw: string): number {
  // Seconds since the epoch, as every `t` the API returns; a fraction is allowed, exponents not.
  if (!/^\d{1,12}(\.\d{1,6})?$/.test(raw))
    throw badParam(name, raw, 'seconds since the epoch, such as 1718000000');
  return Number(raw);
}

export interface Range {
  from: number;
  to: number;
  points: number;
}

/**
 * from/to (seconds since the epoch) and points of a history request. Defaults: the last hour,
 * 600 points. The range must run forward and span at most 100 days.
 */
export function parseRange(q: Record<string, string | undefined>, now: number): Range {
  const to = q.to === undefined ? now : seconds('to', q.to);
  const from = q.from === undefined ? to - 3600 : seconds('from', q.from);
  if (!(from < to)) {
    throw new HttpError(400, 'bad-range', `Parameter "from" (${from}) must be earlier than "to" (${to})`);
  }
  if (to - from > MAX_RANGE_SEC) {
    throw new HttpError(
      400,
      'bad-range',
      `The range from ${from} to ${to} spans ${Math.round((to - from) / 86400)} days: at most 100 days at once`,
    );
  }
  return { from, to, points: parseIntParam('points', q.points, 1, MAX_POINTS, 600) };
}

// Live updates: one EventSource on /api/events for the whole page, and the one-line error banner.
// Pages subscribe to ticks while they are shown and unsubscribe when they go.

import { ApiError, type Tick } from './api.js';

type Listener = (tick: Tick) => void;

const listeners = new Set<Listener>();
let source: EventSource | null = null;
let lastTick: Tick | null = null;

/** Calls `fn` on every tick until the returned function is called. */
export function onTick(fn: Listener): () => void {
  listeners.add(fn);
  connect();
  return () => listeners.delete(fn);
}

export function latestTick(): Tick | null {
  return lastTick;
}

function connect(): void {
  if (source || typeof EventSource === 'undefined') return;
  source = new EventSource('/api/events');
  source.addEventListener('open', () => {
    clearError('live');
    setLive(true);
  });
  source.addEventListener('error', () => {
    // EventSource reconnects by itself; say so until it has.
    setLive(false);
    showError('live', 'Live updates interrupted (GET /api/events); reconnecting…');
  });
  source.addEventListener('tick', (ev) => {
    let tick: Tick;
    try {
      tick = JSON.parse((ev as MessageEvent<string>).data) as Tick;
    } catch {
      showError('live', 'A live update from /api/events was not JSON');
      return;
    }
    lastTick = tick;
    setLive(true);
    for (const fn of listeners) {
      try {
        fn(tick);
      } catch (error) {
        showError('live', `Cannot show a live update: ${(error as Error).message}`);
      }
    }
  });
}

function setLive(on: boolean): void {
  const dot = document.getElementById('live');
  if (!dot) return;
  dot.classList.toggle('on', on);
  dot.title = on
    ? 'Live: updated every sample through /api/events'
    : 'Not live: /api/events is not connected';
}

// The banner shows one line: the most recent problem, and how many others are still standing.
const errors = new Map<string, string>();

export function showError(source: string, message: string): void {
  errors.delete(source);
  errors.set(source, message);
  renderBanner();
}

export function clearError(source: string): void {
  if (errors.delete(source)) renderBanner();
}

/** Clears every problem a page reported (when the page goes away). */
export function clearErrors(prefix: string): void {
  for (const k of [...errors.keys()]) if (k.startsWith(prefix)) errors.delete(k);
  renderBanner();
}

/** Shows an error from an API call; aborted requests are not errors. */
export function reportError(source: string, error: unknown): void {
  if ((error as Error)?.name === 'AbortError') return;
  if (error instanceof ApiError) {
    const status = error.status ? ` ${error.status}` : '';
    showError(source, `${error.code}${status}: ${error.message}`);
  } else {
    showError(source, (error as Error)?.message ?? String(error));
  }
}

function renderBanner(): void {
  const el = document.getElementById('banner');
  if (!el) return;
  const messages = [...errors.values()];
  const last = messages[messages.length - 1];
  if (last === undefined) {
    el.hidden = true;
    el.textContent = '';
    return;
  }
  el.hidden = false;
  el.textContent = messages.length > 1 ? `${last} (and ${messages.length - 1} more)` : last;
  el.title = messages.join('\n');
}

// GET /api/events: server-sent events. After every tick each client gets a "tick" event with the
// machine and the top processes, and a comment line as a heartbeat between. A client that cannot
// keep up misses ticks instead of queueing them: a write still pending when the next tick comes
// means the socket is full, and that tick is skipped for that client. The number of clients is
// capped, so connections cannot pile up state.
import type { Context } from 'hono';
import { type SSEStreamingApi, streamSSE } from 'hono/streaming';
import { HttpError } from './params.js';
import type { Views } from './views.js';

export interface EventsOptions {
  maxClients: number;
  heartbeatSec: number;
  /** Processes in each tick event. */
  top: number;
}

export const DEFAULT_EVENTS: EventsOptions = { maxClients: 32, heartbeatSec: 15, top: 50 };

export class EventHub {
  private readonly streams = new Set<SSEStreamingApi>();
  private payload: { t: number; data: string } | null = null;

  constructor(
    private readonly views: Views,
    private readonly opts: EventsOptions = DEFAULT_EVENTS,
  ) {}

  get clients(): number {
    return this.streams.size;
  }

  /** The tick event's data, serialized once per tick for every client. */
  private tickData(): string {
    const t = this.views.t;
    if (this.payload?.t !== t) {
      const machine = this.views.sampler.state.machine;
      const processes = this.views.processRows('pss', this.opts.top);
      this.payload = { t, data: JSON.stringify({ t, machine, processes }) };
    }
    return this.payload.data;
  }

  handle(c: Context): Response {
    if (this.streams.size >= this.opts.maxClients) {
      throw new HttpError(
        503,
        'too-many-clients',
        `${this.opts.maxClients} clients are following events already: close one, or poll /api/processes`,
      );
    }
    return streamSSE(c, async (stream) => {
      this.streams.add(stream);
      let busy = false;
      const send = (write: () => Promise<void>) => {
        if (busy || stream.closed || stream.aborted) return;
        busy = true;
        write()
          .catch(() => stream.abort())
          .finally(() => {
            busy = false;
          });
      };
      const tick = () => send(() => stream.writeSSE({ event: 'tick', data: this.tickData() }));
      const off = this.views.sampler.onTick(tick);
      const heartbeat = setInterval(
        () => send(async () => void (await stream.write(': heartbeat\n\n'))),
        this.opts.heartbeatSec * 1000,
      );
      try {
        // The state as of now, so a new page need not wait for the next tick.
        if (this.views.t > 0) tick();
        await new Promise<void>((resolve) => {
          if (stream.aborted || stream.closed) resolve();
          stream.onAbort(resolve);
        });
      } finally {
        off();
        clearInterval(heartbeat);
        this.streams.delete(stream);
      }
    });
  }

  /** Ends every stream (at shutdown), so the server can close its connections. */
  closeAll(): void {
    for (const stream of this.streams) stream.abort();
  }
}

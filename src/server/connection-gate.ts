// Connection slots, counted apart before and after authentication. A socket is unauthenticated
// from the moment it is accepted until one of its requests passes auth.ts (the token, or the
// Host check when there is none); only then does it move to the authenticated pool. Each pool
// has its own limit, so sockets that never show the token (idle ones, ones that dribble their
// headers) crowd out only each other, never a client that proved itself.
//
// A socket stays with the gate, unparsed, until its first bytes arrive. That keeps idle sockets
// cheap to drop: when the unauthenticated pool is full, a new socket takes the place of the
// oldest one that is not being answered: one that sent nothing gets a 503 (it asked nothing, so
// no answer is cut off, and a client whose request was on its way reads the 503 as the answer),
// one that dribbles its headers or idles after a refusal is closed. Over the limits a client
// gets 503 with Retry-After and the socket closes; it is never just dropped.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { rawAnswer } from './raw-answer.js';

export interface GateLimits {
  /** Sockets that have not yet carried an authenticated request. */
  maxUnauthenticated: number;
  /** Sockets that did (keep-alive clients, event streams). */
  maxAuthenticated: number;
  /** From accept to the end of the first request's headers. */
  headersTimeoutMs: number;
  retryAfterSec: number;
}

// A refused socket is read (and what it sends thrown away) for this long after its answer, so
// that closing it does not reset the connection before the client has read the answer.
const LINGER_MS = 2_000;
const MAX_LINGERING = 1024;

type Phase = 'waiting' | 'parsing' | 'authenticated' | 'gone';

interface Conn {
  socket: Socket;
  phase: Phase;
  /** Requests of this socket whose response is not finished. */
  inFlight: number;
  timer: NodeJS.Timeout | null;
  onFirstData: ((chunk: Buffer) => void) | null;
}

export class ConnectionGate {
  /** In accept order, so the first match of a scan is the oldest. */
  private readonly conns = new Map<Socket, Conn>();
  private readonly lingering = new Set<Socket>();
  private unauthenticated = 0;
  private authenticatedCount = 0;
  private readonly parse: (socket: Socket) => void;

  constructor(
    server: Server,
    private readonly limits: GateLimits,
  ) {
    // http.Server parses each socket through the one 'connection' listener its constructor adds;
    // the gate takes that listener's place and calls it when a socket sent its first bytes.
    const listeners = server.listeners('connection') as ((s: Socket) => void)[];
    const parse = listeners[0];
    if (listeners.length !== 1 || !parse)
      throw new Error('ConnectionGate: the server has no parser to hand to');
    this.parse = (s) => parse.call(server, s);
    server.removeAllListeners('connection');
    server.on('connection', (s: Socket) => this.accept(s));
    // Before the app's listener, so a request is counted before the app authenticates it.
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => this.started(req, res));
    // A hard stop for file descriptors, above everything the gate lets in.
    server.maxConnections = limits.maxUnauthenticated + limits.maxAuthenticated + MAX_LINGERING;
  }

  /** Counts `socket` as authenticated; false when that pool is full (the caller answers 503). */
  authenticate(socket: Socket | undefined): boolean {
    const conn = socket ? this.conns.get(socket) : undefined;
    if (conn?.phase !== 'parsing') return true;
    if (this.authenticatedCount >= this.limits.maxAuthenticated) return false;
    conn.phase = 'authenticated';
    this.unauthenticated--;
    this.authenticatedCount++;
    return true;
  }

  get counts(): { unauthenticated: number; authenticated: number } {
    return { unauthenticated: this.unauthenticated, authenticated: this.authenticatedCount };
  }

  /** Ends every socket the gate holds (the HTTP server ends the ones it parses). */
  closeAll(): void {
    for (const conn of this.conns.values()) conn.socket.destroy();
    for (const s of this.lingering) s.destroy();
  }

  private accept(socket: Socket): void {
    if (this.unauthenticated >= this.limits.maxUnauthenticated && !this.evictOne()) {
      this.refuse(socket, this.tooMany());
      return;
    }
    const conn: Conn = { socket, phase: 'waiting', inFlight: 0, timer: null, onFirstData: null };
    this.conns.set(socket, conn);
    this.unauthenticated++;
    conn.timer = setTimeout(() => this.headersExpired(conn), this.limits.headersTimeoutMs);
    conn.onFirstData = (chunk) => this.handOver(conn, chunk);
    socket.once('data', conn.onFirstData);
    // Until the parser has it, socket errors (a reset) are the gate's to handle.
    socket.on('error', destroyOnError);
    socket.once('close', () => this.forget(conn));
  }

  /**
   * Makes room for one: the oldest socket that is not being answered, whether it sent nothing or
   * only part of its headers, or kept its socket after a refused request. Oldest, not "silent
   * first": with the pool full of dribblers, the only silent sockets are clients that connected
   * a moment ago and whose request is on its way, which would then push each other out.
   */
  private evictOne(): boolean {
    for (const conn of this.conns.values()) {
      if (conn.phase === 'waiting') {
        this.forget(conn);
        this.refuse(conn.socket, this.tooMany());
        return true;
      }
      if (conn.phase === 'parsing' && conn.inFlight === 0) {
        // Nothing is being answered on it, so closing it cuts nothing off.
        this.forget(conn);
        conn.socket.destroy();
        return true;
      }
    }
    return false;
  }

  private handOver(conn: Conn, chunk: Buffer): void {
    const { socket } = conn;
    conn.onFirstData = null;
    socket.off('error', destroyOnError);
    socket.pause();
    socket.unshift(chunk);
    conn.phase = 'parsing';
    this.parse(socket);
    socket.resume();
  }

  private started(req: IncomingMessage, res: ServerResponse): void {
    const conn = this.conns.get(req.socket as Socket);
    if (!conn) return;
    if (conn.timer) clearTimeout(conn.timer);
    conn.timer = null;
    conn.inFlight++;
    res.once('close', () => {
      conn.inFlight--;
    });
  }

  private headersExpired(conn: Conn): void {
    conn.timer = null;
    const sec = this.limits.headersTimeoutMs / 1000;
    const answer = rawAnswer(
      408,
      'request-timeout',
      `No complete request within ${sec} s of connecting: send the headers at once`,
    );
    const { socket } = conn;
    if (conn.phase === 'waiting') {
      this.forget(conn);
      this.refuse(socket, answer);
    } else if (conn.phase === 'parsing' && conn.inFlight === 0) {
      // The parser holds it: answer and close at once, reading nothing more.
      this.forget(conn);
      socket.end(answer);
      socket.once('finish', () => socket.destroy());
    }
  }

  private tooMany(): string {
    return rawAnswer(
      503,
      'too-many-clients',
      `Too many connections are waiting to authenticate: retry in ${this.limits.retryAfterSec} s`,
      { 'Retry-After': String(this.limits.retryAfterSec) },
    );
  }

  /** Answers a socket the parser never saw, and closes it once the client had time to read it. */
  private refuse(socket: Socket, answer: string): void {
    socket.on('error', destroyOnError);
    if (this.lingering.size >= MAX_LINGERING) {
      socket.end(answer);
      socket.once('finish', () => socket.destroy());
      return;
    }
    this.lingering.add(socket);
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    socket.once('close', () => {
      clearTimeout(timer);
      this.lingering.delete(socket);
    });
    socket.once('end', () => socket.destroy());
    socket.end(answer);
    socket.resume();
  }

  private forget(conn: Conn): void {
    if (conn.phase === 'gone') return;
    if (conn.phase === 'authenticated') this.authenticatedCount--;
    else this.unauthenticated--;
    conn.phase = 'gone';
    if (conn.onFirstData) conn.socket.off('data', conn.onFirstData);
    conn.onFirstData = null;
    if (conn.timer) clearTimeout(conn.timer);
    conn.timer = null;
    this.conns.delete(conn.socket);
  }
}

function destroyOnError(this: Socket): void {
  this.destroy();
}

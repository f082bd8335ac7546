// HTTP/1.1 by hand over a real socket, for what fetch hides: whether the server answered at all
// or just closed, the exact headers of an answer node's parser writes, and connections held open.
import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string;
}

/** Parses the first answer in `text`, or null when the head is not complete. */
export function parseAnswer(text: string): RawAnswer | null {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const m = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine ?? '');
  if (!m) throw new Error(`not an HTTP answer: ${JSON.stringify(text.slice(0, 80))}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = text.slice(end + 4);
  const length = headers['content-length'];
  if (length !== undefined && Buffer.byteLength(body) < Number(length)) return null;
  return { status: Number(m[1]), headers, body: length === undefined ? body : body.slice(0, Number(length)) };
}

export interface RawConnection {
  socket: Socket;
  /** Everything received so far. */
  received(): string;
  /** Resolves with the first complete answer, or null if the server closed before sending one. */
  answer: Promise<RawAnswer | null>;
  /** Resolves when the server ended or reset the connection. */
  closed: Promise<void>;
}

/** Connects to 127.0.0.1:`port` and sends `request` (if any) once connected. */
export function rawConnect(port: number, request?: string): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let settle: (a: RawAnswer | null) => void = () => {};
    const answer = new Promise<RawAnswer | null>((r) => {
      settle = r;
    });
    const closed = new Promise<void>((r) => {
      socket.once('close', () => {
        settle(parseAnswer(text));
        r();
      });
    });
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      text += d;
      const a = parseAnswer(text);
      if (a) settle(a);
    });
    // Resets are a way of closing; `closed` and `answer` report them.
    socket.on('error', () => {});
    socket.once('connect', () => {
      if (request !== undefined) socket.write(request);
      resolve({ socket, received: () => text, answer, closed });
    });
    socket.once('error', reject);
  });
}

/** A GET of `path` with the Host the server accepts, and the token when given. */
export function getRequest(path: string, token?: string, extra = ''): string {
  const auth = token ? `Authorization: Bearer ${token}\r\n` : '';
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}${extra}\r\n`;
}

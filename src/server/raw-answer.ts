// Answers written straight to a socket, for the cases where no request object exists: a
// connection refused before it was parsed (connection-gate.ts), and node's parser errors
// (clientError). They carry the API's error shape, { "error": { "code", "message" } }, and close.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

export function rawAnswer(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): string {
  const body = JSON.stringify({ error: { code, message } });
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'X-Content-Type-Options: nosniff',
    'Cache-Control: no-store',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    'Connection: close',
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** What node's parser errors mean for the client (the codes node's own default answer uses). */
function clientErrorAnswer(err: NodeJS.ErrnoException, maxHeaderKiB: number, headersSec: number): string {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return rawAnswer(
        431,
        'headers-too-large',
        `The request's headers are over ${maxHeaderKiB} KiB: send fewer or shorter ones`,
      );
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return rawAnswer(413, 'body-not-allowed', 'This API takes no request body: send none');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return rawAnswer(
        408,
        'request-timeout',
        `The request was not complete within ${headersSec} s: send its headers at once`,
      );
    default:
      return rawAnswer(400, 'bad-request', 'The request is not valid HTTP/1.1');
  }
}

/**
 * A 'clientError' listener: answers with a JSON body where node would answer with an empty one,
 * and only when nothing of a response went out on the socket yet (an event stream with a
 * pipelined bad request must not get an answer in its middle).
 */
export function clientErrorHandler(maxHeaderKiB: number, headersSec: number) {
  return (err: NodeJS.ErrnoException, socket: Duplex): void => {
    // _httpMessage is the response in progress on the socket, which node sets (no public field).
    const inProgress = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inProgress?.headersSent) {
      socket.destroy();
      return;
    }
    socket.end(clientErrorAnswer(err, maxHeaderKiB, headersSec));
    socket.once('finish', () => socket.destroy());
  };
}

import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  body: any;
}

/**
 * Writes bytes to the server as they are (fetch would fix or refuse them:
 * a wrong Content-Length, a bad %-escape, a body that ends early) and reads
 * the first response. `halfClose` ends the sending side after the bytes, as a
 * client that stops mid-body does.
 */
export function rawRequest(baseUrl: string, bytes: Buffer | string, opts: { halfClose?: boolean; timeoutMs?: number } = {}): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const all = Buffer.concat(chunks).toString('utf8');
      const split = all.indexOf('\r\n\r\n');
      if (split < 0) return reject(err ?? new Error(`no HTTP response (got ${JSON.stringify(all.slice(0, 200))})`));
      const [statusLine, ...headerLines] = all.slice(0, split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of headerLines) headers[l.slice(0, l.indexOf(':')).trim().toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
      let text = all.slice(split + 4);
      const length = Number(headers['content-length']);
      if (Number.isFinite(length)) text = Buffer.from(text).subarray(0, length).toString('utf8');
      let body: any = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, text, body });
    };
    const timer = setTimeout(() => finish(new Error('timed out waiting for a response')), opts.timeoutMs ?? 10_000);
    socket.on('data', (d) => {
      chunks.push(d);
      // One complete response is enough (the server may keep the connection open).
      const all = Buffer.concat(chunks).toString('latin1');
      const split = all.indexOf('\r\n\r\n');
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(all.slice(0, split));
      if (split >= 0 && m && Buffer.byteLength(all.slice(split + 4), 'latin1') >= Number(m[1])) finish();
    });
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    socket.on('error', (e) => finish(e));
    socket.write(bytes, () => {
      if (opts.halfClose) socket.end();
    });
  });
}

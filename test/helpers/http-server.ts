/**
 * The HTTP(S) test server, run as a child process (the test thread blocks inside
 * http.request, so the server must never share its event loop). Prints one JSON line
 * {"http": port, "https": port?} once listening on 127.0.0.1.
 *
 *   node http-server.js [--tls KEY CERT]
 *
 * Routes (see each below): /hello, /echo, /status/N, /chunked, /redirect/N?to=,
 * /loop?n=, /hops/N, /bytes/N?mode=length|chunked|close, /text/N, /stall, /halfway, /head, /dup,
 * /raw/NAME (hand-written responses for what node:http will not produce).
 */
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { BLOCK, block } from './http-bytes.js';

const RAW: Record<string, string> = {
  empty: '',
  http09: 'a body with no status line\r\nsecond line',
  folded: 'HTTP/1.1 200 OK\r\nX-Folded: one\r\n  two\r\n\tthree\r\nX-Dup: a\r\nx-dup: b\r\nCONTENT-LENGTH: 2\r\nX-Empty:\r\n\r\nok',
  malformed: 'HTTP/1.1 200 OK\r\nthis line has no colon\r\n\r\n',
  continue: 'HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
  chunkext:
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;name=value\r\nWiki\r\n5 \r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: t\r\n\r\n',
  badchunk: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
  nocode: 'HTTP/1.1 abc OK\r\n\r\n',
  short: 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcd',
  lf: 'HTTP/1.0 200 OK\nContent-Type: text/plain\nContent-Length: 3\n\nabc',
  identity: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\nuntil close',
  hugeheader: `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70000)}\r\nContent-Length: 2\r\n\r\nok`,
  latin1: 'HTTP/1.1 200 OK\r\nX-Latin: caf\xe9\r\nContent-Length: 2\r\n\r\n\xff\x00',
};

/** Writes `length` bytes of the test stream, respecting back-pressure. */
function writeStream(out: { write(b: Buffer): boolean; once(e: 'drain', f: () => void): unknown }, length: number, done: () => void): void {
  let off = 0;
  let k = 0;
  const pump = (): void => {
    while (off < length) {
      // Every eighth write is a large one, so chunked bodies carry chunks bigger than a read.
      const blocks = k % 8 === 7 ? 48 : 1;
      const n = Math.min(BLOCK * blocks, length - off);
      const pieces: Buffer[] = [];
      for (let i = 0; i < blocks && pieces.length * BLOCK < n; i++) pieces.push(block(k + i));
      const b = Buffer.concat(pieces).subarray(0, n);
      off += n;
      k += blocks;
      if (!out.write(b)) {
        out.once('drain', pump);
        return;
      }
    }
    done();
  };
  pump();
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

function raw(socket: Socket, text: string): void {
  socket.end(Buffer.from(text, 'latin1'));
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const u = new URL(req.url ?? '/', 'http://x');
  const parts = u.pathname.split('/').filter((p) => p !== '');
  const [route, arg] = parts;
  switch (route) {
    case 'hello':
      res.setHeader('Content-Type', 'text/plain');
      res.end('hello world');
      return;
    case 'echo': {
      const body = await readBody(req);
      const text = JSON.stringify({
        method: req.method,
        url: req.url,
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: body.toString('base64'),
        trailers: req.trailers,
      });
      res.setHeader('Content-Type', 'application/json');
      res.end(text);
      return;
    }
    case 'status': {
      res.statusCode = Number(arg);
      res.end(res.statusCode === 204 || res.statusCode === 304 ? undefined : `status ${arg}`);
      return;
    }
    case 'chunked':
      res.setHeader('Trailer', 'X-Checksum');
      res.write('first ');
      res.write('second ');
      res.write('third');
      res.addTrailers({ 'X-Checksum': 'abc' });
      res.end();
      return;
    case 'redirect':
      res.statusCode = Number(arg);
      res.setHeader('Location', u.searchParams.get('to') ?? '/hello');
      res.end('moved');
      return;
    case 'loop': {
      const n = Number(u.searchParams.get('n') ?? 0);
      res.statusCode = 302;
      res.setHeader('Location', `/loop?n=${n + 1}`);
      res.end(`loop ${n}`);
      return;
    }
    case 'hops': {
      const n = Number(arg);
      res.setHeader('X-Method', req.method ?? '');
      if (n > 0) {
        res.statusCode = 302;
        res.setHeader('Location', `/hops/${n - 1}`);
        res.end();
      } else res.end(`landed by ${req.method}`);
      return;
    }
    case 'bytes': {
      const length = Number(arg);
      const mode = u.searchParams.get('mode') ?? 'length';
      if (mode === 'close') {
        const s = req.socket;
        s.write('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n');
        writeStream(s, length, () => s.end());
        return;
      }
      if (mode === 'length') res.setHeader('Content-Length', length);
      writeStream(res, length, () => res.end());
      return;
    }
    case 'text': {
      const text = '0123456789\n'.repeat(Math.ceil(Number(arg) / 11)).slice(0, Number(arg));
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end(text);
      return;
    }
    case 'stall':
      return;
    case 'halfway':
      // A head and part of the body, then nothing more (the connection stays open).
      req.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
      return;
    case 'head':
      res.setHeader('Content-Length', 5);
      res.end(req.method === 'HEAD' ? undefined : 'abcde');
      return;
    case 'dup':
      res.setHeader('Set-Cookie', ['a=1', 'b=2']);
      res.end('dup');
      return;
    case 'raw':
      if (arg !== undefined && Object.hasOwn(RAW, arg)) return raw(req.socket, RAW[arg]!);
      break;
  }
  res.statusCode = 404;
  res.end('not found');
}

function serve(req: IncomingMessage, res: ServerResponse): void {
  handle(req, res).catch((e: unknown) => {
    res.statusCode = 500;
    res.end(String(e));
  });
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

const ports: { http: number; https?: number } = { http: await listen(http.createServer(serve)) };
const tls = process.argv.indexOf('--tls');
if (tls >= 0) {
  const key = readFileSync(process.argv[tls + 1]!);
  const cert = readFileSync(process.argv[tls + 2]!);
  ports.https = await listen(https.createServer({ key, cert }, serve));
}
process.stdout.write(`${JSON.stringify(ports)}\n`);

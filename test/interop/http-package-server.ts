/**
 * A small HTTP/1.1 server written with this package's blocking API, for LuaSocket's own
 * socket.http (lua5.4) to talk to (test/interop/http-interop.test.ts). Run as a child
 * process: prints its port, then serves one connection at a time until killed. Same
 * routes as http-server.lua: /hello, /echo, /chunked, /redirect, /big/N, /close.
 */
import * as socket from '../../src/index.js';

type Client = socket.TcpSocket<Buffer>;

const PATTERN = Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 31 + 7) % 256));

function line(c: Client): string {
  const [l, err] = c.receive('*l');
  if (l === null) throw new Error(`receive: ${err}`);
  return l.toString('latin1');
}

function bytes(c: Client, n: number): Buffer {
  const [b, err] = c.receive(n);
  if (b === null) throw new Error(`receive: ${err}`);
  return b;
}

interface Request {
  method: string;
  target: string;
  headers: Map<string, string>;
  body: Buffer;
}

function readRequest(c: Client): Request {
  const [method = '', target = ''] = line(c).split(' ');
  const headers = new Map<string, string>();
  for (let h = line(c); h !== ''; h = line(c)) {
    const colon = h.indexOf(':');
    headers.set(h.slice(0, colon).toLowerCase(), h.slice(colon + 1).trim());
  }
  let body: Buffer = Buffer.alloc(0);
  const length = headers.get('content-length');
  if (length !== undefined) body = bytes(c, Number(length));
  else if (headers.get('transfer-encoding') === 'chunked') {
    const parts: Buffer[] = [];
    for (;;) {
      const size = Number.parseInt(line(c), 16);
      if (size === 0) {
        // Trailers, up to the empty line.
        for (let tr = line(c); tr !== ''; tr = line(c)) {}
        break;
      }
      parts.push(bytes(c, size));
      line(c);
    }
    body = Buffer.concat(parts);
  }
  return { method, target, headers, body };
}

function respond(c: Client, code: number, reason: string, headers: string[], body: Buffer | string): void {
  const b = Buffer.from(body);
  const head = [`HTTP/1.1 ${code} ${reason}`, ...headers, `Content-Length: ${b.length}`].join('\r\n');
  c.send(Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), b]));
}

function serve(c: Client, req: Request): void {
  const path = req.target;
  if (path === '/hello') respond(c, 200, 'OK', ['Content-Type: text/plain'], 'hello from the package');
  else if (path.startsWith('/echo')) {
    const names = [...req.headers.keys()].sort();
    const lines = [req.method, req.target, ...names.map((n) => `${n}: ${req.headers.get(n)}`)];
    respond(c, 200, 'OK', [], Buffer.concat([Buffer.from(`${lines.join('\n')}\n\n`, 'latin1'), req.body]));
  } else if (path === '/chunked') {
    c.send(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n' +
        '6;ext=1\r\nchunks\r\n1\r\n \r\n4\r\nfrom\r\n4\r\n the\r\n8\r\n package\r\n0\r\nX-Sum: 42\r\n\r\n',
    );
  } else if (path === '/redirect') respond(c, 302, 'Found', ['Location: /hello'], 'moved');
  else if (/^\/big\/\d+$/.test(path)) {
    const n = Number(path.slice(5));
    c.send(`HTTP/1.1 200 OK\r\nContent-Length: ${n}\r\n\r\n`);
    const block = Buffer.concat(Array.from({ length: 256 }, () => PATTERN));
    for (let sent = 0; sent < n; sent += block.length) c.send(block.subarray(0, Math.min(block.length, n - sent)));
  } else if (path === '/close') c.send('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end');
  else respond(c, 404, 'Not Found', [], `no ${path}`);
}

const [server, err] = socket.bind('127.0.0.1', 0);
if (server === null) throw new Error(`bind: ${err}`);
const name = server.getsockname();
process.stdout.write(`${name[1]}\n`);
for (;;) {
  const [accepted] = server.accept();
  if (accepted === null) continue;
  const c = accepted.setencoding('buffer');
  c.settimeout(10);
  try {
    serve(c, readRequest(c));
  } catch (e) {
    process.stderr.write(`${String(e)}\n`);
  }
  c.close();
}

/**
 * Failures come back as values with LuaSocket's texts: refused connections, timeouts
 * bounded by http.TIMEOUT, servers that close early, bad URLs; argument mistakes throw.
 * Also proxies (the test server plays the proxy: it sees the absolute request-target).
 */
// The package entry first, as users load it (src/http/ imports it back).
import '../src/index.js';

import test from 'ava';
import { http, ltn12 } from '../src/http/index.js';
import * as socket from '../src/index.js';
import { closedPort, HttpServer, joined } from './helpers/http-fixture.js';

let server: HttpServer;
test.before(async () => {
  server = await HttpServer.start();
});
test.after.always(() => server?.stop());

function withTimeout<T>(seconds: number, f: () => T): T {
  const saved = http.TIMEOUT;
  http.TIMEOUT = seconds;
  try {
    return f();
  } finally {
    http.TIMEOUT = saved;
  }
}

test.serial("nothing listening: 'connection refused', both forms", (t) => {
  const port = closedPort(t);
  t.deepEqual(http.request(`http://127.0.0.1:${port}/`), [null, 'connection refused']);
  t.deepEqual(http.request({ url: `http://127.0.0.1:${port}/`, sink: ltn12.sink.null()[0] }), [null, 'connection refused']);
});

test.serial("a server that never answers: 'timeout' after http.TIMEOUT, not the default 60 s", (t) => {
  const start = socket.gettime()[0];
  const r = withTimeout(0.4, () => http.request(server.url('/stall')));
  const elapsed = socket.gettime()[0] - start;
  t.deepEqual(r, [null, 'timeout']);
  t.true(elapsed >= 0.35, `returned after ${elapsed} s`);
  t.true(elapsed < 30, `returned after ${elapsed} s`);
});

test.serial("a body that stops halfway: 'timeout'; the unfinished read reaches no sink, as in LuaSocket", (t) => {
  const [sink, chunks] = ltn12.sink.table();
  const r = withTimeout(0.3, () => http.request({ url: server.url('/halfway'), sink }));
  t.deepEqual(r, [null, 'timeout']);
  t.is(joined(chunks).toString(), '');
});

test.serial("a server that closes without answering: 'closed'", (t) => {
  t.deepEqual(http.request(server.url('/raw/empty')), [null, 'closed']);
});

test.serial('bad URLs and schemes are error values', (t) => {
  t.deepEqual(http.request('http:///path'), [null, "invalid host 'nil'"]);
  t.deepEqual(http.request({ url: 'http://x/', host: '' }), [null, "invalid host ''"]);
  t.deepEqual(http.request('ftp://127.0.0.1/file'), [null, "unknown scheme 'ftp'"]);
  t.deepEqual(http.request({ host: '127.0.0.1', port: server.port }), [null, "invalid path 'nil'"]);
});

test.serial('a request table with only host, port and path (no url) works', (t) => {
  const [sink, chunks] = ltn12.sink.table();
  const r = http.request({ host: '127.0.0.1', port: server.port, path: '/hello', sink });
  t.is(r[1], 200);
  t.is(joined(chunks).toString(), 'hello world');
});

test.serial('a request argument that is neither a string nor a table throws like Lua', (t) => {
  const request = http.request as unknown as (x: unknown) => unknown;
  t.throws(() => request(123), { instanceOf: socket.LuaError, message: "attempt to index a number value (local 'reqt')" });
  t.throws(() => request(null), { instanceOf: socket.LuaError, message: "attempt to index a nil value (local 'reqt')" });
});

interface Echo {
  url: string;
  headers: Record<string, string | undefined>;
}

test.serial('through a proxy: connects to the proxy and sends the absolute URL', (t) => {
  const [sink, chunks] = ltn12.sink.table();
  const r = http.request({ url: 'http://origin.invalid/echo?q=1#f', proxy: `http://u:p%21@127.0.0.1:${server.port}`, sink });
  t.is(r[1], 200);
  const e = JSON.parse(joined(chunks).toString()) as Echo;
  t.is(e.url, 'http://origin.invalid/echo?q=1');
  t.is(e.headers.host, 'origin.invalid');
  t.is(e.headers['proxy-authorization'], `Basic ${Buffer.from('u:p!').toString('base64')}`);
});

test.serial('http.PROXY applies to requests that name no proxy', (t) => {
  const saved = http.PROXY;
  http.PROXY = `http://127.0.0.1:${server.port}/`;
  try {
    const [body, code] = http.request('http://origin.invalid:8080/echo');
    t.is(code, 200);
    const e = JSON.parse(body!) as Echo;
    t.is(e.url, 'http://origin.invalid:8080/echo');
    t.is(e.headers.host, 'origin.invalid:8080');
  } finally {
    http.PROXY = saved;
  }
});

test.serial("https through a proxy is 'proxy not supported'", (t) => {
  t.deepEqual(http.request({ url: 'https://origin.invalid/', proxy: `http://127.0.0.1:${server.port}` }), [null, 'proxy not supported']);
});

test.serial('a create function that fails: its error is the result', (t) => {
  t.deepEqual(http.request({ url: server.url('/hello'), create: () => [null, 'no sockets today'] }), [null, 'no sockets today']);
});

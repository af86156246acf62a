/**
 * socket.http.request against a local node:http server (a child process): the simple and
 * generic forms, methods, request and response headers, bodies sent both ways, codes.
 */
// The package entry first, as users load it (src/http/ imports it back).
import '../src/index.js';

import test from 'ava';
import { http, ltn12, type RequestTable, type Sink, type Source } from '../src/http/index.js';
import * as socket from '../src/index.js';
import { HttpServer, joined } from './helpers/http-fixture.js';

let server: HttpServer;
test.before(async () => {
  server = await HttpServer.start();
});
test.after.always(() => server?.stop());

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string | undefined>;
  rawHeaders: string[];
  body: string;
}

function echoOf(body: string | Uint8Array): Echo {
  return JSON.parse(Buffer.from(body).toString('utf8')) as Echo;
}

/** A generic request whose body is collected; returns the result and the body bytes. */
function collect(reqt: RequestTable): { r: ReturnType<typeof http.request>; body: Buffer } {
  const [sink, chunks] = ltn12.sink.table();
  const r = http.request({ ...reqt, sink });
  return { r, body: joined(chunks) };
}

test.serial('simple GET: [body, code, headers, status]', (t) => {
  const [body, code, headers, status] = http.request(server.url('/hello'));
  t.is(body, 'hello world');
  t.is(code, 200);
  t.is(status, 'HTTP/1.1 200 OK');
  t.like(headers, { 'content-type': 'text/plain', 'content-length': '11', connection: 'close' });
});

test.serial('request head: LuaSocket defaults, Host with the port, canonical names, no fragment', (t) => {
  const [body, code] = http.request(`${server.url('/echo')}?x=1#frag`);
  t.is(code, 200);
  const e = echoOf(body!);
  t.is(e.method, 'GET');
  t.is(e.url, '/echo?x=1');
  t.deepEqual(e.rawHeaders, [
    'User-Agent',
    'LuaSocket 3.1.0',
    'Host',
    `127.0.0.1:${server.port}`,
    'Connection',
    'close, TE',
    'TE',
    'trailers',
  ]);
});

test.serial('simple POST: a form body with its content-length', (t) => {
  const [body, code] = http.request(server.url('/echo'), 'a=1&b=é');
  t.is(code, 200);
  const e = echoOf(body!);
  t.is(e.method, 'POST');
  t.is(e.headers['content-type'], 'application/x-www-form-urlencoded');
  t.is(e.headers['content-length'], String(Buffer.byteLength('a=1&b=é')));
  t.is(Buffer.from(e.body, 'base64').toString(), 'a=1&b=é');
});

test.serial('generic POST with a content-length: the source is sent as is', (t) => {
  const payload = Buffer.from(Array.from({ length: 5000 }, (_, i) => i & 0xff));
  const { r, body } = collect({
    url: server.url('/echo'),
    method: 'POST',
    source: ltn12.source.string(payload)[0],
    headers: { 'Content-Length': payload.length, 'content-type': 'application/octet-stream' },
  });
  t.is(r[0], 1);
  t.is(r[1], 200);
  const e = echoOf(body);
  t.is(e.headers['content-length'], '5000');
  t.is(e.headers['transfer-encoding'], undefined);
  t.deepEqual(Buffer.from(e.body, 'base64'), payload);
});

test.serial('generic POST without a length: the source goes chunked, empty chunks skipped', (t) => {
  const parts = ['one,', '', Buffer.from([0, 255, 10]), 'two'];
  const { r, body } = collect({ url: server.url('/echo'), method: 'POST', source: ltn12.source.table(parts)[0] });
  t.is(r[1], 200);
  const e = echoOf(body);
  t.is(e.headers['transfer-encoding'], 'chunked');
  t.deepEqual(Buffer.from(e.body, 'base64'), Buffer.concat([Buffer.from('one,'), Buffer.from([0, 255, 10]), Buffer.from('two')]));
});

test.serial('custom methods and headers: user headers override defaults by lower-cased name', (t) => {
  for (const method of ['PUT', 'DELETE', 'PATCH', 'PURGE']) {
    const { r, body } = collect({
      url: server.url('/echo'),
      method,
      headers: { 'USER-AGENT': 'mine/1.0', 'X-Custom-Thing': 'v', 'x-number': 42, host: 'example.test' },
    });
    t.is(r[1], 200, method);
    const e = echoOf(body);
    t.is(e.method, method);
    t.is(e.headers['user-agent'], 'mine/1.0');
    t.is(e.headers['x-custom-thing'], 'v');
    t.is(e.headers['x-number'], '42');
    t.is(e.headers.host, 'example.test');
    t.true(e.rawHeaders.includes('X-Custom-Thing'));
  }
});

test.serial('http.USERAGENT is read at each request; null sends none', (t) => {
  const saved = http.USERAGENT;
  try {
    http.USERAGENT = 'agent/2';
    t.is(echoOf(http.request(server.url('/echo'))[0]!).headers['user-agent'], 'agent/2');
    http.USERAGENT = null;
    t.is(echoOf(http.request(server.url('/echo'))[0]!).headers['user-agent'], undefined);
  } finally {
    http.USERAGENT = saved;
  }
});

test.serial('user and password in the URL become Basic authorization', (t) => {
  const [body] = http.request(`http://al%40ice:s%3Acret@127.0.0.1:${server.port}/echo`);
  t.is(echoOf(body!).headers.authorization, `Basic ${Buffer.from('al@ice:s:cret').toString('base64')}`);
});

test.serial('explicit URL parts override the url; uri is sent as given', (t) => {
  const a = collect({ url: 'http://nowhere.invalid:1/x', host: '127.0.0.1', port: server.port, path: '/echo', query: 'q=1' });
  t.is(a.r[1], 200);
  t.is(echoOf(a.body).url, '/echo?q=1');
  const b = collect({ url: server.url('/ignored'), uri: '/echo?raw' });
  t.is(echoOf(b.body).url, '/echo?raw');
});

test.serial('404 and 500 are codes, with their bodies', (t) => {
  t.deepEqual(http.request(server.url('/status/404')).slice(0, 2), ['status 404', 404]);
  t.deepEqual(http.request(server.url('/no/such/route')).slice(0, 2), ['not found', 404]);
  const [body, code, , status] = http.request(server.url('/status/500'));
  t.is(body, 'status 500');
  t.is(code, 500);
  t.is(status, 'HTTP/1.1 500 Internal Server Error');
});

test.serial('no body is read for HEAD, 204 and 304', (t) => {
  const head = collect({ url: server.url('/head'), method: 'HEAD' });
  t.is(head.r[1], 200);
  t.is((head.r[2] as Record<string, string>)['content-length'], '5');
  t.is(head.body.length, 0);
  t.deepEqual(http.request(server.url('/status/204')).slice(0, 2), ['', 204]);
  t.deepEqual(http.request(server.url('/status/304')).slice(0, 2), ['', 304]);
});

test.serial('repeated response fields are joined with ", "; names are lower-case', (t) => {
  const [, , headers] = http.request(server.url('/dup'));
  t.is(headers!['set-cookie'], 'a=1, b=2');
  t.true(Object.keys(headers!).every((k) => k === k.toLowerCase()));
});

test.serial('a custom step pumps both bodies', (t) => {
  let steps = 0;
  const step = (src: Source, snk: Sink) => {
    steps += 1;
    return ltn12.pump.step(src, snk);
  };
  const { r, body } = collect({ url: server.url('/echo'), method: 'POST', source: ltn12.source.string('xyz')[0], step });
  t.is(r[1], 200);
  t.is(Buffer.from(echoOf(body).body, 'base64').toString(), 'xyz');
  t.true(steps >= 4);
});

test.serial('a failing sink or source ends the request with its error', (t) => {
  t.deepEqual(http.request({ url: server.url('/hello'), sink: ltn12.sink.error('sink says no')[0] }), [null, 'sink says no']);
  t.deepEqual(http.request({ url: server.url('/echo'), method: 'POST', source: ltn12.source.error('source says no')[0] }), [
    null,
    'source says no',
  ]);
});

test.serial('an exception thrown by a sink propagates; later requests work', (t) => {
  const boom: Sink = () => {
    throw new Error('boom');
  };
  t.throws(() => http.request({ url: server.url('/hello'), sink: boom }), { message: 'boom' });
  t.deepEqual(http.request(server.url('/hello')).slice(0, 2), ['hello world', 200]);
});

test.serial('the simple form decodes the body as UTF-8; the generic form keeps bytes', (t) => {
  const { r, body } = collect({ url: server.url('/raw/latin1') });
  t.is(r[1], 200);
  t.deepEqual(body, Buffer.from([0xff, 0x00]));
  t.is(http.request(server.url('/raw/latin1'))[0], '\ufffd\u0000');
  t.is((r[2] as Record<string, string>)['x-latin'], 'caf\xe9');
});

test.serial('a request through a user create function', (t) => {
  let made = 0;
  const create = () => {
    made += 1;
    return socket.tcp();
  };
  const { r, body } = collect({ url: server.url('/hello'), create });
  t.is(r[1], 200);
  t.is(body.toString(), 'hello world');
  t.is(made, 1);
});

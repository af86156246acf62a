/**
 * HTTP interop with the real LuaSocket (lua5.4):
 * - this package's http.request against a server written in Lua with LuaSocket;
 * - LuaSocket's own socket.http.request against a server written with this package;
 * - a differential: LuaSocket's socket.http.request and this package's, one after the
 *   other against the same node:http test server, must give the same results.
 */
// The package entry first, as users load it (src/http/ imports it back).
import '../../src/index.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { http, ltn12 } from '../../src/http/index.js';
import { HttpServer, joined } from '../helpers/http-fixture.js';
import { Child, interopDir, LUA, luaStatus, skipTitle } from './lua.js';

const lua = luaStatus();
const run = lua.ok ? test.serial : test.skip;
const title = (s: string) => (lua.ok ? s : `${s}: ${skipTitle(lua)}`);

/** The 256-byte pattern both interop servers repeat for /big/N. */
function big(n: number): Buffer {
  const pattern = Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 31 + 7) % 256));
  return Buffer.concat(Array.from({ length: Math.ceil(n / 256) }, () => pattern)).subarray(0, n);
}

interface LuaResult {
  ok?: number;
  code?: number;
  err?: string;
  status?: string;
  headers?: Record<string, string> | [];
  body: string;
}

/** Runs LuaSocket's http.request (http-client.lua) on each "METHOD URL BODY OUT" line. */
function luaRequests(lines: string[]): LuaResult[] {
  const r = spawnSync(LUA, [join(interopDir, 'http-client.lua')], {
    input: `${lines.join('\n')}\n`,
    encoding: 'utf8',
    timeout: 60000,
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`http-client.lua failed (${r.status ?? r.signal}): ${r.stderr}`);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as LuaResult);
}

const hex = (s: string) => Buffer.from(s, 'latin1').toString('hex');
const unhex = (s: string | undefined) => (s === undefined ? undefined : Buffer.from(s, 'hex').toString('latin1'));

run(title("this package's http.request against a LuaSocket server"), async (t) => {
  const child = Child.lua('http-server.lua', []);
  t.teardown(() => child.kill());
  const port = Number(await child.line());
  const base = `http://127.0.0.1:${port}`;

  t.deepEqual(http.request(`${base}/hello`), [
    'hello from lua',
    200,
    { 'content-type': 'text/plain', 'content-length': '14' },
    'HTTP/1.1 200 OK',
  ]);
  const [echo] = http.request(`${base}/echo?x=1`, 'a=1&b=2');
  t.is(
    echo,
    [
      'POST',
      '/echo?x=1',
      'connection: close, TE',
      'content-length: 7',
      'content-type: application/x-www-form-urlencoded',
      `host: 127.0.0.1:${port}`,
      'te: trailers',
      'user-agent: LuaSocket 3.1.0',
      '',
      'a=1&b=2',
    ].join('\n'),
  );
  const [sink, chunks] = ltn12.sink.table();
  const posted = http.request({ url: `${base}/echo`, method: 'PUT', source: ltn12.source.table(['chunked ', 'upload'])[0], sink });
  t.is(posted[1], 200);
  t.true(joined(chunks).toString().endsWith('transfer-encoding: chunked\nuser-agent: LuaSocket 3.1.0\n\nchunked upload'));
  t.deepEqual(http.request(`${base}/chunked`).slice(0, 2), ['chunks from lua', 200]);
  t.deepEqual(http.request(`${base}/redirect`).slice(0, 2), ['hello from lua', 200]);
  t.deepEqual(http.request(`${base}/close`).slice(0, 2), ['until the end', 200]);
  t.deepEqual(http.request(`${base}/nope`).slice(0, 2), ['no /nope', 404]);
  const [bigSink, bigChunks] = ltn12.sink.table();
  t.is(http.request({ url: `${base}/big/3000001`, sink: bigSink })[1], 200);
  t.true(joined(bigChunks).equals(big(3000001)));
});

run(title("LuaSocket's socket.http.request against a server written with this package"), async (t) => {
  const child = Child.node('./http-package-server.js', []);
  t.teardown(() => child.kill());
  const port = Number(await child.line());
  const base = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'http-interop-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bigFile = join(dir, 'big');
  const [hello, echo, chunked, redirect, bigResult, close, nope] = luaRequests([
    `GET ${base}/hello - -`,
    `POST ${base}/echo?q=1 ${hex('body bytes \xff\x00')} -`,
    `GET ${base}/chunked - -`,
    `GET ${base}/redirect - -`,
    `GET ${base}/big/3000001 - ${bigFile}`,
    `GET ${base}/close - -`,
    `GET ${base}/nope - -`,
  ]);
  t.is(hello?.code, 200);
  t.is(unhex(hello?.status), 'HTTP/1.1 200 OK');
  t.is(unhex(hello?.body), 'hello from the package');
  t.deepEqual(
    unhex(echo?.body),
    [
      'POST',
      '/echo?q=1',
      'connection: close, TE',
      'content-length: 13',
      'content-type: application/octet-stream',
      `host: 127.0.0.1:${port}`,
      'te: trailers',
      'user-agent: LuaSocket 3.0.0',
      '',
      'body bytes \xff\x00',
    ].join('\n'),
  );
  t.is(unhex(chunked?.body), 'chunks from the package');
  t.is(redirect?.code, 200);
  t.is(unhex(redirect?.body), 'hello from the package');
  t.is(bigResult?.code, 200);
  t.true(readFileSync(bigFile).equals(big(3000001)));
  t.is(unhex(close?.body), 'until the end');
  t.is(nope?.code, 404);
});

/** Routes whose results must be identical from both clients (method, path). */
const SAME: Array<[string, string]> = [
  ['GET', '/hello'],
  ['GET', '/status/404'],
  ['GET', '/status/204'],
  ['GET', '/chunked'],
  ['GET', '/redirect/301?to=/hello'],
  ['GET', '/redirect/302?to=../hello'],
  ['GET', '/redirect/307?to=%20'],
  ['GET', '/loop?n=0'],
  ['GET', '/hops/3'],
  ['POST', '/redirect/303?to=/hello'],
  ['HEAD', '/head'],
  ['GET', '/dup'],
  ['GET', '/bytes/300001?mode=chunked'],
  ['GET', '/bytes/300001?mode=close'],
  ['GET', '/bytes/300001?mode=length'],
  ...['empty', 'http09', 'folded', 'malformed', 'continue', 'chunkext', 'badchunk', 'nocode', 'short', 'lf', 'identity', 'latin1'].map(
    (r): [string, string] => ['GET', `/raw/${r}`],
  ),
];

/** A result in a comparable form: bytes as hex, the per-request Date header left out. */
function comparable(r: { ok: boolean; code?: number; err?: string; status?: string; headers?: Record<string, string>; body: string }) {
  const headers = r.headers ? Object.fromEntries(Object.entries(r.headers).filter(([k]) => k !== 'date')) : undefined;
  return { ...r, headers };
}

run(title('differential: LuaSocket and this package give the same results from the same server'), async (t) => {
  const server = await HttpServer.start();
  t.teardown(() => server.stop());
  const theirs = luaRequests(SAME.map(([m, p]) => `${m} ${server.url(p)} ${m === 'POST' ? hex('x=1') : '-'} -`));
  for (const [i, [method, path]] of SAME.entries()) {
    const [sink, chunks] = ltn12.sink.table();
    const reqt = { url: server.url(path), method, sink };
    const r = http.request(method === 'POST' ? { ...reqt, source: ltn12.source.string('x=1')[0], headers: { 'content-length': 3 } } : reqt);
    const ours = comparable({
      ok: r[0] === 1,
      code: r[0] === 1 ? r[1] : undefined,
      err: r[0] === null ? r[1] : undefined,
      status: r[0] === 1 && r.length === 4 ? hex(r[3]) : undefined,
      headers:
        r[0] === 1 && r.length >= 3
          ? Object.fromEntries(Object.entries(r[2] as Record<string, string>).map(([k, v]) => [k, hex(v)]))
          : undefined,
      body: joined(chunks).toString('hex'),
    });
    const l = theirs[i]!;
    const luaHeaders = Array.isArray(l.headers) ? {} : l.headers;
    const expected = comparable({ ok: l.ok === 1, code: l.code, err: l.err, status: l.status, headers: luaHeaders, body: l.body });
    t.deepEqual(ours, expected, `${method} ${path}`);
  }
});

run(title('a deliberate difference: a redirected HEAD stays HEAD (LuaSocket 3.1.0 follows it with GET)'), async (t) => {
  const server = await HttpServer.start();
  t.teardown(() => server.stop());
  const theirs = luaRequests([`HEAD ${server.url('/hops/2')} - -`])[0]!;
  t.is(unhex((theirs.headers as Record<string, string>)['x-method']), 'GET');
  t.is(unhex(theirs.body), 'landed by GET');
  const [sink, chunks] = ltn12.sink.table();
  const ours = http.request({ url: server.url('/hops/2'), method: 'HEAD', sink });
  t.is((ours[2] as Record<string, string>)['x-method'], 'HEAD');
  t.is(chunks.length, 0);
});

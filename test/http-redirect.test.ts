/**
 * Redirects by LuaSocket's rules: 301/302/303/307 for GET and HEAD, Location resolved
 * against the request URL, at most 5 hops (then the last 3xx answer is the result), no
 * redirect for requests with a body or with redirect = false.
 */
// The package entry first, as users load it (src/http/ imports it back).
import '../src/index.js';
import test from 'ava';
import { http, ltn12, type RequestTable } from '../src/http/index.js';
import { HttpServer, joined } from './helpers/http-fixture.js';

let server: HttpServer;
test.before(async () => {
  server = await HttpServer.start();
});
test.after.always(() => server?.stop());

function collect(reqt: RequestTable): { r: ReturnType<typeof http.request>; body: string } {
  const [sink, chunks] = ltn12.sink.table();
  const r = http.request({ ...reqt, sink });
  return { r, body: joined(chunks).toString() };
}

for (const code of [301, 302, 303, 307]) {
  test.serial(`GET follows a ${code}; the Location followed is left in the headers`, (t) => {
    const [body, got, headers, status] = http.request(server.url(`/redirect/${code}?to=/hello`));
    t.is(body, 'hello world');
    t.is(got, 200);
    t.is(status, 'HTTP/1.1 200 OK');
    t.is(headers!.location, '/hello');
  });
}

test.serial('a relative Location resolves against the request URL', (t) => {
  const [body, code, headers] = http.request(server.url('/redirect/302?to=../hello'));
  t.is(body, 'hello world');
  t.is(code, 200);
  t.is(headers!.location, '../hello');
});

test.serial('an absolute Location to another origin is followed', (t) => {
  const to = encodeURIComponent(`http://localhost:${server.port}/hello`);
  t.deepEqual(http.request(server.url(`/redirect/301?to=${to}`)).slice(0, 2), ['hello world', 200]);
});

test.serial('a chain of 5 redirects is followed', (t) => {
  const { r, body } = collect({ url: server.url('/hops/5') });
  t.is(r[1], 200);
  t.is(body, 'landed by GET');
});

test.serial('a redirect loop stops after 5 hops with the last 3xx answer as the result', (t) => {
  const [body, code, headers, status] = http.request(server.url('/loop?n=0'));
  t.is(code, 302);
  t.is(status, 'HTTP/1.1 302 Found');
  t.is(body, 'loop 5');
  t.is(headers!.location, '/loop?n=6');
});

test.serial('maxredirects bounds the hops', (t) => {
  const { r, body } = collect({ url: server.url('/loop?n=0'), maxredirects: 2 });
  t.is(r[1], 302);
  t.is(body, 'loop 2');
  const ok = collect({ url: server.url('/hops/7'), maxredirects: 7 });
  t.is(ok.body, 'landed by GET');
});

test.serial('HEAD is redirected as HEAD', (t) => {
  const { r, body } = collect({ url: server.url('/hops/2'), method: 'HEAD' });
  t.is(r[1], 200);
  t.is((r[2] as Record<string, string>)['x-method'], 'HEAD');
  t.is(body, '');
});

test.serial('other methods are not redirected: the 3xx is the result', (t) => {
  for (const method of ['POST', 'PUT', 'DELETE']) {
    const { r, body } = collect({ url: server.url('/redirect/303?to=/hello'), method });
    t.is(r[1], 303, method);
    t.is(body, 'moved');
  }
  // The simple form with a body is a POST.
  t.deepEqual(http.request(server.url('/redirect/302?to=/hello'), 'x=1').slice(0, 2), ['moved', 302]);
});

test.serial('redirect = false, 308 and a Location of an unknown scheme are not followed', (t) => {
  t.is(collect({ url: server.url('/redirect/302?to=/hello'), redirect: false }).r[1], 302);
  t.is(collect({ url: server.url('/redirect/308?to=/hello') }).r[1], 308);
  t.is(collect({ url: server.url('/redirect/302?to=ftp://x/y') }).r[1], 302);
  t.is(collect({ url: server.url('/redirect/302?to=%20') }).r[1], 302);
});

test.serial('the request headers are sent again on the redirected request', (t) => {
  const { r, body } = collect({ url: server.url('/redirect/307?to=/echo'), headers: { 'x-token': 'abc' } });
  t.is(r[1], 200);
  const echo = JSON.parse(body) as { headers: Record<string, string> };
  t.is(echo.headers['x-token'], 'abc');
});

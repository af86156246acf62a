/**
 * https:// through socket.ssl, against the test server's https listener, with
 * certificates made here by openssl (a test CA, a leaf for "localhost" only, and a
 * self-signed leaf).
 *
 */
// The package entry first, as users load it (src/http/ imports it back).
import '../src/index.js';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import test from 'ava';
import { http, ltn12, type RequestTable, type Sink } from '../src/http/index.js';
import { streamHash } from './helpers/http-bytes.js';
import { closedPort, HttpServer, joined } from './helpers/http-fixture.js';
import { hasOpenssl, makePki, type Pki } from './helpers/pki.js';

/** What LuaSec's dohandshake says for any verification failure (the reason is in getpeerverification). */
const VERIFY_FAILED = 'certificate verify failed';

const tlsTest = hasOpenssl ? test.serial : test.skip;
const title = (s: string) => (hasOpenssl ? s : `${s} (skipped: openssl not found)`);

let pki: Pki;
let server: HttpServer;
let selfSigned: HttpServer;

if (hasOpenssl) {
  test.before(async () => {
    pki = makePki();
    server = await HttpServer.start(pki.leaf);
    selfSigned = await HttpServer.start(pki.selfSigned);
  });
  test.after.always(() => {
    server?.stop();
    selfSigned?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });
}

function collect(reqt: RequestTable): { r: ReturnType<typeof http.request>; body: Buffer } {
  const [sink, chunks] = ltn12.sink.table();
  const r = http.request({ ...reqt, sink });
  return { r, body: joined(chunks) };
}

tlsTest(title('GET and POST over https, trusting the test CA with cafile'), (t) => {
  const get = collect({ url: server.tlsUrl('/hello'), cafile: pki.caFile });
  t.is(get.r[1], 200);
  t.is(get.body.toString(), 'hello world');
  const post = collect({
    url: server.tlsUrl('/echo'),
    cafile: pki.caFile,
    method: 'POST',
    source: ltn12.source.string('over tls')[0],
  });
  t.is(post.r[1], 200);
  const echo = JSON.parse(post.body.toString()) as { method: string; body: string; headers: Record<string, string> };
  t.is(echo.method, 'POST');
  t.is(Buffer.from(echo.body, 'base64').toString(), 'over tls');
  t.is(echo.headers.host, `localhost:${server.tlsPort}`);
});

tlsTest(title('a 20 MiB chunked body over https arrives byte for byte'), (t) => {
  const size = 20 * 1024 * 1024 + 3;
  const h = createHash('sha256');
  let bytes = 0;
  const sink: Sink = (chunk) => {
    if (chunk !== null) {
      h.update(chunk);
      bytes += chunk.length;
    }
    return [1];
  };
  const r = http.request({ url: server.tlsUrl(`/bytes/${size}?mode=chunked`), cafile: pki.caFile, sink });
  t.is(r[1], 200);
  t.is(bytes, size);
  t.is(h.digest('hex'), streamHash(size));
});

tlsTest(title('an untrusted certificate is refused by default (CA not given, and self-signed)'), (t) => {
  const unknownCa = http.request(server.tlsUrl('/hello'));
  t.deepEqual(unknownCa, [null, VERIFY_FAILED]);
  const self = http.request(selfSigned.tlsUrl('/hello'));
  t.deepEqual(self, [null, VERIFY_FAILED]);
});

tlsTest(title("verify: 'none' accepts a self-signed certificate"), (t) => {
  const { r, body } = collect({ url: selfSigned.tlsUrl('/hello'), verify: 'none' });
  t.is(r[1], 200);
  t.is(body.toString(), 'hello world');
});

tlsTest(title('a certificate for another host name is refused'), (t) => {
  const r = http.request({ url: server.tlsUrl('/hello', '127.0.0.1'), cafile: pki.caFile });
  t.deepEqual(r, [null, VERIFY_FAILED]);
});

tlsTest(title('redirects: followed within https, never down to http'), (t) => {
  const within = collect({ url: server.tlsUrl('/redirect/302?to=../hello'), cafile: pki.caFile });
  t.is(within.r[1], 200);
  t.is(within.body.toString(), 'hello world');
  const down = collect({ url: server.tlsUrl(`/redirect/302?to=${encodeURIComponent(server.url('/hello'))}`), cafile: pki.caFile });
  t.is(down.r[1], 302);
});

tlsTest(title("https errors as values: refused, and 'timeout' within http.TIMEOUT"), (t) => {
  t.deepEqual(http.request({ url: `https://localhost:${closedPort(t)}/`, cafile: pki.caFile }), [null, 'connection refused']);
  const saved = http.TIMEOUT;
  http.TIMEOUT = 0.4;
  try {
    t.deepEqual(http.request({ url: server.tlsUrl('/stall'), cafile: pki.caFile }), [null, 'timeout']);
  } finally {
    http.TIMEOUT = saved;
  }
});

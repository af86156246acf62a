/**
 * https:// through socket.ssl, against the test server's https listener, with
 * certificates made here by openssl (a test CA, a leaf for "localhost" only, and a
 * self-signed leaf).
 *
 * HTTPS_READY is false until socket.ssl exists and startTls() in src/http/https.ts uses
 * it: until then only the placeholder test runs, and the others are listed as skipped.
 * The expected error texts below are patterns: set them to socket.ssl's exact texts.
 */
// The package entry first, as users load it (src/http/ imports it back).
import '../src/index.js';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { http, ltn12, type RequestTable, type Sink } from '../src/http/index.js';
import { streamHash } from './helpers/http-bytes.js';
import { closedPort, HttpServer, joined } from './helpers/http-fixture.js';

const HTTPS_READY = false;

const UNTRUSTED = /certificate|verify|self.signed|issuer/i;
const WRONG_HOST = /host|name|match/i;

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const tlsTest = HTTPS_READY && hasOpenssl ? test.serial : test.skip;
const title = (s: string) => (HTTPS_READY ? (hasOpenssl ? s : `${s} (skipped: openssl not found)`) : `${s} (waits for socket.ssl)`);

interface Pki {
  dir: string;
  caFile: string;
  leaf: { key: string; cert: string };
  selfSigned: { key: string; cert: string };
}

function openssl(dir: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

/** A CA, a leaf it signs for DNS:localhost only, and a self-signed leaf for localhost. */
function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'http-tls-'));
  const days = ['-days', '2'];
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    ...days,
    '-subj',
    '/CN=luasocket test CA',
  ]);
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=localhost']);
  writeFileSync(join(dir, 'leaf.ext'), 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n');
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'leaf.pem',
    ...days,
    '-extfile',
    'leaf.ext',
  ]);
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'self.key',
    '-out',
    'self.pem',
    ...days,
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost',
  ]);
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    leaf: { key: join(dir, 'leaf.key'), cert: join(dir, 'leaf.pem') },
    selfSigned: { key: join(dir, 'self.key'), cert: join(dir, 'self.pem') },
  };
}

let pki: Pki;
let server: HttpServer;
let selfSigned: HttpServer;

if (HTTPS_READY && hasOpenssl) {
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

if (!HTTPS_READY) {
  test.serial("until socket.ssl lands, https:// is 'https not supported yet'", async (t) => {
    const plain = await HttpServer.start();
    t.teardown(() => plain.stop());
    t.deepEqual(http.request(`https://127.0.0.1:${plain.port}/hello`), [null, 'https not supported yet']);
  });
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
  t.is(unknownCa[0], null);
  t.regex(String(unknownCa[1]), UNTRUSTED);
  const self = http.request(selfSigned.tlsUrl('/hello'));
  t.is(self[0], null);
  t.regex(String(self[1]), UNTRUSTED);
});

tlsTest(title("verify: 'none' accepts a self-signed certificate"), (t) => {
  const { r, body } = collect({ url: selfSigned.tlsUrl('/hello'), verify: 'none' });
  t.is(r[1], 200);
  t.is(body.toString(), 'hello world');
});

tlsTest(title('a certificate for another host name is refused'), (t) => {
  const r = http.request({ url: server.tlsUrl('/hello', '127.0.0.1'), cafile: pki.caFile });
  t.is(r[0], null);
  t.regex(String(r[1]), WRONG_HOST);
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

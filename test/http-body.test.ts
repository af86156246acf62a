/**
 * Response bodies and heads: chunked coding, lengths, bodies until close, HTTP/0.9,
 * interim 100 responses, folded and malformed headers; large bodies checked byte for byte
 * and streamed with bounded memory.
 */
// The package entry first, as users load it (src/http/ imports it back).
import '../src/index.js';
import { createHash } from 'node:crypto';
import test from 'ava';
import { http, ltn12, type RequestTable, type Sink } from '../src/http/index.js';
import { streamHash } from './helpers/http-bytes.js';
import { HttpServer, joined } from './helpers/http-fixture.js';

let server: HttpServer;
test.before(async () => {
  server = await HttpServer.start();
});
test.after.always(() => server?.stop());

function collect(reqt: RequestTable): { r: ReturnType<typeof http.request>; body: Buffer; sizes: number[] } {
  const [sink, chunks] = ltn12.sink.table();
  const r = http.request({ ...reqt, sink });
  return { r, body: joined(chunks), sizes: chunks.map((c) => c.length) };
}

test.serial('chunked response: decoded, trailers read and dropped', (t) => {
  const { r, body } = collect({ url: server.url('/chunked') });
  t.is(r[1], 200);
  t.is(body.toString(), 'first second third');
  const headers = r[2] as Record<string, string>;
  t.is(headers['transfer-encoding'], 'chunked');
  t.false(Object.hasOwn(headers, 'x-checksum'));
});

test.serial('chunk extensions and spaces after the size are ignored; the CRLF inside data is data', (t) => {
  t.deepEqual(http.request(server.url('/raw/chunkext')).slice(0, 3), [
    'Wikipedia in\r\n\r\nchunks.',
    200,
    { 'transfer-encoding': 'chunked' },
  ]);
});

test.serial("an invalid chunk size is 'invalid chunk size'", (t) => {
  t.deepEqual(http.request(server.url('/raw/badchunk')), [null, 'invalid chunk size']);
});

test.serial("a body shorter than its content-length is 'closed'", (t) => {
  t.deepEqual(http.request(server.url('/raw/short')), [null, 'closed']);
});

test.serial("transfer-encoding 'identity' and no length: the body runs until close", (t) => {
  t.deepEqual(http.request(server.url('/raw/identity')).slice(0, 2), ['until close', 200]);
});

test.serial('HTTP/0.9: no status line, the whole answer is the body, code 200', (t) => {
  t.deepEqual(http.request(server.url('/raw/http09')), ['a body with no status line\r\nsecond line', 200]);
  const { r, body } = collect({ url: server.url('/raw/http09') });
  t.deepEqual(r, [1, 200]);
  t.is(body.toString(), 'a body with no status line\r\nsecond line');
});

test.serial('interim 100 responses are skipped', (t) => {
  t.deepEqual(http.request(server.url('/raw/continue')), ['ok', 200, { 'content-length': '2' }, 'HTTP/1.1 200 OK']);
});

test.serial('folded header lines are joined, repeated names (any case) joined with ", "', (t) => {
  const [body, , headers] = http.request(server.url('/raw/folded'));
  t.is(body, 'ok');
  t.deepEqual(headers, { 'x-folded': 'one  two\tthree', 'x-dup': 'a, b', 'content-length': '2', 'x-empty': '' });
});

test.serial("a header line without a colon is LuaSocket's 'malformed reponse headers'", (t) => {
  t.deepEqual(http.request(server.url('/raw/malformed')), [null, 'malformed reponse headers']);
});

test.serial("a header line longer than 64 KiB is 'oversized' (LuaSocket would buffer it whole)", (t) => {
  t.deepEqual(http.request(server.url('/raw/hugeheader')), [null, 'oversized']);
});

test.serial('a status line without a code fails with the line itself', (t) => {
  t.deepEqual(http.request(server.url('/raw/nocode')), [null, 'HTTP/1.1 abc OK']);
});

test.serial('bare LF line ends are accepted', (t) => {
  t.deepEqual(http.request(server.url('/raw/lf')), [
    'abc',
    200,
    { 'content-type': 'text/plain', 'content-length': '3' },
    'HTTP/1.0 200 OK',
  ]);
});

/** Streams a body to a sink that hashes it: the hash, the byte count and the largest chunk. */
function hashed(path: string): { r: ReturnType<typeof http.request>; hash: string; bytes: number; largest: number } {
  const h = createHash('sha256');
  let bytes = 0;
  let largest = 0;
  const sink: Sink = (chunk) => {
    if (chunk !== null) {
      h.update(chunk);
      bytes += chunk.length;
      largest = Math.max(largest, chunk.length);
    }
    return [1];
  };
  const r = http.request({ url: server.url(path), sink });
  return { r, hash: h.digest('hex'), bytes, largest };
}

const MIB = 1024 * 1024;

for (const mode of ['length', 'chunked', 'close'] as const) {
  test.serial(`a 20 MiB body (${mode}) arrives byte for byte, in bounded chunks`, (t) => {
    const size = 20 * MIB + 12345;
    const got = hashed(`/bytes/${size}?mode=${mode}`);
    t.is(got.r[0], 1);
    t.is(got.r[1], 200);
    t.is(got.bytes, size);
    t.is(got.hash, streamHash(size));
    // The server sends chunks of up to 3 MiB; the sink never gets more than a read's worth.
    t.true(got.largest <= 64 * 1024, `largest chunk ${got.largest}`);
  });
}

test.serial('the simple form returns a 20 MiB text body whole', (t) => {
  const size = 20 * MIB + 7;
  const [body, code] = http.request(server.url(`/text/${size}`));
  t.is(code, 200);
  t.is(body!.length, size);
  t.is(body!.slice(0, 12), '0123456789\n0');
  t.is(body, '0123456789\n'.repeat(Math.ceil(size / 11)).slice(0, size));
});

test.serial('256 MiB stream through a counting sink with bounded memory', (t) => {
  const size = 256 * MIB;
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  let bytes = 0;
  let calls = 0;
  const sink: Sink = (chunk) => {
    if (chunk !== null) {
      bytes += chunk.length;
      calls += 1;
      if (calls % 1024 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
    return [1];
  };
  const r = http.request({ url: server.url(`/bytes/${size}?mode=chunked`), sink });
  t.is(r[1], 200);
  t.is(bytes, size);
  const growth = (peak - before) / MIB;
  t.log(`RSS growth while streaming 256 MiB: ${growth.toFixed(1)} MiB`);
  t.true(growth < 96, `RSS grew by ${growth.toFixed(1)} MiB`);
});

/**
 * socket.ssl (LuaSec's API) on real loopback TLS connections: as a client against a
 * node:tls server and as a server against a node:tls client, both on their own thread;
 * certificates made by openssl for the test. Error texts are LuaSec 1.2.0's (checked with
 * lua5.4 + lua-sec): 'certificate verify failed', 'wantread', 'closed', and newcontext's.
 */
import { rmSync } from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import * as socket from '../src/index.js';
import { hasOpenssl, makePki, type Pki } from './helpers/pki.js';
import { TlsPeer } from './helpers/tls-peer.js';

const tlsTest = hasOpenssl ? test.serial : test.skip;
let pki: Pki;
let server: TlsPeer;
let selfSigned: TlsPeer;

if (hasOpenssl) {
  test.before(() => {
    pki = makePki();
    server = TlsPeer.server(pki.leaf);
    selfSigned = TlsPeer.server(pki.selfSigned);
  });
  test.after.always(async () => {
    await server?.stop();
    await selfSigned?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });
}

/** A TLS client connection to `port`, wrapped (not handshaken yet); closed when the test ends. */
function client(t: ExecutionContext, port: number, params: socket.SslParams): socket.SslSocket {
  const [tcp, err] = socket.connect('127.0.0.1', port);
  if (!tcp) throw new Error(`connect: ${err}`);
  const [conn, werr] = socket.ssl.wrap(tcp, { mode: 'client', protocol: 'any', ...params });
  if (!conn) throw new Error(`wrap: ${werr}`);
  t.teardown(() => conn.close());
  conn.settimeout(5);
  return conn;
}

tlsTest('a client trusting the test CA: handshake, verification, certificate, info, data both ways', (t) => {
  const [tcp] = socket.connect('127.0.0.1', server.port);
  if (!tcp) return t.fail();
  const [conn] = socket.ssl.wrap(tcp, { mode: 'client', protocol: 'any', cafile: pki.caFile });
  if (!conn) return t.fail();
  t.teardown(() => conn.close());
  t.deepEqual(tcp.getfd(), [-1], 'the TCP object gave its socket to the TLS connection');
  t.regex(String(conn), /^SSL connection: 0x[0-9a-f]+$/);
  conn.settimeout(5);
  conn.sni('localhost');
  t.deepEqual(conn.dohandshake(), [true]);
  t.deepEqual(conn.getpeerverification(), [true]);
  const [cert] = conn.getpeercertificate();
  if (!cert) return t.fail();
  t.deepEqual(cert.subject(), [[{ oid: '2.5.4.3', name: 'commonName', value: 'localhost' }]]);
  t.deepEqual(cert.issuer()[0][0]?.value, 'luasocket test CA');
  t.regex(cert.notafter()[0], /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4} GMT$/);
  t.regex(cert.digest('sha256')[0] as string, /^[0-9a-f]{64}$/);
  t.true(cert.validat(Date.now() / 1000)[0]);
  const [info] = conn.info();
  t.is((info as socket.SslInfo).protocol, 'TLSv1.3');
  t.is(conn.info('protocol')[0], 'TLSv1.3');
  t.deepEqual(conn.send('echo\n'), [5]);
  t.deepEqual(conn.receive(), ['hello']);
  t.deepEqual(conn.send('abc\r\n'), [5]);
  t.deepEqual(conn.receive('*l'), ['abc']);
  t.true(conn.getfd()[0] >= 0);
  t.deepEqual(conn.close(), [1]);
  t.deepEqual(conn.getfd(), [-1]);
  t.deepEqual(conn.receive(), [null, 'closed', '']);
});

tlsTest("an unverifiable server is refused by default: 'certificate verify failed', then 'closed'", (t) => {
  for (const port of [selfSigned.port, server.port]) {
    const conn = client(t, port, {});
    t.deepEqual(conn.dohandshake(), [null, 'certificate verify failed']);
    t.deepEqual(conn.getpeerverification(), [false, 'closed']);
    t.deepEqual(conn.getpeercertificate(), [null]);
    t.deepEqual(conn.receive(), [null, 'closed', '']);
    t.deepEqual(conn.send('x'), [null, 'closed', 0]);
  }
});

tlsTest("verify 'none' accepts any certificate; getpeerverification says why it is not verified", (t) => {
  const conn = client(t, selfSigned.port, { verify: 'none' });
  t.deepEqual(conn.dohandshake(), [true]);
  t.deepEqual(conn.getpeerverification(), [false, 'self-signed certificate']);
  t.deepEqual(conn.send('echo\n'), [5]);
  t.deepEqual(conn.receive(), ['hello']);
  const untrusted = client(t, server.port, { verify: 'none' });
  t.deepEqual(untrusted.dohandshake(), [true]);
  // OpenSSL's text for the reason Node's verification gives (LuaSec's OpenSSL may word the same case as 'unable to get local issuer certificate').
  t.deepEqual(untrusted.getpeerverification(), [false, 'unable to verify the first certificate']);
});

tlsTest('the name given to sni() is checked against the certificate; without it only the chain is', (t) => {
  const named = client(t, server.port, { cafile: pki.caFile });
  named.sni('localhost');
  t.deepEqual(named.dohandshake(), [true]);
  const wrong = client(t, server.port, { cafile: pki.caFile });
  wrong.sni('other.example');
  t.deepEqual(wrong.dohandshake(), [null, 'certificate verify failed']);
  const unnamed = client(t, server.port, { cafile: pki.caFile });
  t.deepEqual(unnamed.dohandshake(), [true]);
});

tlsTest("a non-blocking handshake: 'wantread' until select says the connection is ready, then true", (t) => {
  const conn = client(t, server.port, { cafile: pki.caFile });
  conn.settimeout(0);
  let r = conn.dohandshake();
  t.deepEqual(r, [null, 'wantread']);
  for (let i = 0; r[0] === null && i < 50; i++) {
    t.is(r[1], 'wantread');
    socket.select([conn], null, 5);
    r = conn.dohandshake();
  }
  t.deepEqual(r, [true]);
});

tlsTest("a partial line over TLS: 'wantread' with the partial, then resumed with it as prefix", (t) => {
  const conn = client(t, server.port, { cafile: pki.caFile });
  t.deepEqual(conn.dohandshake(), [true]);
  conn.send('partial\n');
  conn.settimeout(0.3);
  t.deepEqual(conn.receive('*l'), [null, 'wantread', 'abc']);
  conn.send('more\n');
  conn.settimeout(5);
  t.deepEqual(conn.receive('*l', 'abc'), ['abcdef']);
  t.deepEqual(conn.receive(4), ['rest']);
});

tlsTest("close_notify from the peer reads as the end: '*a' returns what came, then 'closed'", (t) => {
  const conn = client(t, server.port, { cafile: pki.caFile });
  t.deepEqual(conn.dohandshake(), [true]);
  conn.send('bye\n');
  t.deepEqual(conn.receive('*a'), ['bye']);
  t.deepEqual(conn.receive(), [null, 'closed', '']);
});

tlsTest('4 MiB from the peer arrive whole over TLS', (t) => {
  const conn = client(t, server.port, { cafile: pki.caFile });
  conn.setencoding('latin1');
  t.deepEqual(conn.dohandshake(), [true]);
  conn.send('big\n');
  const [all] = conn.receive('*a');
  t.is(all?.length, 4 << 20);
  t.true(/^a+$/.test(all ?? ''));
});

/** Our blocking server: accepts one connection and wraps it as a TLS server. */
function serveOne(t: ExecutionContext, params: socket.SslParams): { port: number; accept: () => socket.SslSocket } {
  const [srv, err] = socket.bind('127.0.0.1', 0);
  if (!srv) throw new Error(`bind: ${err}`);
  t.teardown(() => srv.close());
  const port = srv.getsockname()[1] as number;
  return {
    port,
    accept: () => {
      srv.settimeout(5);
      const [c, aerr] = srv.accept();
      if (!c) throw new Error(`accept: ${aerr}`);
      const [conn, werr] = socket.ssl.wrap(c, { mode: 'server', protocol: 'any', ...params });
      if (!conn) throw new Error(`wrap: ${werr}`);
      t.teardown(() => conn.close());
      conn.settimeout(5);
      return conn;
    },
  };
}

tlsTest('as a server: a node:tls client verifies our certificate, we read its line and answer', async (t) => {
  const s = serveOne(t, { key: pki.leaf.key, certificate: pki.leaf.cert });
  const peer = TlsPeer.client(s.port, { ca: pki.caFile });
  t.teardown(() => peer.stop());
  const conn = s.accept();
  t.deepEqual(conn.dohandshake(), [true]);
  t.deepEqual(conn.getpeercertificate(), [null], 'the client sent no certificate');
  t.deepEqual(peer.next('secure'), { event: 'secure', authorized: true, text: '' });
  t.deepEqual(conn.receive(), ['ping']);
  t.deepEqual(conn.send('pong\n'), [5]);
  t.deepEqual(conn.close(), [1]);
  t.deepEqual(peer.next('end'), { event: 'end', text: 'pong\n' });
});

tlsTest("as a server with verify 'peer': the client's certificate is checked against cafile", async (t) => {
  const params: socket.SslParams = {
    key: pki.leaf.key,
    certificate: pki.leaf.cert,
    cafile: pki.caFile,
    verify: ['peer', 'fail_if_no_peer_cert'],
  };
  const s = serveOne(t, params);
  const peer = TlsPeer.client(s.port, { ca: pki.caFile, key: pki.client.key, cert: pki.client.cert });
  t.teardown(() => peer.stop());
  const conn = s.accept();
  t.deepEqual(conn.dohandshake(), [true]);
  t.deepEqual(conn.getpeerverification(), [true]);
  t.is(conn.getpeercertificate()[0]?.subject()[0][0]?.value, 'test client');
  t.deepEqual(conn.receive(), ['ping']);
  const anonymous = serveOne(t, params);
  const bare = TlsPeer.client(anonymous.port, { ca: pki.caFile });
  t.teardown(() => bare.stop());
  t.deepEqual(anonymous.accept().dohandshake(), [null, 'certificate verify failed']);
});

tlsTest('newcontext and wrap report bad parameters with LuaSec texts', (t) => {
  const ctx = (p: Record<string, unknown>) => socket.ssl.newcontext(p as socket.SslParams);
  t.deepEqual(ctx({ mode: 'bogus', protocol: 'any' }), [null, 'invalid mode']);
  t.deepEqual(ctx({ mode: 'client', protocol: 'bogus' }), [null, 'invalid protocol (bogus)']);
  t.deepEqual(ctx({ mode: 'client', protocol: 'any', cafile: '/nonexistent' }), [null, 'error loading CA locations ((null))']);
  t.deepEqual(ctx({ mode: 'client', protocol: 'any', certificate: '/nonexistent' }), [null, 'error loading certificate ((null))']);
  t.deepEqual(ctx({ mode: 'client', protocol: 'any', key: '/nonexistent' }), [null, 'error loading private key (system lib)']);
  t.deepEqual(ctx({ mode: 'client', protocol: 'any', verify: 'bogus' }), [null, 'invalid verify option (bogus)']);
  t.deepEqual(ctx({ mode: 'client', protocol: 'any', options: ['all', 'bogus'] }), [null, 'invalid option (bogus)']);
  t.deepEqual(ctx({ mode: 'client', protocol: 'any', ciphers: 'bogus' }), [null, 'error setting cipher list (system lib)']);
  t.throws(() => ctx({ mode: 'client' }), {
    instanceOf: socket.LuaError,
    message: "bad argument #1 to 'create' (string expected, got nil)",
  });
  t.throws(() => ctx({ protocol: 'any' }), {
    instanceOf: socket.LuaError,
    message: "bad argument #2 to 'setmode' (string expected, got nil)",
  });
  const [good] = ctx({ mode: 'client', protocol: 'tlsv1_2', verify: 'none', options: ['all', 'no_sslv3'] });
  t.true(good instanceof socket.SslContext);
  const [closed] = socket.tcp();
  if (!closed) return t.fail();
  t.deepEqual(socket.ssl.wrap(closed, { mode: 'client', protocol: 'any' }), [null, 'closed']);
});

tlsTest('a context made once serves several connections, and protocol limits are applied', (t) => {
  const [ctx] = socket.ssl.newcontext({ mode: 'client', protocol: 'tlsv1_2', cafile: pki.caFile });
  if (!ctx) return t.fail();
  for (let i = 0; i < 2; i++) {
    const [tcp] = socket.connect('127.0.0.1', server.port);
    if (!tcp) return t.fail();
    const [conn] = socket.ssl.wrap(tcp, ctx);
    if (!conn) return t.fail();
    t.teardown(() => conn.close());
    conn.settimeout(5);
    t.deepEqual(conn.dohandshake(), [true]);
    t.is(conn.info('protocol')[0], 'TLSv1.2');
  }
});

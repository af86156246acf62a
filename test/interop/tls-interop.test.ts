/**
 * TLS between this package's socket.ssl and the real LuaSec (lua5.4 + lua-sec), both ways:
 * a LuaSec server wrapping an accepted LuaSocket connection, and a LuaSec client checking
 * this package's server certificate against the test CA.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import test from 'ava';
import * as socket from '../../src/index.js';
import { hasOpenssl, makePki, type Pki } from '../helpers/pki.js';
import { Child, LUA, luaStatus } from './lua.js';

const luasec = luaStatus().ok && spawnSync(LUA, ['-e', 'require"ssl"']).status === 0;
const run = luasec && hasOpenssl ? test.serial : test.skip;
const why = luasec ? '' : ' (skipped: lua-sec not installed)';
let pki: Pki;

if (luasec && hasOpenssl) {
  test.before(() => {
    pki = makePki();
  });
  test.after.always(() => {
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });
}

run(`this package's TLS client against a LuaSec server${why}`, async (t) => {
  const lua = Child.lua('tls-peer.lua', ['server', pki.leaf.cert, pki.leaf.key]);
  t.teardown(() => lua.kill());
  const port = Number((await lua.line()).replace('port ', ''));
  const [tcp] = socket.connect('127.0.0.1', port);
  if (!tcp) return t.fail();
  const [conn, err] = socket.ssl.wrap(tcp, { mode: 'client', protocol: 'any', cafile: pki.caFile });
  if (!conn) return t.fail(err);
  conn.settimeout(10);
  conn.sni('localhost');
  t.deepEqual(conn.dohandshake(), [true]);
  t.deepEqual(conn.getpeerverification(), [true]);
  t.deepEqual(conn.send('hello from node\n'), [16]);
  t.deepEqual(conn.receive(), ['lua got hello from node']);
  const bulk = Buffer.alloc(1 << 20, 0x7a);
  t.deepEqual(conn.send(bulk), [bulk.length]);
  t.deepEqual(conn.close(), [1]);
  const ex = await lua.exit(20000);
  t.is(ex.code, 0, ex.stderr);
  // close() sends close_notify: LuaSec's "*a" ends cleanly with every byte.
  t.regex(ex.stdout, new RegExp(`rest ${bulk.length} nil`));
});

run(`a LuaSec client against this package's TLS server${why}`, async (t) => {
  const [srv] = socket.bind('127.0.0.1', 0);
  if (!srv) return t.fail();
  t.teardown(() => srv.close());
  const port = srv.getsockname()[1] as number;
  const lua = Child.lua('tls-peer.lua', ['client', String(port), pki.caFile]);
  t.teardown(() => lua.kill());
  srv.settimeout(10);
  const [c] = srv.accept();
  if (!c) return t.fail();
  const [conn, err] = socket.ssl.wrap(c, { mode: 'server', protocol: 'any', certificate: pki.leaf.cert, key: pki.leaf.key });
  if (!conn) return t.fail(err);
  conn.settimeout(10);
  t.deepEqual(conn.dohandshake(), [true]);
  t.deepEqual(conn.receive(), ['hello from lua']);
  t.deepEqual(conn.send('node got it\n'), [12]);
  conn.close();
  const ex = await lua.exit(20000);
  t.is(ex.code, 0, ex.stderr);
  t.deepEqual(ex.stdout.trim().split('\n'), ['reply node got it', 'cn localhost', 'verified true']);
});

/**
 * Interop with the real LuaSocket 3.1.0 as a UDP and as a unix-domain peer, both
 * directions: datagrams of every size up to the IPv4 limit (byte-exact, echoed), the
 * default receive size, connected and unconnected calls, unix stream lines, binary data
 * and shutdown, unix datagrams with named senders (native engine: node:dgram has none).
 */
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import * as socket from '../../src/index.js';
import { keep, portable, sockDir } from '../helpers/dgram.js';
import { Child, luaStatus, skipTitle } from './lua.js';

const TIMEOUT = 15;
const SIZES = [0, 1, 5, 255, 256, 1000, 8192, 8193, 20000, 65507];
const LINES = ['first', 'with\rcr', '', 'long'.repeat(5000)];

/** n bytes: byte i is (i * 7 + n) % 256 (payload() in lua-dgram-peer.lua). */
function payload(n: number): string {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + n) % 256;
  return b.toString('latin1');
}

/** Waits for the Lua peer's end and returns its result (it must exit with 0). */
async function result(t: ExecutionContext, child: Child): Promise<Record<string, unknown>> {
  const ex = await child.exit(30000);
  t.is(ex.code, 0, `lua-dgram-peer.lua failed: ${ex.stderr}`);
  const line = ex.stdout.split('\n').find((l) => l.startsWith('result '));
  if (!line) throw new Error(`no result from lua-dgram-peer.lua: ${ex.stdout} ${ex.stderr}`);
  return JSON.parse(line.slice(7)) as Record<string, unknown>;
}

/** Runs `half` with the Lua peer `child`, killing the peer if it throws. */
async function withPeer(t: ExecutionContext, child: Child, half: () => void): Promise<Record<string, unknown>> {
  try {
    half();
  } catch (e) {
    const ex = await child.exit(5000).catch(() => null);
    child.kill();
    throw new Error(`${(e as Error).message}; lua-dgram-peer.lua: ${ex ? ex.stderr || `exit ${ex.code}` : 'still running'}`);
  }
  return result(t, child);
}

/** The tests, defined only where the real LuaSocket can run. */
function defineTests(): void {
  for (const family of ['udp4', 'udp6'] as const) {
    const host = family === 'udp6' ? '::1' : '127.0.0.1';

    test.serial(`${family}: this package's client, LuaSocket echo server`, async (t) => {
      const child = Child.lua('lua-dgram-peer.lua', ['server', family]);
      const m = /^port (\d+)$/.exec(await child.line());
      if (!m) throw new Error('no port from lua-dgram-peer.lua');
      const port = Number(m[1]);
      const r = await withPeer(t, child, () => {
        const u = keep(t, socket.udp()).setencoding('latin1');
        u.settimeout(TIMEOUT);
        for (const n of SIZES) {
          t.deepEqual(u.sendto(payload(n), host, port), [n]);
          const [d, ip, p] = u.receivefrom(65535);
          t.is(d, payload(n), `echo of ${n} bytes`);
          t.deepEqual([ip, p], [host, port]);
        }
        t.deepEqual(u.setpeername(host, port), [1]);
        t.deepEqual(u.send('quit'), [4]);
        t.deepEqual(u.send('x'.repeat(10000)), [10000]);
      });
      t.deepEqual(r, { datagrams: SIZES.length });
    });

    test.serial(`${family}: LuaSocket client, this package's echo server`, async (t) => {
      const u = keep(t, family === 'udp6' ? socket.udp6() : socket.udp4()).setencoding('latin1');
      t.deepEqual(u.setsockname(host, 0), [1]);
      u.settimeout(TIMEOUT);
      const port = u.getsockname()[1] as number;
      const child = Child.lua('lua-dgram-peer.lua', ['client', family, String(port)]);
      let k = 0;
      const r = await withPeer(t, child, () => {
        for (;;) {
          const [d, ip, p] = u.receivefrom(65535);
          if (d === null) throw new Error(`receivefrom: ${ip}`);
          if (d === 'quit') break;
          t.is(d, payload(SIZES[k] ?? 10), `datagram ${k + 1}`);
          k++;
          t.deepEqual(u.sendto(d, ip as string, p as number), [d.length]);
        }
      });
      t.is(k, SIZES.length + 1);
      t.deepEqual(r, { datagrams: SIZES.length + 1 });
    });
  }

  test.serial("unix stream: this package's client, LuaSocket server", async (t) => {
    const path = join(sockDir(t), 'lua.sock');
    const child = Child.lua('lua-dgram-peer.lua', ['server', 'unix', path]);
    t.is(await child.line(), 'ready');
    const r = await withPeer(t, child, () => {
      const c = keep(t, socket.unix()).setencoding('latin1');
      c.settimeout(TIMEOUT);
      t.deepEqual(c.connect(path), [1]);
      for (const l of LINES) {
        c.send(`${l}\n`);
        t.deepEqual(c.receive(), [l.replace(/\r/g, '')]);
      }
      c.send('quit\n');
      const block = payload(256).repeat(64);
      t.deepEqual(c.send(block), [block.length]);
      t.deepEqual(c.receive(block.length), [block]);
      c.send('bye');
      t.deepEqual(c.shutdown('send'), [1]);
      t.deepEqual(c.receive('*a'), [null, 'closed', '']);
    });
    t.deepEqual(r, { lines: LINES.length });
  });

  test.serial("unix stream: LuaSocket client, this package's server", async (t) => {
    const path = join(sockDir(t), 'ours.sock');
    const s = keep(t, socket.unix());
    t.deepEqual(s.bind(path), [1]);
    t.deepEqual(s.listen(), [1]);
    s.settimeout(TIMEOUT);
    const child = Child.lua('lua-dgram-peer.lua', ['client', 'unix', path]);
    const r = await withPeer(t, child, () => {
      const [a, err] = s.accept();
      if (!a) throw new Error(`accept: ${err}`);
      const c = a.setencoding('latin1');
      t.teardown(() => c.close());
      c.settimeout(TIMEOUT);
      let k = 0;
      for (;;) {
        const [l, e] = c.receive();
        if (l === null) throw new Error(`receive: ${e}`);
        if (l === 'quit') break;
        k++;
        c.send(`${l}\n`);
      }
      t.is(k, LINES.length);
      const [block] = c.receive(256 * 64);
      t.is(block, payload(256).repeat(64));
      c.send(block as string);
      t.deepEqual(c.receive('*a'), ['bye']);
      c.close();
    });
    t.deepEqual(r, { lines: LINES.length });
  });

  if (!portable) {
    test.serial("unix dgram: this package's client, LuaSocket echo server", async (t) => {
      const dir = sockDir(t);
      const path = join(dir, 'lua-dgram.sock');
      const child = Child.lua('lua-dgram-peer.lua', ['server', 'unixdgram', path]);
      t.is(await child.line(), 'ready');
      const r = await withPeer(t, child, () => {
        const d = keep(t, socket.unix.dgram()).setencoding('latin1');
        t.deepEqual(d.bind(join(dir, 'ours.sock')), [1]);
        d.settimeout(TIMEOUT);
        t.deepEqual(d.connect(path), [1]);
        for (const n of SIZES) {
          t.deepEqual(d.send(payload(n)), [n]);
          t.deepEqual(d.receive(65535), [payload(n)], `echo of ${n} bytes`);
        }
        d.send('quit');
      });
      t.deepEqual(r, { datagrams: SIZES.length });
    });

    test.serial("unix dgram: LuaSocket client, this package's echo server", async (t) => {
      const dir = sockDir(t);
      const path = join(dir, 'ours-dgram.sock');
      const lua = join(dir, 'lua-own.sock');
      const d = keep(t, socket.unix.dgram()).setencoding('latin1');
      t.deepEqual(d.bind(path), [1]);
      d.settimeout(TIMEOUT);
      const child = Child.lua('lua-dgram-peer.lua', ['client', 'unixdgram', path, lua]);
      const r = await withPeer(t, child, () => {
        for (let k = 0; ; k++) {
          const [data, from] = d.receivefrom(65535);
          if (data === null) throw new Error(`receivefrom: ${from}`);
          if (data === 'quit') break;
          t.is(data, payload(SIZES[k] as number));
          t.is(from, lua);
          t.deepEqual(d.sendto(data, from as string), [data.length]);
        }
      });
      t.deepEqual(r, { datagrams: SIZES.length });
    });
  }
}

const status = luaStatus();
if (!status.ok) test.skip(skipTitle(status), () => {});
else defineTests();

/**
 * getoption / setoption (spec 6.18) for every option LuaSocket 3.1.0 has on TCP objects,
 * against its observed results (spec 11 p08; defaults re-checked with lua5.4 on this machine).
 * Options must be real: besides reading values back, the tests read them through a second
 * object that shares the descriptor (setfd), compare defaults with the kernel's sysctls, and
 * check effects (SO_REUSEPORT lets two listeners share a port, SO_LINGER 0 resets on close).
 * Reading through a second object needs setfd adoption, which the portable engine does not
 * have (portable item 2): those tests run on the native engine, and options-portable.test.ts
 * checks what the portable engine does instead (portable item 6).
 */
import { readFileSync } from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import * as socket from '../src/index.js';
import { own, portOf } from './helpers/client.js';
import { nativeOnlySerial, portable } from './helpers/engine.js';

type Sock = socket.TcpSocket;
type Loose = Record<string, (...a: unknown[]) => unknown>;
const loose = (o: object): Loose => o as unknown as Loose;

interface Objects {
  client: Sock;
  accepted: Sock;
  server: Sock;
  master4: Sock;
  master6: Sock;
}

function objects(t: ExecutionContext): Objects {
  const server = own(t, socket.bind('127.0.0.1', 0));
  const client = own(t, socket.connect('127.0.0.1', portOf(t, server)));
  server.settimeout(5);
  const accepted = own(t, server.accept());
  return { client, accepted, server, master4: own(t, socket.tcp4()), master6: own(t, socket.tcp6()) };
}

/** A second object on the same OS socket: it sees kernel state, not the first object's. */
function view(t: ExecutionContext, s: Sock): Sock {
  const v = own(t, socket.tcp());
  t.deepEqual(v.setfd(s.getfd()[0]), []);
  t.teardown(() => {
    v.setfd(-1); // detach before the view's close, which must not close the shared descriptor
  });
  return v;
}

function sysctl(path: string, field: number, fallback: number): number {
  try {
    const v = Number(readFileSync(path, 'utf8').trim().split(/\s+/)[field]);
    return Number.isFinite(v) ? v : fallback;
  } catch {
    return fallback;
  }
}

const throwsLua = (t: ExecutionContext, fn: () => unknown, message: string) => t.throws(fn, { instanceOf: socket.LuaError, message });

const BOOLEANS = ['keepalive', 'reuseaddr', 'reuseport', 'tcp-nodelay'] as const;
const INTEGERS = ['tcp-keepidle', 'tcp-keepcnt', 'tcp-keepintvl'] as const;
const GETTABLE = [...BOOLEANS, ...INTEGERS, 'linger', 'error', 'recv-buffer-size', 'send-buffer-size'] as const;
/** Portable item 6: what the portable engine answers for an option node:net cannot apply. */
const UNSUPPORTED = [null, 'not supported on this platform'];

test.serial('boolean defaults: all false, except reuseaddr on socket.bind servers and what they accept', (t) => {
  const o = objects(t);
  for (const [name, s] of Object.entries(o)) {
    t.deepEqual(s.getoption('keepalive'), [false], name);
    t.deepEqual(s.getoption('reuseport'), portable ? UNSUPPORTED : [false], name);
    t.deepEqual(s.getoption('tcp-nodelay'), [false], name);
  }
  t.deepEqual(o.client.getoption('reuseaddr'), [false]);
  t.deepEqual(o.master4.getoption('reuseaddr'), [false]);
  t.deepEqual(o.master6.getoption('reuseaddr'), [false]);
  t.deepEqual(o.server.getoption('reuseaddr'), [true]);
  // Accepted sockets inherit SO_REUSEADDR from the listener (lua5.4 + LuaSocket 3.1.0 here: true).
  t.deepEqual(o.accepted.getoption('reuseaddr'), [true]);
});

test.serial('integer and linger defaults are the kernel defaults: keepidle 7200, keepcnt 9, keepintvl 75', (t) => {
  const o = objects(t);
  const idle = sysctl('/proc/sys/net/ipv4/tcp_keepalive_time', 0, 7200);
  const cnt = sysctl('/proc/sys/net/ipv4/tcp_keepalive_probes', 0, 9);
  const intvl = sysctl('/proc/sys/net/ipv4/tcp_keepalive_intvl', 0, 75);
  for (const [name, s] of Object.entries(o)) {
    t.deepEqual(s.getoption('linger'), [{ on: false, timeout: 0 }], name);
    if (portable) {
      // Portable item 6: node:net cannot read these.
      for (const opt of [...INTEGERS, 'recv-buffer-size', 'send-buffer-size']) t.deepEqual(s.getoption(opt), UNSUPPORTED, `${name} ${opt}`);
      continue;
    }
    t.deepEqual(s.getoption('tcp-keepidle'), [idle], name);
    t.deepEqual(s.getoption('tcp-keepcnt'), [cnt], name);
    t.deepEqual(s.getoption('tcp-keepintvl'), [intvl], name);
    const [rcv] = s.getoption('recv-buffer-size');
    const [snd] = s.getoption('send-buffer-size');
    t.true(typeof rcv === 'number' && rcv > 0, name);
    t.true(typeof snd === 'number' && snd > 0, name);
  }
  if (portable) return;
  // An unconnected socket starts with tcp_rmem/tcp_wmem's default sizes (131072 / 16384 in p08).
  t.deepEqual(o.master4.getoption('recv-buffer-size'), [sysctl('/proc/sys/net/ipv4/tcp_rmem', 1, 131072)]);
  t.deepEqual(o.master4.getoption('send-buffer-size'), [sysctl('/proc/sys/net/ipv4/tcp_wmem', 1, 16384)]);
});

test.serial("getoption('error') gives nil (no values) when there is no pending error", (t) => {
  const o = objects(t);
  for (const [name, s] of Object.entries(o)) t.deepEqual(s.getoption('error'), [], name);
});

test.serial("getoption('error') reports a failed non-blocking connect once: 'connection refused', then nil", (t) => {
  const d = own(t, socket.tcp4());
  d.bind('127.0.0.1', 0);
  const port = portOf(t, d);
  d.close();
  const m = own(t, socket.tcp());
  m.settimeout(0);
  t.deepEqual(m.connect('127.0.0.1', port), [null, 'timeout']);
  t.deepEqual(socket.select(null, [m], 5), [[], [m]]);
  t.deepEqual(m.getoption('error'), ['connection refused']);
  t.deepEqual(m.getoption('error'), []);
});

for (const name of BOOLEANS) {
  nativeOnlySerial(`${name}: set true / false, read back from the kernel`, (t) => {
    const o = objects(t);
    for (const s of [o.client, o.master4]) {
      const other = view(t, s);
      t.deepEqual(s.setoption(name, true), [1]);
      t.deepEqual(s.getoption(name), [true]);
      t.deepEqual(other.getoption(name), [true], 'seen through another object on the same socket');
      t.deepEqual(s.setoption(name, false), [1]);
      t.deepEqual(s.getoption(name), [false]);
      t.deepEqual(other.getoption(name), [false], 'seen through another object on the same socket');
      t.deepEqual(other.setoption(name, true), [1]);
      t.deepEqual(s.getoption(name), [true], 'set through another object on the same socket');
    }
  });
}

for (const name of INTEGERS) {
  nativeOnlySerial(`${name}: set 60 reads 60; '40' -> 40; 12.9 -> 12; 'abc' and nothing are 0, refused`, (t) => {
    const { client } = objects(t);
    const other = view(t, client);
    t.deepEqual(client.setoption(name, 60), [1]);
    t.deepEqual(client.getoption(name), [60]);
    t.deepEqual(other.getoption(name), [60]);
    t.deepEqual(client.setoption(name, '40'), [1]);
    t.deepEqual(client.getoption(name), [40]);
    t.deepEqual(client.setoption(name, 12.9), [1]);
    t.deepEqual(client.getoption(name), [12]);
    t.deepEqual(client.setoption(name, 'abc'), [null, 'setsockopt failed']);
    t.deepEqual(loose(client).setoption(name), [null, 'setsockopt failed']);
    t.deepEqual(client.setoption(name, 0), [null, 'setsockopt failed']);
    t.deepEqual(client.setoption(name, -5), [null, 'setsockopt failed']);
    t.deepEqual(client.getoption(name), [12], 'refused values leave the setting alone');
  });
}

nativeOnlySerial('linger: tables in and out, the timeout truncated, and the kernel keeping the old time when off', (t) => {
  const { client } = objects(t);
  const other = view(t, client);
  t.deepEqual(client.setoption('linger', { on: true, timeout: 5 }), [1]);
  t.deepEqual(client.getoption('linger'), [{ on: true, timeout: 5 }]);
  t.deepEqual(other.getoption('linger'), [{ on: true, timeout: 5 }]);
  t.deepEqual(client.setoption('linger', { on: false, timeout: 0 }), [1]);
  // Linux keeps the previous linger time when lingering is switched off (observed, p08 #136).
  t.deepEqual(client.getoption('linger'), [{ on: false, timeout: 5 }]);
  t.deepEqual(client.setoption('linger', { on: true, timeout: 2.7 }), [1]);
  t.deepEqual(client.getoption('linger'), [{ on: true, timeout: 2 }]);
  t.deepEqual(loose(client).setoption('linger', { on: true, timeout: '3' }), [1]);
  t.deepEqual(client.getoption('linger'), [{ on: true, timeout: 3 }]);
});

test.serial("a server's keepalive and tcp-nodelay are inherited by the connections it accepts", (t) => {
  // The kernel copies a listener's options to the sockets it accepts (lua5.4 + LuaSocket 3.1.0: true, true).
  const server = own(t, socket.bind('127.0.0.1', 0));
  t.deepEqual(server.setoption('keepalive', true), [1]);
  t.deepEqual(server.setoption('tcp-nodelay', true), [1]);
  const client = own(t, socket.connect('127.0.0.1', portOf(t, server)));
  server.settimeout(5);
  const accepted = own(t, server.accept());
  t.deepEqual(accepted.getoption('keepalive'), [true]);
  t.deepEqual(accepted.getoption('tcp-nodelay'), [true]);
  t.deepEqual(client.getoption('keepalive'), [false], 'the client is not affected');
});

test.serial('linger {on = true, timeout = 0} is real: close resets the connection instead of a FIN', (t) => {
  // Control: after a plain close (FIN) the other side's first send still succeeds (p13 #6).
  {
    const { client, accepted } = objects(t);
    accepted.settimeout(5);
    t.deepEqual(client.close(), [1]);
    t.deepEqual(accepted.receive(), [null, 'closed', '']);
    t.deepEqual(accepted.send('x'), [1]);
  }
  // With linger 0 the close sends a reset, after which sending fails at once.
  {
    const { client, accepted } = objects(t);
    accepted.settimeout(5);
    t.deepEqual(client.setoption('linger', { on: true, timeout: 0 }), [1]);
    t.deepEqual(client.close(), [1]);
    t.deepEqual(accepted.receive(), [null, 'closed', '']);
    t.deepEqual(accepted.send('x'), [null, 'closed', 0]);
  }
});

nativeOnlySerial('reuseport is real: two listeners with it share a port; a third without it cannot bind', (t) => {
  const one = own(t, socket.tcp4());
  t.deepEqual(one.setoption('reuseport', true), [1]);
  t.deepEqual(one.bind('127.0.0.1', 0), [1]);
  t.deepEqual(one.listen(), [1]);
  const port = portOf(t, one);
  const two = own(t, socket.tcp4());
  t.deepEqual(two.setoption('reuseport', true), [1]);
  t.deepEqual(two.bind('127.0.0.1', port), [1]);
  t.deepEqual(two.listen(), [1]);
  const three = own(t, socket.tcp4());
  t.deepEqual(three.bind('127.0.0.1', port), [null, 'address already in use']);
});

nativeOnlySerial('recv-buffer-size / send-buffer-size: set 65536, read back between 65536 and 262144', (t) => {
  const o = objects(t);
  for (const s of [o.client, o.master4]) {
    for (const name of ['recv-buffer-size', 'send-buffer-size']) {
      t.deepEqual(s.setoption(name, 65536), [1], name);
      const [v] = s.getoption(name);
      t.true(typeof v === 'number' && v >= 65536 && v <= 262144, `${name} = ${String(v)}`);
      t.deepEqual(view(t, s).getoption(name), [v as number], name);
    }
  }
});

test.serial("ipv6-v6only: set only; getoption raises; an IPv4 socket refuses it with 'setsockopt failed'", (t) => {
  const o = objects(t);
  t.deepEqual(o.master6.setoption('ipv6-v6only', false), [1]);
  t.deepEqual(o.master6.setoption('ipv6-v6only', true), [1]);
  t.deepEqual(o.client.setoption('ipv6-v6only', true), [null, 'setsockopt failed']);
  t.deepEqual(o.master4.setoption('ipv6-v6only', false), [null, 'setsockopt failed']);
  for (const s of Object.values(o)) {
    throwsLua(t, () => s.getoption('ipv6-v6only'), "bad argument #1 to 'getoption' (unsupported option `ipv6-v6only')");
  }
  throwsLua(t, () => loose(o.master6).setoption('ipv6-v6only', 1), "bad argument #2 to 'setoption' (boolean expected, got number)");
});

test.serial("ipv6-v6only is real: off before listen, an IPv4 client reaches a '::' server; on (the default), it is refused", (t) => {
  // lua5.4 + LuaSocket 3.1.0: the same two outcomes (a tcp{client}, then 'connection refused').
  const dual = own(t, socket.tcp6());
  t.deepEqual(dual.setoption('ipv6-v6only', false), [1]);
  t.deepEqual(dual.bind('::', 0), [1]);
  t.deepEqual(dual.listen(), [1]);
  const c = own(t, socket.connect('127.0.0.1', portOf(t, dual)));
  dual.settimeout(5);
  const a = own(t, dual.accept());
  t.deepEqual(a.getpeername(), ['::ffff:127.0.0.1', c.getsockname()[1], 'inet6']);
  const only = own(t, socket.tcp6());
  t.deepEqual(only.bind('::', 0), [1]);
  t.deepEqual(only.listen(), [1]);
  t.deepEqual(socket.connect('127.0.0.1', portOf(t, only)), [null, 'connection refused']);
});

test.serial('tcp-defer-accept, tcp-fastopen, tcp-fastopen-connect: set only', (t) => {
  const o = objects(t);
  // Portable item 6: node:net cannot apply these.
  const applied = portable ? UNSUPPORTED : [1];
  t.deepEqual(o.server.setoption('tcp-defer-accept', 5), applied);
  t.deepEqual(o.server.setoption('tcp-fastopen', 5), applied);
  t.deepEqual(o.master4.setoption('tcp-fastopen-connect', 1), applied);
  for (const name of ['tcp-defer-accept', 'tcp-fastopen', 'tcp-fastopen-connect']) {
    for (const s of [o.server, o.client, o.master4]) {
      throwsLua(t, () => s.getoption(name), `bad argument #1 to 'getoption' (unsupported option \`${name}')`);
    }
  }
});

test.serial('boolean options want a real boolean', (t) => {
  const { client } = objects(t);
  const c = loose(client);
  for (const name of BOOLEANS) {
    throwsLua(t, () => c.setoption(name, 1), "bad argument #2 to 'setoption' (boolean expected, got number)");
    throwsLua(t, () => c.setoption(name, 'yes'), "bad argument #2 to 'setoption' (boolean expected, got string)");
    throwsLua(t, () => c.setoption(name), "bad argument #2 to 'setoption' (boolean expected, got no value)");
    throwsLua(t, () => c.setoption(name, null), "bad argument #2 to 'setoption' (boolean expected, got nil)");
  }
});

test.serial('linger wants a table with a boolean on and a numeric timeout', (t) => {
  const { client } = objects(t);
  const c = loose(client);
  throwsLua(t, () => c.setoption('linger', true), "bad argument #2 to 'setoption' (table expected, got boolean)");
  throwsLua(t, () => c.setoption('linger'), "bad argument #2 to 'setoption' (table expected, got no value)");
  throwsLua(t, () => c.setoption('linger', { on: 1, timeout: 5 }), "bad argument #2 to 'setoption' (boolean 'on' field expected)");
  throwsLua(t, () => c.setoption('linger', { on: true }), "bad argument #2 to 'setoption' (number 'timeout' field expected)");
  throwsLua(
    t,
    () => c.setoption('linger', { on: true, timeout: 'abc' }),
    "bad argument #2 to 'setoption' (number 'timeout' field expected)",
  );
  t.deepEqual(client.getoption('linger'), [{ on: false, timeout: 0 }], 'nothing was applied');
});

test.serial('unknown names raise "unsupported option `NAME\'", names cut to 35 characters', (t) => {
  const { client } = objects(t);
  const c = loose(client);
  throwsLua(t, () => c.setoption('nosuch', 1), "bad argument #1 to 'setoption' (unsupported option `nosuch')");
  throwsLua(t, () => c.getoption('nosuch'), "bad argument #1 to 'getoption' (unsupported option `nosuch')");
  throwsLua(t, () => c.setoption('error', 1), "bad argument #1 to 'setoption' (unsupported option `error')");
  for (const name of ['bindtodevice', 'dontroute', 'broadcast', 'ip-multicast-loop']) {
    throwsLua(t, () => c.getoption(name), `bad argument #1 to 'getoption' (unsupported option \`${name}')`);
    throwsLua(t, () => c.setoption(name, true), `bad argument #1 to 'setoption' (unsupported option \`${name}')`);
  }
  const long = 'abcdefghij'.repeat(5);
  throwsLua(t, () => c.getoption(long), `bad argument #1 to 'getoption' (unsupported option \`${long.slice(0, 35)}')`);
  throwsLua(t, () => c.setoption(long, true), `bad argument #1 to 'setoption' (unsupported option \`${long.slice(0, 35)}')`);
  throwsLua(t, () => c.getoption(5), "bad argument #1 to 'getoption' (unsupported option `5')");
  throwsLua(t, () => c.getoption(), "bad argument #1 to 'getoption' (string expected, got no value)");
  throwsLua(t, () => c.setoption(), "bad argument #1 to 'setoption' (string expected, got no value)");
});

test.serial('on tcp() without a socket and on closed objects: getsockopt failed / setsockopt failed', (t) => {
  const u = own(t, socket.tcp());
  const o = objects(t);
  o.client.close();
  o.server.close();
  for (const s of [u, o.client, o.server]) {
    for (const name of GETTABLE) t.deepEqual(s.getoption(name), [null, 'getsockopt failed'], `${s.class} ${name}`);
    for (const name of BOOLEANS) t.deepEqual(s.setoption(name, true), [null, 'setsockopt failed'], `${s.class} ${name}`);
    for (const name of [...INTEGERS, 'recv-buffer-size', 'send-buffer-size', 'tcp-defer-accept', 'tcp-fastopen', 'tcp-fastopen-connect']) {
      t.deepEqual(s.setoption(name, 5), [null, 'setsockopt failed'], `${s.class} ${name}`);
    }
    t.deepEqual(s.setoption('linger', { on: true, timeout: 1 }), [null, 'setsockopt failed']);
    t.deepEqual(s.setoption('ipv6-v6only', true), [null, 'setsockopt failed']);
  }
  // Values are still checked first (checked with lua5.4: tcp():setoption('keepalive', 1) raises).
  throwsLua(t, () => loose(u).setoption('keepalive', 1), "bad argument #2 to 'setoption' (boolean expected, got number)");
  throwsLua(t, () => loose(u).setoption('linger', true), "bad argument #2 to 'setoption' (table expected, got boolean)");
  // Options set before a tcp() has a socket are not remembered for it.
  t.deepEqual(u.bind('127.0.0.1', 0), [1]);
  t.deepEqual(u.getoption('keepalive'), [false]);
});

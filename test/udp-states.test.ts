/**
 * UDP objects: constructors, classes, which method each state accepts, objects without a
 * socket (udp() before its first use, closed ones), names and families (LuaSocket 3.1.0,
 * test/interop/probes/FINDINGS.md section 1).
 */
import test from 'ava';
import * as socket from '../src/index.js';
import { loose, throwsLua } from './helpers/client.js';
import { bound, keep, portable, portOf, udp4 } from './helpers/dgram.js';

test('socket.udp(): unconnected, no OS socket until first used, family inet4, arguments ignored', (t) => {
  const n = keep(t, (socket.udp as (...a: unknown[]) => [socket.UdpSocket])('ignored'));
  t.is(n.class, 'udp{unconnected}');
  t.regex(String(n), /^udp\{unconnected\}: 0x[0-9a-f]+$/);
  t.deepEqual(n.getfd(), [-1]);
  t.deepEqual(n.getfamily(), ['inet4']);
  t.deepEqual(n.dirty(), [false]);
  t.deepEqual(n.gettimeout(), [-1, -1]);
  t.deepEqual(n.getsockname(), [null, 'Bad file descriptor']);
  t.deepEqual(n.getoption('broadcast'), [null, 'getsockopt failed']);
  t.deepEqual(n.setoption('broadcast', true), [null, 'setsockopt failed']);
  n.settimeout(0);
  t.deepEqual(n.receive(), ['']);
  t.deepEqual(n.receivefrom(), [null, 'ai_family not supported']);
  t.deepEqual(n.setpeername('*'), [1]);
  t.is(n.class, 'udp{unconnected}');
  t.deepEqual(n.getfd(), [-1]);
});

test('udp4/udp6 have a socket; udp6 is IPv6-only; getsockname of an unbound socket is the wildcard, port 0', (t) => {
  const u = udp4(t);
  if (portable) t.deepEqual(u.getfd(), [-1], 'node:dgram has no OS socket before it binds');
  else t.true(u.getfd()[0] >= 0);
  t.deepEqual(u.getsockname(), ['0.0.0.0', 0, 'inet']);
  const s = keep(t, socket.udp6());
  t.deepEqual(s.getfamily(), ['inet6']);
  t.deepEqual(s.getsockname(), ['::', 0, 'inet6']);
  t.deepEqual(s.getoption('ipv6-v6only'), [true]);
});

test('which methods each state accepts', (t) => {
  const u = udp4(t);
  for (const m of ['send', 'getpeername']) {
    throwsLua(t, () => loose(u, m)('x'), `calling '${m}' on bad self (udp{connected} expected)`);
  }
  const { port } = bound(t);
  t.deepEqual(u.setpeername('127.0.0.1', port), [1]);
  t.is(u.class, 'udp{connected}');
  t.regex(String(u), /^udp\{connected\}: 0x/);
  for (const m of ['sendto', 'receivefrom', 'setsockname']) {
    throwsLua(t, () => loose(u, m)('x', '127.0.0.1', 1), `calling '${m}' on bad self (udp{unconnected} expected)`);
  }
  t.deepEqual(u.getpeername(), ['127.0.0.1', port, 'inet']);
  // Connected again: re-targets.
  t.deepEqual(u.setpeername('127.0.0.1', port), [1]);
  t.deepEqual(u.setpeername('*', 'ignored'), [1]);
  t.is(u.class, 'udp{unconnected}');
  throwsLua(t, () => u.getpeername(), "calling 'getpeername' on bad self (udp{connected} expected)");
});

test('setsockname: bound once; a second bind fails with the kernel\'s EINVAL; "*" is the wildcard', (t) => {
  const { u } = bound(t);
  t.deepEqual(u.setsockname('127.0.0.1', 0), [null, 'Invalid argument']);
  const d = keep(t, socket.udp());
  t.deepEqual(d.setsockname('*', 0), [1]);
  t.deepEqual(d.getfamily(), ['inet4']);
  const n = d.getsockname();
  t.is(n[0], '0.0.0.0');
  t.true((n[1] as number) > 0);
});

test('setsockname / setpeername errors keep the socket and the state', (t) => {
  const u = udp4(t);
  throwsLua(t, () => loose(u, 'setsockname')(), "bad argument #1 to 'setsockname' (string expected, got no value)");
  throwsLua(t, () => loose(u, 'setsockname')('127.0.0.1'), "bad argument #2 to 'setsockname' (string expected, got no value)");
  t.deepEqual(u.setsockname('127.0.0.1', 'http'), [null, 'service not supported for socket type']);
  t.deepEqual(u.setsockname('::1', 0), [null, 'Address family for hostname not supported']);
  t.deepEqual(u.setsockname('10.255.255.1', 0), [null, 'Cannot assign requested address']);
  const { port } = bound(t);
  t.deepEqual(u.setsockname('127.0.0.1', port), [null, 'address already in use']);
  t.deepEqual(u.setsockname('127.0.0.1', 0), [1], 'the socket was kept');
  const c = udp4(t);
  t.deepEqual(c.setpeername('nonexistent.invalid', 1), [null, 'host or service not provided, or not known']);
  t.deepEqual(c.setpeername('127.0.0.1', 'abc'), [null, 'service not supported for socket type']);
  t.deepEqual(c.setpeername('255.255.255.255', 9), [null, 'permission denied']);
  t.is(c.class, 'udp{unconnected}');
});

test('setpeername resolves names; port 0 connects to nothing (native)', (t) => {
  const { port } = bound(t);
  const c = udp4(t);
  t.deepEqual(c.setpeername('localhost', port), [1]);
  t.deepEqual(c.getpeername(), ['127.0.0.1', port, 'inet']);
  t.deepEqual(c.setpeername('::ffff:127.0.0.1', port), [1], 'glibc maps a v4-mapped literal to IPv4');
  t.deepEqual(c.getpeername(), ['127.0.0.1', port, 'inet']);
  if (portable) {
    t.deepEqual(c.setpeername('127.0.0.1', 0), [null, 'not supported on this platform']);
  } else {
    t.deepEqual(c.setpeername('127.0.0.1', 0), [1]);
    t.deepEqual(c.getpeername(), [null, 'Transport endpoint is not connected']);
  }
});

test('udp(): the first address used picks the family; a failed sendto makes no socket', (t) => {
  const { port: port6 } = bound(t, 5, '::1');
  const a = keep(t, socket.udp());
  t.deepEqual(a.sendto('x', 'localhost', port6), [null, 'Name or service not known']);
  t.deepEqual(a.getfd(), [-1]);
  t.deepEqual(a.sendto('six', '::1', port6), [3]);
  t.deepEqual(a.getfamily(), ['inet6']);
  t.deepEqual(a.getoption('ipv6-v6only'), [true]);
  t.deepEqual(a.sendto('x', '127.0.0.1', port6), [null, 'Address family for hostname not supported']);
  const b = keep(t, socket.udp());
  t.deepEqual(b.setpeername('localhost', port6), [1], 'localhost is 127.0.0.1 first');
  t.deepEqual(b.getfamily(), ['inet4']);
});

test('closed objects: "" and "refused" (IO_CLOSED); setsockname / setpeername give them a new socket', (t) => {
  const { port } = bound(t);
  const b = udp4(t);
  t.deepEqual(b.setpeername('127.0.0.1', port), [1]);
  t.deepEqual(b.close(), [1]);
  t.is(b.class, 'udp{connected}');
  t.deepEqual(b.getfd(), [-1]);
  t.deepEqual(b.send('x'), [null, 'refused']);
  t.deepEqual(b.receive(), ['']);
  t.deepEqual(b.getpeername(), [null, 'Bad file descriptor']);
  t.deepEqual(b.getoption('error'), [null, 'getsockopt failed']);
  t.deepEqual(b.close(), [1]);
  t.deepEqual(b.setpeername('127.0.0.1', port), [1]);
  t.deepEqual(b.getpeername(), ['127.0.0.1', port, 'inet']);
  t.deepEqual(b.setpeername('*'), [1]);
  b.close();
  t.deepEqual(b.sendto('x', '127.0.0.1', port), [null, 'refused']);
  t.deepEqual(b.receivefrom(), [null, 'ai_family not supported']);
  t.deepEqual(b.setsockname('127.0.0.1', 0), [1]);
  t.true(portOf(t, b) > 0);
});

test("setpeername('*') drops what bind did not lock (Linux connect(AF_UNSPEC))", (t) => {
  const { port } = bound(t);
  const u = udp4(t);
  t.deepEqual(u.sendto('x', '127.0.0.1', port), [1]);
  t.true(portOf(t, u) > 0, 'bound implicitly by sendto');
  t.deepEqual(u.setpeername('127.0.0.1', port), [1]);
  t.deepEqual(u.setpeername('*'), [1]);
  t.deepEqual(u.getsockname(), ['0.0.0.0', 0, 'inet']);
  const b = udp4(t);
  t.deepEqual(b.setsockname('127.0.0.1', 0), [1]);
  t.deepEqual(b.setpeername('127.0.0.1', port), [1]);
  t.deepEqual(b.setpeername('*'), [1]);
  t.deepEqual(b.getsockname(), ['127.0.0.1', 0, 'inet']);
});

test('setfd / getfd / dirty', (t) => {
  const x = keep(t, socket.udp());
  t.deepEqual(x.setfd(7), []);
  t.deepEqual(x.getfd(), [7]);
  t.deepEqual(x.setfd(-1), []);
  t.deepEqual(x.getfd(), [-1]);
  throwsLua(t, () => loose(x, 'setfd')(), "bad argument #1 to 'setfd' (number expected, got no value)");
  t.deepEqual(x.dirty(), [false]);
});

test('settimeout / gettimeout: modes by first letter, values kept as given', (t) => {
  const u = udp4(t);
  t.deepEqual(u.settimeout(0.2), [1]);
  t.deepEqual(u.settimeout(1, 't'), [1]);
  t.deepEqual(u.gettimeout(), [0.2, 1]);
  t.deepEqual(u.settimeout(null), [1]);
  t.deepEqual(u.gettimeout(), [-1, 1]);
  t.deepEqual(u.settimeout(-5), [1]);
  t.deepEqual(u.settimeout(2, 'r'), [1]);
  t.deepEqual(u.settimeout('1.5', 'banana'), [1]);
  t.deepEqual(u.gettimeout(), [1.5, 2]);
  throwsLua(t, () => u.settimeout(1, 'q'), "bad argument #2 to 'settimeout' (invalid timeout mode)");
});

test('socket._DATAGRAMSIZE and the default export', (t) => {
  t.is(socket._DATAGRAMSIZE, 8192);
  t.is(socket.default.udp, socket.udp);
  t.is(socket.default.udp4, socket.udp4);
  t.is(socket.default.udp6, socket.udp6);
  t.is(socket.default.unix, socket.unix);
});

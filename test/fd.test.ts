/**
 * getfd / setfd (spec 6.16) and LuaSocket's active_close check (spec 8): descriptors are
 * real OS descriptors of this process. /proc/self/fd/<n> must be a socket, and that socket's
 * inode must be the one /proc/net/tcp lists for the object's address. Expected values:
 * LuaSocket 3.1.0, spec 11 p07 (#125-#133); the setfd(-1) + close sequence was re-checked
 * with lua5.4 on loopback.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import * as socket from '../src/index.js';
import { own, portOf } from './helpers/client.js';
import { nativeOnlySerial, portable, portableOnlySerial } from './helpers/engine.js';

type Sock = socket.TcpSocket;
type Loose = Record<string, (...a: unknown[]) => unknown>;
const loose = (o: object): Loose => o as unknown as Loose;

/** What /proc/self/fd/<fd> points to, or null when the descriptor is not open. */
function link(fd: number): string | null {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}

/** The socket inode behind a descriptor (asserting it is a socket). */
function inodeOfFd(t: ExecutionContext, fd: number): number {
  const l = link(fd);
  t.regex(l ?? '(closed)', /^socket:\[\d+\]$/, `descriptor ${fd}`);
  return Number(/\d+/.exec(l ?? '')?.[0] ?? -1);
}

/** Inode of the IPv4 TCP socket with this local port and state (hex, '0A' = LISTEN, '01' = ESTABLISHED). */
function inodeOfPort(port: number, state: string): number[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const rows = readFileSync('/proc/self/net/tcp', 'utf8').trim().split('\n').slice(1);
  const found: number[] = [];
  for (const row of rows) {
    const f = row.trim().split(/\s+/);
    if (f[1]?.endsWith(`:${hexPort}`) && f[3] === state) found.push(Number(f[9]));
  }
  return found;
}

/** A socket.bind server, a connected client and the accepted end. */
function trio(t: ExecutionContext): { srv: Sock; c: Sock; a: Sock; port: number } {
  const srv = own(t, socket.bind('127.0.0.1', 0));
  const port = portOf(t, srv);
  const c = own(t, socket.connect('127.0.0.1', port));
  srv.settimeout(5);
  const a = own(t, srv.accept());
  return { srv, c, a, port };
}

/** Closes a raw descriptor through a throwaway object that adopts it. */
function closeRaw(fd: number): void {
  const [h] = socket.tcp();
  h?.setfd(fd);
  h?.close();
}

test.serial('getfd is the real OS descriptor of each object (a socket in /proc/self/fd)', (t) => {
  const { srv, c, a, port } = trio(t);
  const m = own(t, socket.tcp4());
  // Portable item 1: a fresh master has no OS socket there, so it is left out.
  if (portable) t.deepEqual(m.getfd(), [-1]);
  const objects = portable ? [srv, c, a] : [m, srv, c, a];
  const fds = objects.map((s) => s.getfd()[0]);
  for (const fd of fds) {
    t.true(Number.isInteger(fd) && fd >= 0);
    inodeOfFd(t, fd);
  }
  t.is(new Set(fds).size, objects.length, 'distinct descriptors');
  // The descriptors are the sockets /proc/net/tcp shows at those addresses.
  t.deepEqual(inodeOfPort(port, '0A'), [inodeOfFd(t, srv.getfd()[0])]);
  t.deepEqual(inodeOfPort(portOf(t, c), '01'), [inodeOfFd(t, c.getfd()[0])]);
  t.true(inodeOfPort(port, '01').includes(inodeOfFd(t, a.getfd()[0])));
});

test.serial('active_close: getfd is -1 after close (and the descriptor is gone); a fresh tcp() has -1', (t) => {
  const m = own(t, socket.tcp4());
  if (portable) {
    // Portable item 1: no OS socket before bind; a bound socket has one.
    t.deepEqual(m.getfd(), [-1]);
    t.deepEqual(m.bind('127.0.0.1', 0), [1]);
  }
  const [fd] = m.getfd();
  t.not(fd, -1);
  const before = link(fd);
  t.regex(before ?? '', /^socket:\[\d+\]$/);
  t.deepEqual(m.close(), [1]);
  t.deepEqual(m.getfd(), [-1]);
  t.not(link(fd), before, 'the descriptor was closed');
  const u = own(t, socket.tcp());
  t.deepEqual(u.getfd(), [-1]);
  const { c } = trio(t);
  const [cfd] = c.getfd();
  const clink = link(cfd);
  c.close();
  t.deepEqual(c.getfd(), [-1]);
  t.not(link(cfd), clink);
});

nativeOnlySerial('setfd returns nothing and replaces the stored descriptor without closing the old one', (t) => {
  const { c } = trio(t);
  const m = own(t, socket.tcp4());
  const [old] = m.getfd();
  const oldLink = link(old);
  const [cfd] = c.getfd();
  t.deepEqual(m.setfd(cfd), []);
  t.teardown(() => {
    m.setfd(-1);
    closeRaw(old);
  });
  t.deepEqual(m.getfd(), [cfd]);
  t.is(link(old), oldLink, 'the old descriptor is still open');
  t.is(m.class, 'tcp{master}');
  // The master now answers for the client's socket (p07 #132)...
  t.deepEqual(m.getpeername(), c.getpeername());
  t.deepEqual(m.getsockname(), c.getsockname());
  // ...and the client still owns it too.
  t.deepEqual(c.getfd(), [cfd]);
  t.deepEqual(c.send('x'), [1]);
});

test.serial('setfd does not change the class, the family or the timeouts', (t) => {
  const { c, port } = trio(t);
  const m6 = own(t, socket.tcp6());
  const [old] = m6.getfd();
  m6.settimeout(3);
  t.deepEqual(m6.setfd(c.getfd()[0]), []);
  t.teardown(() => {
    m6.setfd(-1);
    closeRaw(old);
  });
  t.is(m6.class, 'tcp{master}');
  t.deepEqual(m6.getfamily(), ['inet6']);
  t.deepEqual(m6.gettimeout(), [3, -1]);
  // Portable item 2: the master keeps acting on its own (not yet connected) socket.
  if (portable) t.deepEqual(m6.getpeername(), [null, 'Transport endpoint is not connected']);
  else t.deepEqual(m6.getpeername().slice(0, 2), ['127.0.0.1', port]);
});

nativeOnlySerial("after setfd, names report the object's recorded family, not the descriptor's (spec 6.9)", (t) => {
  const { c, port } = trio(t);
  const m6 = own(t, socket.tcp6());
  const [old] = m6.getfd();
  m6.setfd(c.getfd()[0]);
  t.teardown(() => {
    m6.setfd(-1);
    closeRaw(old);
  });
  // lua5.4 + LuaSocket 3.1.0: a tcp6 master holding an IPv4 client's descriptor answers
  // getpeername() with "127.0.0.1", port, "inet6".
  t.deepEqual(m6.getpeername(), ['127.0.0.1', port, 'inet6']);
});

nativeOnlySerial('setfd(-1) detaches: close() then leaves the old descriptor open, and the connection with it', (t) => {
  const { c, a } = trio(t);
  const [fd] = c.getfd();
  const before = link(fd);
  t.deepEqual(c.setfd(-1), []);
  t.deepEqual(c.getfd(), [-1]);
  t.deepEqual(c.close(), [1]);
  t.is(link(fd), before, 'close() did not close the detached descriptor');
  // The peer sees no end of stream: the connection is still open.
  a.settimeout(0.2);
  t.deepEqual(a.receive(), [null, 'timeout', '']);
  // Adopting the descriptor in another object and closing that closes the socket for real.
  const h = own(t, socket.tcp());
  t.deepEqual(h.setfd(fd), []);
  t.deepEqual(h.getpeername()[0], '127.0.0.1');
  t.deepEqual(h.close(), [1]);
  t.not(link(fd), before, 'the adopted descriptor was closed');
  a.settimeout(5);
  t.deepEqual(a.receive(), [null, 'closed', '']);
});

test.serial('setfd argument errors', (t) => {
  const m = own(t, socket.tcp4());
  // Portable item 1: give the master an OS socket, so "unchanged" means something.
  if (portable) t.deepEqual(m.bind('127.0.0.1', 0), [1]);
  t.throws(() => loose(m).setfd('x'), { instanceOf: socket.LuaError, message: "bad argument #1 to 'setfd' (number expected, got string)" });
  t.throws(() => loose(m).setfd(), { instanceOf: socket.LuaError, message: "bad argument #1 to 'setfd' (number expected, got no value)" });
  t.true((m.getfd()[0] as number) >= 0, 'the descriptor is unchanged');
});

// Portable item 2: setfd records the number; the object keeps acting on the worker's socket.
portableOnlySerial('setfd records the number, and the object keeps acting on its own socket (even after setfd(-1))', (t) => {
  const { c, a } = trio(t);
  const second = trio(t);
  const [otherFd] = second.c.getfd();
  t.deepEqual(c.setfd(otherFd), []);
  t.deepEqual(c.getfd(), [otherFd]);
  t.deepEqual(c.getpeername(), a.getsockname(), 'still its own connection');
  t.deepEqual(c.send('x'), [1]);
  a.settimeout(5);
  t.deepEqual(a.receive(1), ['x'], 'the bytes reach its own peer');
  t.deepEqual(c.setfd(-1), []);
  t.deepEqual(c.getfd(), [-1]);
  t.deepEqual(c.send('y'), [1]);
  t.deepEqual(a.receive(1), ['y']);
  t.deepEqual(c.close(), [1]);
  t.deepEqual(a.receive(), [null, 'closed', ''], 'close() closed its own connection');
  // The other connection was not touched.
  t.deepEqual(second.c.send('z'), [1]);
  second.a.settimeout(5);
  t.deepEqual(second.a.receive(1), ['z']);
  // A fresh master given a connected descriptor is still an unconnected master.
  const m = own(t, socket.tcp4());
  t.deepEqual(m.setfd(otherFd), []);
  t.deepEqual(m.getfd(), [otherFd]);
  t.deepEqual(m.getpeername(), [null, 'Transport endpoint is not connected']);
});

portableOnlySerial('setfd on a tcp() without a socket: the object reports the number and answers as a closed one', (t) => {
  const { c } = trio(t);
  const [cfd] = c.getfd();
  const u = own(t, socket.tcp());
  const closed = own(t, socket.tcp());
  closed.close();
  t.deepEqual(u.setfd(cfd), []);
  t.deepEqual(u.getfd(), [cfd]);
  t.deepEqual(u.getpeername(), closed.getpeername());
  t.deepEqual(u.getsockname(), closed.getsockname());
  t.deepEqual(u.getoption('keepalive'), closed.getoption('keepalive'));
  t.deepEqual(u.setoption('keepalive', true), closed.setoption('keepalive', true));
  t.deepEqual(u.listen(), closed.listen());
  // The connection whose number was given is untouched.
  t.deepEqual(c.getfd(), [cfd]);
  t.deepEqual(c.send('x'), [1]);
});

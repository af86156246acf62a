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
  const fds = [m, srv, c, a].map((s) => s.getfd()[0]);
  for (const fd of fds) {
    t.true(Number.isInteger(fd) && fd >= 0);
    inodeOfFd(t, fd);
  }
  t.is(new Set(fds).size, 4, 'four distinct descriptors');
  // The descriptors are the sockets /proc/net/tcp shows at those addresses.
  t.deepEqual(inodeOfPort(port, '0A'), [inodeOfFd(t, srv.getfd()[0])]);
  t.deepEqual(inodeOfPort(portOf(t, c), '01'), [inodeOfFd(t, c.getfd()[0])]);
  t.true(inodeOfPort(port, '01').includes(inodeOfFd(t, a.getfd()[0])));
});

test.serial('active_close: getfd is -1 after close (and the descriptor is gone); a fresh tcp() has -1', (t) => {
  const m = own(t, socket.tcp4());
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

test.serial('setfd returns nothing and replaces the stored descriptor without closing the old one', (t) => {
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
  t.deepEqual(m6.getpeername().slice(0, 2), ['127.0.0.1', port]);
});

test.serial("after setfd, names report the object's recorded family, not the descriptor's (spec 6.9)", (t) => {
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

test.serial('setfd(-1) detaches: close() then leaves the old descriptor open, and the connection with it', (t) => {
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
  t.throws(() => loose(m).setfd('x'), { instanceOf: socket.LuaError, message: "bad argument #1 to 'setfd' (number expected, got string)" });
  t.throws(() => loose(m).setfd(), { instanceOf: socket.LuaError, message: "bad argument #1 to 'setfd' (number expected, got no value)" });
  t.true((m.getfd()[0] as number) >= 0, 'the descriptor is unchanged');
});

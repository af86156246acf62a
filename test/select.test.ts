/**
 * socket.select (spec 7.1) against LuaSocket 3.1.0's observed results (spec 11 p09, p15):
 * result shapes, the dirty rule, ordering (dirty first, then ascending descriptor),
 * duplicates, server and connect readiness, ignored and rejected elements, argument errors.
 * Results are arrays here: [readable, writable] or [[], [], 'timeout']; LuaSocket's
 * `t[obj] = position` is `list.indexOf(obj) + 1`.
 *
 * Readiness comes from real loopback traffic between library sockets; every wait for it is a
 * select with a generous timeout, never a sleep.
 */
import test, { type ExecutionContext } from 'ava';
import * as socket from '../src/index.js';
import { own, portOf } from './helpers/client.js';
import { portable } from './helpers/engine.js';
import { Peer } from './helpers/peer.js';

type Sock = socket.TcpSocket;
type LooseFn = (...a: unknown[]) => unknown;
const select = socket.select as LooseFn;

function fdOf(s: Sock): number {
  return s.getfd()[0];
}

function timed<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const r = fn();
  return [r, performance.now() - t0];
}

/** A connected pair: `c` from socket.connect, `a` accepted by a library server. */
function pair(t: ExecutionContext, srv?: Sock): { c: Sock; a: Sock; srv: Sock } {
  const server = srv ?? own(t, socket.bind('127.0.0.1', 0));
  const c = own(t, socket.connect('127.0.0.1', portOf(t, server)));
  server.settimeout(5);
  const a = own(t, server.accept());
  // Bounded blocking receives: a broken test fails instead of hanging.
  c.settimeout(5);
  a.settimeout(5);
  return { c, a, srv: server };
}

/** Waits (bounded) until `s` is readable at the OS level. */
function awaitReadable(t: ExecutionContext, s: Sock): void {
  const r = socket.select([s], null, 5);
  t.deepEqual(r, [[s], []], 'the data arrived');
}

/** A loopback port with nothing listening on it. */
function deadPort(t: ExecutionContext): number {
  const m = own(t, socket.tcp4());
  m.bind('127.0.0.1', 0);
  const port = portOf(t, m);
  m.close();
  return port;
}

test.serial("nothing ready: exactly [[], [], 'timeout'] after the timeout", (t) => {
  const [r1, ms1] = timed(() => socket.select(null, null, 0.2));
  t.deepEqual(r1, [[], [], 'timeout']);
  t.true(ms1 >= 150 && ms1 < 1500, `took ${ms1} ms`);
  const [r2, ms2] = timed(() => socket.select([], [], 0.2));
  t.deepEqual(r2, [[], [], 'timeout']);
  t.true(ms2 >= 150 && ms2 < 1500, `took ${ms2} ms`);
  const { c } = pair(t);
  const [r3, ms3] = timed(() => socket.select([c], null, 0.2));
  t.deepEqual(r3, [[], [], 'timeout']);
  t.true(ms3 >= 150 && ms3 < 1500, `took ${ms3} ms`);
  const [r4, ms4] = timed(() => socket.select([c], null, 0));
  t.deepEqual(r4, [[], [], 'timeout']);
  t.true(ms4 < 500, `took ${ms4} ms`);
});

test.serial('something ready: exactly two lists, [readable, writable], returned at once', (t) => {
  const { c, a } = pair(t);
  const [w, ms] = timed(() => socket.select(null, [c], 0.2));
  t.deepEqual(w, [[], [c]]);
  t.is(w.length, 2);
  t.is(w[1][0], c);
  t.true(ms < 150, `took ${ms} ms`);
  t.deepEqual(socket.select([c], [c], 0), [[], [c]]);
  t.deepEqual(a.send('x'), [1]);
  awaitReadable(t, c);
  const both = socket.select([c], [c], 1);
  t.deepEqual(both, [[c], [c]]);
  t.is(both[0].indexOf(c) + 1, 1);
  // No timeout, or a negative one, waits forever: here something is ready already.
  t.deepEqual(select([c], null), [[c], []]);
  t.deepEqual(socket.select([c], null, -1), [[c], []]);
  t.deepEqual(c.receive(1), ['x']);
});

test.serial('a dirty object is returned at once even with a long timeout, until its buffer is drained', (t) => {
  const { c, a } = pair(t);
  a.send('one\ntwo\n');
  awaitReadable(t, c);
  t.deepEqual(c.receive(), ['one']);
  t.deepEqual(c.dirty(), [true]);
  const [r, ms] = timed(() => socket.select([c], null, 5));
  t.deepEqual(r, [[c], []]);
  t.true(ms < 1000, `took ${ms} ms`);
  t.deepEqual(socket.select([c], null, 0), [[c], []]);
  t.deepEqual(c.receive(), ['two']);
  t.deepEqual(c.dirty(), [false]);
  const [r2, ms2] = timed(() => socket.select([c], null, 0.1));
  t.deepEqual(r2, [[], [], 'timeout']);
  t.true(ms2 >= 50, `took ${ms2} ms`);
});

test.serial('readable objects come dirty ones first, then by ascending descriptor', (t) => {
  const srv = own(t, socket.bind('127.0.0.1', 0));
  let p = pair(t, srv);
  let q = pair(t, srv);
  if (fdOf(p.c) > fdOf(q.c)) [p, q] = [q, p];
  t.true(fdOf(p.c) < fdOf(q.c));
  // q.c (higher descriptor) is dirty; p.c (lower) only has data in the kernel.
  q.a.send('x\ny\n');
  awaitReadable(t, q.c);
  t.deepEqual(q.c.receive(), ['x']);
  t.deepEqual(q.c.dirty(), [true]);
  p.a.send('z\n');
  awaitReadable(t, p.c);
  t.deepEqual(p.c.dirty(), [false]);
  t.deepEqual(socket.select([p.c, q.c], null, 5), [[q.c, p.c], []]);
  // Not dirty any more: both are kernel-readable, listed by descriptor, not input order.
  t.deepEqual(q.c.receive(), ['y']);
  q.a.send('w\n');
  awaitReadable(t, q.c);
  t.deepEqual(socket.select([q.c, p.c], null, 5), [[p.c, q.c], []]);
  t.deepEqual(socket.select([p.c, q.c], null, 5), [[p.c, q.c], []]);
  // Writable objects too come by ascending descriptor.
  t.deepEqual(socket.select(null, [q.c, p.c], 0), [[], [p.c, q.c]]);
});

test.serial('duplicates: a ready object is listed once, a dirty object once per occurrence', (t) => {
  const { c, a } = pair(t);
  t.deepEqual(socket.select([c, c], [c, c], 0), [[], [c]]);
  a.send('k\n');
  awaitReadable(t, c);
  t.deepEqual(socket.select([c, c], null, 1), [[c], []]);
  a.send('l\nm\n');
  t.deepEqual(c.receive(), ['k']);
  // 'l\nm\n' may still be on its way; read one line once it is there, leaving one buffered.
  t.deepEqual(c.receive(), ['l']);
  t.deepEqual(c.dirty(), [true]);
  const [r, w] = socket.select([c, c], [c, c], 5);
  t.deepEqual(r, [c, c]);
  t.deepEqual(w, [c]);
});

test.serial('a server is readable while a connection is pending', (t) => {
  const srv = own(t, socket.bind('127.0.0.1', 0));
  const [r0, ms] = timed(() => socket.select([srv], null, 0.1));
  t.deepEqual(r0, [[], [], 'timeout']);
  t.true(ms >= 50, `took ${ms} ms`);
  const c = own(t, socket.connect('127.0.0.1', portOf(t, srv)));
  t.deepEqual(socket.select([srv], null, 5), [[srv], []]);
  srv.settimeout(0);
  const a = own(t, srv.accept());
  t.deepEqual(a.getpeername(), c.getsockname());
  t.deepEqual(socket.select([srv], null, 0), [[], [], 'timeout']);
});

test.serial(
  'a server is readable at once when a peer has completed its connect (50 rounds; portable: once its worker accepted it)',
  (t) => {
    // LuaSocket polls the listening socket, which is readable as soon as the connection is in
    // the kernel's accept queue, i.e. once the peer's connect() has returned (lua5.4: 2000 of
    // 2000 rounds, also with the CPUs busy). Portable item 5: the worker accepts it a moment
    // later, so there select waits for it (and must see it).
    const srv = own(t, socket.bind('127.0.0.1', 0));
    const port = portOf(t, srv);
    const peer = Peer.client();
    t.teardown(() => peer.stop());
    let missed = 0;
    for (let i = 0; i < 50; i++) {
      const joined = peer.connect(port).result();
      t.true(joined.ok, joined.error);
      const r = socket.select([srv], null, portable ? 5 : 0);
      if (r.length === 3) missed++;
      srv.settimeout(5);
      srv.accept()[0]?.close();
      peer.close();
    }
    t.is(missed, 0, `select(0) missed ${missed} of 50 completed connections`);
  },
);

test.serial("a client is readable at once when the peer's send has completed (100 rounds; portable: once its worker read it)", (t) => {
  // The bytes are in the kernel's receive queue once the peer's write is done on loopback,
  // and LuaSocket polls the socket itself (lua5.4: 2000 of 2000 rounds readable, also with
  // the CPUs busy). Portable item 10: select(…, 0) sees what the worker has published, so
  // there select waits for the bytes (and must see them).
  const peer = Peer.listen();
  t.teardown(() => peer.stop());
  peer.accept();
  const c = own(t, socket.connect('127.0.0.1', peer.port));
  c.settimeout(5);
  let missed = 0;
  for (let i = 0; i < 100; i++) {
    t.true(peer.send('x').result().ok);
    if (socket.select([c], null, portable ? 5 : 0).length === 3) missed++;
    t.deepEqual(c.receive(1), ['x']);
  }
  t.is(missed, 0, `select(0) missed ${missed} of 100 completed sends`);
});

test.serial("a client whose peer closed is readable; receive then gives [null, 'closed', '']", (t) => {
  const { c, a } = pair(t);
  a.close();
  t.deepEqual(socket.select([c], null, 5), [[c], []]);
  t.deepEqual(c.receive(), [null, 'closed', '']);
});

test.serial('a pending non-blocking connect is reported writable when it succeeds', (t) => {
  const srv = own(t, socket.bind('127.0.0.1', 0));
  const port = portOf(t, srv);
  const m = own(t, socket.tcp());
  m.settimeout(0);
  t.deepEqual(m.connect('127.0.0.1', port), [null, 'timeout']);
  t.is(m.class, 'tcp{client}');
  t.deepEqual(socket.select(null, [m], 5), [[], [m]]);
  // No pending error (the exact shape of getoption('error') is checked in options.test.ts).
  t.is(m.getoption('error')[0] ?? null, null);
  t.deepEqual(m.connect('127.0.0.1', port), [1]);
  t.deepEqual(m.connect('127.0.0.1', port), [null, 'already connected']);
  srv.settimeout(5);
  const a = own(t, srv.accept());
  t.deepEqual(a.getpeername(), m.getsockname());
});

test.serial('a pending non-blocking connect is reported writable when it is refused', (t) => {
  const port = deadPort(t);
  const m = own(t, socket.tcp());
  m.settimeout(0);
  t.deepEqual(m.connect('127.0.0.1', port), [null, 'timeout']);
  t.deepEqual(socket.select(null, [m], 5), [[], [m]]);
  t.deepEqual(m.getoption('error'), ['connection refused']);
  t.is(m.getoption('error')[0] ?? null, null);
});

test.serial('closed objects are ignored', (t) => {
  const { c, a } = pair(t);
  a.send('data');
  awaitReadable(t, c);
  c.close();
  const [r, ms] = timed(() => socket.select([c], [c], 0.1));
  t.deepEqual(r, [[], [], 'timeout']);
  t.true(ms >= 50 && ms < 1500, `took ${ms} ms`);
});

test.serial('strings are ignored, and scanning goes on past them', (t) => {
  const { c, a } = pair(t);
  const [r, ms] = timed(() => select(['x'], null, 0.1));
  t.deepEqual(r, [[], [], 'timeout']);
  t.true(ms >= 50, `took ${ms} ms`);
  t.deepEqual(select(['x', {}], ['y'], 0), [[], [], 'timeout']);
  a.send('v');
  awaitReadable(t, c);
  t.deepEqual(select(['x', c], null, 5), [[c], []]);
});

test.serial('a nil element ends the list (a hole hides what follows)', (t) => {
  const { c, a } = pair(t);
  a.send('v');
  awaitReadable(t, c);
  const [r, ms] = timed(() => select([null, c], [null, c], 0.1));
  t.deepEqual(r, [[], [], 'timeout']);
  t.true(ms >= 50, `took ${ms} ms`);
});

test.serial("numbers and booleans in the lists raise 'attempt to index a ... value'", (t) => {
  t.throws(() => select([1], null, 0.1), { instanceOf: socket.LuaError, message: 'attempt to index a number value' });
  t.throws(() => select(null, [2], 0.1), { instanceOf: socket.LuaError, message: 'attempt to index a number value' });
  t.throws(() => select([true], null, 0.1), { instanceOf: socket.LuaError, message: 'attempt to index a boolean value' });
});

test.serial('argument type errors', (t) => {
  const err = (message: string) => ({ instanceOf: socket.LuaError, message });
  t.throws(() => select('wrong', 1, 0.1), err("bad argument #1 to 'select' (table expected, got string)"));
  t.throws(() => select({}, 1, 0.1), err("bad argument #2 to 'select' (table expected, got number)"));
  t.throws(() => select(null, 'x', 0.1), err("bad argument #2 to 'select' (table expected, got string)"));
  t.throws(() => select(false, null, 0.1), err("bad argument #1 to 'select' (table expected, got boolean)"));
  t.throws(() => select([], [], 'x'), err("bad argument #3 to 'select' (number expected, got string)"));
});

test.serial("a numeric-string timeout is accepted: select([], [], '0.1') times out after 0.1 s", (t) => {
  const [r, ms] = timed(() => select([], [], '0.1'));
  t.deepEqual(r, [[], [], 'timeout']);
  t.true(ms >= 50 && ms < 1500, `took ${ms} ms`);
});

test.serial('objects with getfd/dirty methods take part: a dirty one is returned at once', (t) => {
  const { c } = pair(t);
  const fake = { getfd: () => c.getfd(), dirty: () => [true] };
  const [r, ms] = timed(() => socket.select([fake], null, 5));
  t.deepEqual(r, [[fake], []]);
  t.true(ms < 1000, `took ${ms} ms`);
  // A getfd of -1 makes the element ignored, dirty or not (p15 #2).
  const gone = { getfd: () => [-1], dirty: () => [true] };
  t.deepEqual(socket.select([gone], null, 0), [[], [], 'timeout']);
  // Errors raised by getfd propagate unchanged.
  const boom = new Error('boom');
  const bad = {
    getfd: () => {
      throw boom;
    },
  };
  t.is(
    t.throws(() => socket.select([bad], null, 0)),
    boom,
  );
});

test.serial("an object with getfd giving a connected socket's descriptor is reported writable (p09 #26; portable: never ready)", (t) => {
  const { c } = pair(t);
  const fake = { getfd: () => c.getfd() };
  if (!portable) {
    t.deepEqual(socket.select([fake], [fake], 0), [[], [fake]]);
    return;
  }
  // Portable item 9: a foreign object's descriptor cannot be polled; it is never reported,
  // and it does not keep this package's objects from being reported.
  t.deepEqual(socket.select([fake], [fake], 0), [[], [], 'timeout']);
  t.deepEqual(socket.select([fake], [fake], 0.05), [[], [], 'timeout']);
  t.deepEqual(socket.select([fake], [fake, c], 5), [[], [c]]);
});

test.serial('select over 2000 connections works: this library has no FD_SETSIZE limit (LuaSocket 3.1.0 raises at fd 1024)', (t) => {
  const srv = own(t, socket.bind('127.0.0.1', 0, 4096));
  const port = portOf(t, srv);
  const clients: Sock[] = [];
  t.teardown(() => {
    for (const c of clients) c.close();
  });
  for (let i = 0; i < 2000; i++) {
    const [c, err] = socket.connect('127.0.0.1', port);
    if (!c) {
      t.fail(`connection ${i} failed: ${err}`);
      return;
    }
    clients.push(c);
  }
  const fds = clients.map(fdOf);
  t.true(Math.max(...fds) >= 1024, `highest descriptor ${Math.max(...fds)}`);
  const [r, w, timeout] = socket.select(clients, clients, 5);
  t.is(timeout, undefined);
  t.deepEqual(r, []);
  t.is(w.length, 2000);
  const wfds = w.map(fdOf);
  t.deepEqual(
    wfds,
    [...fds].sort((x, y) => x - y),
  );
  t.deepEqual(socket.select(clients, null, 0), [[], [], 'timeout']);
  // One of them gets data: exactly that one is readable.
  srv.settimeout(5);
  const a = own(t, srv.accept());
  const peerName = a.getpeername();
  const target = clients.find((c) => {
    const n = c.getsockname();
    return n[1] === peerName[1];
  });
  if (!target) {
    t.fail('accepted connection matches no client');
    return;
  }
  t.deepEqual(a.send('hit'), [3]);
  t.deepEqual(socket.select(clients, null, 5), [[target], []]);
  t.deepEqual(target.receive(3), ['hit']);
});

/**
 * master:listen (spec 6.5) and the socket.bind helper (spec 6.3), against LuaSocket 3.1.0's
 * observed results (spec 11, p02 and p12). Backlogs are read back from the kernel with `ss`
 * (its Send-Q column is the listen backlog), as the p02 probe did.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import * as socket from '../src/index.js';
import { own, portOf } from './helpers/client.js';
import { nativeOnlySerial, portable, portableOnlySerial } from './helpers/engine.js';
import { Peer } from './helpers/peer.js';

type Loose = Record<string, (...a: unknown[]) => unknown>;
const loose = (o: object): Loose => o as unknown as Loose;

function connector(t: ExecutionContext): Peer {
  const p = Peer.client();
  t.teardown(() => p.stop());
  return p;
}

const throwsLua = (t: ExecutionContext, fn: () => unknown, message: string) => t.throws(fn, { instanceOf: socket.LuaError, message });

let ssMissing = false;
/** The kernel's backlog of the listening socket on `port` (ss's Send-Q), or null without ss. */
function backlogOf(port: number): number | null {
  if (ssMissing) return null;
  let out: string;
  try {
    out = execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' });
  } catch {
    ssMissing = true;
    return null;
  }
  const rows = out.trim().split('\n').filter(Boolean);
  if (rows.length !== 1) throw new Error(`ss: expected one listener on ${port}, got ${JSON.stringify(out)}`);
  return Number((rows[0] as string).trim().split(/\s+/)[2]);
}

function assertBacklog(t: ExecutionContext, port: number, expected: number): void {
  const b = backlogOf(port);
  if (b === null) t.log('ss is not available: backlog not checked');
  else t.is(b, expected, `backlog of port ${port}`);
}

test.serial('listen() succeeds with [1] and turns the master into a server', (t) => {
  const m = own(t, socket.tcp4());
  t.deepEqual(m.bind('127.0.0.1', 0), [1]);
  const port = portOf(t, m);
  t.deepEqual(m.listen(), [1]);
  t.is(m.class, 'tcp{server}');
  t.regex(String(m), /^tcp\{server\}: 0x[0-9a-f]+$/);
  t.deepEqual(m.getsockname(), ['127.0.0.1', port, 'inet']);
  // It really listens: a peer gets in.
  const peer = connector(t);
  const r = peer.connect(port).result();
  t.true(r.ok, r.error);
});

const BACKLOGS: Array<[number | string | undefined, number | null]> = [
  [undefined, 32],
  ['5', 5],
  [2.9, 2],
  [0, 0],
  [10, 10],
  [-1, null],
];

function somaxconn(): number | null {
  try {
    return Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim());
  } catch {
    return null;
  }
}

// Portable item 4: a socket bound first listens with node's backlog; the next test checks that.
nativeOnlySerial("the kernel gets the backlog asked for: default 32, '5', 2.9 -> 2, 0 stays 0, -1 -> somaxconn", (t) => {
  for (const [backlog, expected] of BACKLOGS) {
    const m = own(t, socket.tcp4());
    t.deepEqual(m.bind('127.0.0.1', 0), [1]);
    const r = backlog === undefined ? m.listen() : loose(m).listen(backlog);
    t.deepEqual(r, [1], `listen(${JSON.stringify(backlog) ?? ''})`);
    t.is(m.class, 'tcp{server}');
    const want = expected ?? somaxconn();
    if (want !== null) assertBacklog(t, portOf(t, m), want);
  }
});

portableOnlySerial(
  "listen without a prior bind passes the backlog asked for on (0: node:net's 511); a socket bound first gets 511",
  (t) => {
    for (const [backlog, expected] of BACKLOGS) {
      const what = `listen(${JSON.stringify(backlog) ?? ''})`;
      const m = own(t, socket.tcp4());
      t.deepEqual(backlog === undefined ? m.listen() : loose(m).listen(backlog), [1], what);
      // node:net takes a backlog of 0 for "its default" (README: The two engines).
      const want = expected === 0 ? 511 : (expected ?? somaxconn());
      if (want !== null) assertBacklog(t, portOf(t, m), want);
      const b = own(t, socket.tcp4());
      t.deepEqual(b.bind('127.0.0.1', 0), [1]);
      t.deepEqual(backlog === undefined ? b.listen() : loose(b).listen(backlog), [1], `bind, then ${what}`);
      assertBacklog(t, portOf(t, b), 511);
    }
  },
);

portableOnlySerial('the backlog is not enforced: with listen(1) and nobody accepting, every peer gets in and is accepted later', (t) => {
  const srv = own(t, socket.tcp4());
  t.deepEqual(srv.listen(1), [1]);
  const port = portOf(t, srv);
  const peer = connector(t);
  const clients = Array.from({ length: 8 }, () => own(t, socket.connect('127.0.0.1', port)));
  t.true(peer.connect(port).result().ok, 'a peer outside this package gets in too');
  srv.settimeout(5);
  for (let i = 0; i <= clients.length; i++) t.is(own(t, srv.accept()).class, 'tcp{client}');
});

test.serial("listen('abc') raises; listen on a server raises tcp{master} expected", (t) => {
  const m = own(t, socket.tcp4());
  throwsLua(t, () => loose(m).listen('abc'), "bad argument #1 to 'listen' (number expected, got string)");
  t.is(m.class, 'tcp{master}');
  t.deepEqual(m.listen(), [1]);
  throwsLua(t, () => m.listen(), "calling 'listen' on bad self (tcp{master} expected)");
  const srv = own(t, socket.bind('127.0.0.1', 0));
  throwsLua(t, () => srv.listen(), "calling 'listen' on bad self (tcp{master} expected)");
  const c = own(t, socket.connect('127.0.0.1', portOf(t, srv)));
  throwsLua(t, () => c.listen(), "calling 'listen' on bad self (tcp{master} expected)");
});

test.serial("listen on tcp() without a socket, or on a closed master: [null, 'Bad file descriptor']", (t) => {
  const u = own(t, socket.tcp());
  t.deepEqual(u.listen(), [null, 'Bad file descriptor']);
  t.is(u.class, 'tcp{master}');
  t.deepEqual(u.getfd(), [-1]);
  const m = own(t, socket.tcp4());
  t.deepEqual(m.close(), [1]);
  t.deepEqual(m.listen(), [null, 'Bad file descriptor']);
  t.is(m.class, 'tcp{master}');
});

test.serial('tcp4():listen() without bind picks 0.0.0.0 and a port, reachable on 127.0.0.1', (t) => {
  const m = own(t, socket.tcp4());
  t.deepEqual(m.listen(), [1]);
  const name = m.getsockname();
  t.is(name[0], '0.0.0.0');
  t.is(name[2], 'inet');
  const port = name[1] as number;
  t.true(port > 0);
  const c = own(t, socket.connect('127.0.0.1', port));
  m.settimeout(5);
  const [a] = m.accept();
  t.truthy(a);
  if (!a) return;
  t.teardown(() => {
    a.close();
  });
  t.deepEqual(a.getpeername(), c.getsockname());
});

test.serial('socket.bind(127.0.0.1, 0): one value, a server with reuseaddr on and timeouts -1', (t) => {
  const r = socket.bind('127.0.0.1', 0);
  t.is(r.length, 1);
  const srv = own(t, r);
  t.is(srv.class, 'tcp{server}');
  const port = portOf(t, srv);
  t.true(port > 0);
  t.deepEqual(srv.getsockname(), ['127.0.0.1', port, 'inet']);
  t.deepEqual(srv.getfamily(), ['inet4']);
  t.deepEqual(srv.getoption('reuseaddr'), [true]);
  t.deepEqual(srv.gettimeout(), [-1, -1]);
});

test.serial('socket.bind listens with backlog 32 by default and passes an explicit backlog on', (t) => {
  // Portable item 4: socket.bind binds first, so node's backlog (511) is what the kernel gets.
  const srv = own(t, socket.bind('127.0.0.1', 0));
  assertBacklog(t, portOf(t, srv), portable ? 511 : 32);
  const seven = own(t, socket.bind('127.0.0.1', 0, 7));
  assertBacklog(t, portOf(t, seven), portable ? 511 : 7);
});

test.serial("socket.bind('*', 0) binds 0.0.0.0 only: a peer connecting to ::1 is refused", (t) => {
  const srv = own(t, socket.bind('*', 0));
  const name = srv.getsockname();
  t.is(name[0], '0.0.0.0');
  t.is(name[2], 'inet');
  const port = name[1] as number;
  t.deepEqual(srv.getoption('reuseaddr'), [true]);
  const peer = connector(t);
  const v6 = peer.connect(port, '::1').result();
  t.false(v6.ok);
  t.is(v6.error, 'ECONNREFUSED');
  t.deepEqual(socket.connect('::1', port), [null, 'connection refused']);
  const v4 = peer.connect(port, '127.0.0.1').result();
  t.true(v4.ok, v4.error);
});

test.serial("socket.bind('localhost', 0) binds the resolver's first address for localhost", (t) => {
  const [list] = socket.dns.getaddrinfo('localhost');
  if (!list) {
    t.fail('localhost does not resolve');
    return;
  }
  const first = list[0];
  if (!first) {
    t.fail('localhost has no address');
    return;
  }
  const srv = own(t, socket.bind('localhost', 0));
  const name = srv.getsockname();
  t.is(name[0], first.addr);
  t.is(name[2], first.family);
  t.deepEqual(srv.getfamily(), [first.family === 'inet6' ? 'inet6' : 'inet4']);
  t.deepEqual(srv.getoption('reuseaddr'), [true]);
});

test.serial("socket.bind on a port in use: [null, 'address already in use']", (t) => {
  const srv = own(t, socket.bind('127.0.0.1', 0));
  const port = portOf(t, srv);
  t.deepEqual(socket.bind('127.0.0.1', port), [null, 'address already in use']);
  // The first server is unaffected.
  const c = own(t, socket.connect('127.0.0.1', port));
  t.is(c.class, 'tcp{client}');
});

test.serial('socket.bind errors: bad port, empty host, nil address raises', (t) => {
  t.deepEqual(socket.bind('127.0.0.1', 'nosuchsvc'), [null, 'service not supported for socket type']);
  t.deepEqual(socket.bind('', 0), [null, 'host or service not provided, or not known']);
  throwsLua(t, () => (socket.bind as (...a: unknown[]) => unknown)(null, 0), "bad argument #1 to 'getaddrinfo' (string expected, got nil)");
});

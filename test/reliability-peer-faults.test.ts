/**
 * Reliability: faults that come from the other side (README, "Reliability", fault table).
 * Expected results were observed on the real LuaSocket 3.1.0 with the same sequences:
 * - a reset (RST) in the middle of a line: '*l' gives nil, 'closed', partial; the object
 *   stays usable (getpeername says 'Transport endpoint is not connected', close works);
 * - a half-close (the peer shuts down its sending side): the data, then 'closed'; sending
 *   still works and the peer receives it;
 * - the peer closing during a large send: nil, 'closed', index < total (or success), never a hang;
 * - nobody listening: 'connection refused'; a name that resolves to nothing:
 *   'host or service not provided, or not known'.
 */
import test, { type ExecutionContext } from 'ava';
import * as socket from '../src/index.js';
import { Peer } from './helpers/peer.js';

type Sock = socket.TcpSocket;

function pair(t: ExecutionContext): { peer: Peer; c: Sock } {
  const peer = Peer.listen();
  t.teardown(() => peer.stop());
  peer.accept();
  const [c, err] = socket.connect('127.0.0.1', peer.port);
  if (!c) throw new Error(`connect: ${err}`);
  t.teardown(() => c.close());
  // Every call below must answer long before this: a 'timeout' result means a wait that should not have happened.
  c.settimeout(10);
  return { peer, c };
}

function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, performance.now() - t0];
}

test.serial("a reset in the middle of a line: '*l' gives 'closed' with the partial; the object stays usable", (t) => {
  const { peer, c } = pair(t);
  peer.send('partial li').result();
  t.deepEqual(socket.select([c], null, 5)[0], [c]);
  peer.rst().result();
  t.deepEqual(c.receive('*l'), [null, 'closed', 'partial li']);
  t.deepEqual(c.getpeername(), [null, 'Transport endpoint is not connected']);
  t.deepEqual(c.receive(), [null, 'closed', '']);
  t.deepEqual(c.receive('*a'), [null, 'closed', '']);
  t.deepEqual(c.send('x'), [null, 'closed', 0]);
  t.deepEqual(c.dirty(), [false]);
  t.true((c.getfd()[0] as number) >= 0, 'still has its descriptor until closed');
  t.deepEqual(c.getstats().slice(0, 2), [10, 0]);
  t.deepEqual(c.close(), [1]);
  t.deepEqual(c.getfd(), [-1]);
  t.deepEqual(c.close(), [1], 'closing twice is harmless');
});

test.serial('a reset while a receive is blocked ends it at once', (t) => {
  const { peer, c } = pair(t);
  peer.send('abc').result();
  peer.sleep(100);
  peer.rst();
  const [r, ms] = timed(() => c.receive(10));
  t.deepEqual(r, [null, 'closed', 'abc']);
  t.true(ms < 5000, `after ${Math.round(ms)} ms`);
});

test.serial('a half-close by the peer: the data, then closed; sending still works and the peer gets it', (t) => {
  const { peer, c } = pair(t);
  peer.send('data\nmore').result();
  peer.shutdown().result();
  t.deepEqual(c.receive(), ['data']);
  t.deepEqual(c.receive(), [null, 'closed', 'more']);
  t.deepEqual(c.receive('*a'), [null, 'closed', '']);
  const got = peer.recv(12);
  t.deepEqual(c.send('reply\n'), [6]);
  t.deepEqual(c.send('again\n'), [6]);
  t.deepEqual(got.result().data, 'reply\nagain\n');
  t.deepEqual(c.getpeername()[0], '127.0.0.1', 'still connected in the other direction');
});

test.serial("a half-close seen by '*a': everything up to the FIN in one result", (t) => {
  const { peer, c } = pair(t);
  const body = 'x'.repeat(300000);
  peer.send(body);
  peer.shutdown();
  const [r] = timed(() => c.receive('*a'));
  t.is(r[0]?.length, body.length);
  t.true(r[0] === body);
  const echo = peer.recv(2);
  t.deepEqual(c.send('ok'), [2]);
  t.is(echo.result().data, 'ok');
});

test.serial('the peer closing during a large send: closed with the last index, or success; never a hang', (t) => {
  const { peer, c } = pair(t);
  const total = 64 << 20;
  // The peer reads a little, then closes with unread data (a reset) while the send is blocked.
  const got = peer.recv(1 << 20);
  peer.close();
  const [r, ms] = timed(() => c.send(Buffer.alloc(total, 97)));
  t.true(got.result().data?.length === 1 << 20, 'the peer read before closing');
  t.true(ms < 9000, `the send returned after ${Math.round(ms)} ms`);
  if (r[0] === null) {
    t.is(r[1], 'closed');
    t.true(r[2] >= 1 << 20 && r[2] < total, `last index ${r[2]}`);
    t.deepEqual(c.send('more'), [null, 'closed', 0], 'later sends fail at once');
  } else {
    t.is(r[0], total);
  }
  t.deepEqual(c.close(), [1]);
});

test.serial("nobody listening: 'connection refused' from socket.connect and from master:connect", (t) => {
  const [srv] = socket.bind('127.0.0.1', 0);
  if (!srv) throw new Error('bind');
  const port = srv.getsockname()[1] as number;
  srv.close();
  const [r, ms] = timed(() => socket.connect('127.0.0.1', port));
  t.deepEqual(r, [null, 'connection refused']);
  t.true(ms < 5000);
  const [m] = socket.tcp4();
  if (!m) throw new Error('tcp4');
  t.deepEqual(m.connect('127.0.0.1', port), [null, 'connection refused']);
  t.is(m.class, 'tcp{client}');
  t.deepEqual(m.send('x'), [null, 'closed', 0]);
  t.deepEqual(m.close(), [1]);
});

test.serial("a name that resolves to nothing: 'host or service not provided, or not known'", (t) => {
  t.deepEqual(socket.connect('nonexistent.invalid', 80), [null, 'host or service not provided, or not known']);
  const [m] = socket.tcp();
  if (!m) throw new Error('tcp');
  t.deepEqual(m.connect('nonexistent.invalid', 80), [null, 'host or service not provided, or not known']);
  t.deepEqual(m.close(), [1]);
});

/**
 * UDP timeouts (one wait, for the shorter of the block and total timeouts) and ICMP
 * errors: 'connection refused' once, on a connected socket, for the next receive, send or
 * getoption('error'); select reports such a socket readable.
 */
import test from 'ava';
import * as socket from '../src/index.js';
import { bound, deadPort, udp4 } from './helpers/dgram.js';

/** Runs `f` and returns how long it took, in seconds. */
function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, (performance.now() - t0) / 1000];
}

test('receive / receivefrom time out: at once with 0, after the block timeout, after the total one', (t) => {
  const { u } = bound(t, 0);
  t.deepEqual(u.receive(), [null, 'timeout']);
  t.deepEqual(u.receivefrom(), [null, 'timeout']);
  u.settimeout(0.2);
  let [r, s]: [unknown, number] = timed(() => u.receive());
  t.deepEqual(r, [null, 'timeout']);
  t.true(s >= 0.19, `waited ${s}`);
  u.settimeout(1, 't');
  [r, s] = timed(() => u.receivefrom());
  t.deepEqual(r, [null, 'timeout']);
  t.true(s >= 0.19 && s < 0.9, `one wait, for the shorter (block) timeout: ${s}`);
  u.settimeout(null);
  u.settimeout(0.3, 't');
  [r, s] = timed(() => u.receive());
  t.deepEqual(r, [null, 'timeout']);
  t.true(s >= 0.29, `block unlimited: the total applies: ${s}`);
});

test('a datagram arriving while a receive waits ends the wait', (t) => {
  const { u: a } = bound(t);
  const { u: b, port: pb } = bound(t, 5);
  // A select on another socket gives the datagram time to be on its way first.
  a.sendto('in time', '127.0.0.1', pb);
  t.deepEqual(b.receive(), ['in time']);
});

test("connected to a closed port: 'connection refused' once, for the next receive, send or getoption('error')", (t) => {
  const dead = deadPort(t);
  const c = udp4(t);
  t.deepEqual(c.setpeername('127.0.0.1', dead), [1]);
  c.settimeout(0.2);
  t.deepEqual(c.send('x'), [1]);
  // The ICMP error makes the socket readable: wait for it as a script would.
  t.deepEqual(socket.select([c], null, 2)[0], [c]);
  t.deepEqual(c.receive(), [null, 'connection refused']);
  t.deepEqual(c.receive(), [null, 'timeout'], 'reported once');
  t.deepEqual(c.send('y'), [1]);
  t.deepEqual(socket.select([c], null, 2)[0], [c]);
  t.deepEqual(c.send('z'), [null, 'connection refused'], 'a send takes it (and is not sent)');
  t.deepEqual(c.send('z'), [1]);
  t.deepEqual(socket.select([c], null, 2)[0], [c]);
  t.deepEqual(c.getoption('error'), ['connection refused']);
  t.deepEqual(c.getoption('error'), []);
  c.send('w');
  t.deepEqual(socket.select([c], null, 2)[0], [c]);
  t.deepEqual(c.setpeername('*'), [1]);
  t.deepEqual(c.receive(), [null, 'connection refused'], "the error outlives setpeername('*')");
});

test('an unconnected socket is not told about ICMP errors', (t) => {
  const dead = deadPort(t);
  const n = udp4(t);
  n.settimeout(0.2);
  t.deepEqual(n.sendto('x', '127.0.0.1', dead), [1]);
  t.deepEqual(n.receivefrom(), [null, 'timeout']);
});

test("the peer's port closed later: the next receive says 'connection refused'", (t) => {
  const { u: peer, port: pp } = bound(t);
  const p = keep2(t);
  t.deepEqual(p.setpeername('127.0.0.1', pp), [1]);
  p.settimeout(2);
  t.deepEqual(p.send('alive?'), [6]);
  const [, ip, port] = peer.receivefrom();
  peer.sendto('alive?', ip as string, port as number);
  t.deepEqual(p.receive(), ['alive?']);
  peer.close();
  t.deepEqual(p.send('anyone?'), [7]);
  t.deepEqual(p.receive(), [null, 'connection refused']);
});

function keep2(t: Parameters<typeof udp4>[0]): socket.UdpSocket {
  const [p] = socket.udp();
  if (!p) throw new Error('udp failed');
  t.teardown(() => p.close());
  return p;
}

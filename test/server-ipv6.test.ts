/**
 * IPv6 servers and clients on ::1 (spec 6.1 v6only, 6.3, 6.9; observed in spec 11 p02 and
 * p12): tcp6 sockets are IPv6-only, so an IPv4 peer cannot reach a tcp6 server on '::'
 * unless the program turns ipv6-v6only off.
 */
import test, { type ExecutionContext } from 'ava';
import * as socket from '../src/index.js';
import { own, portOf } from './helpers/client.js';
import { Peer } from './helpers/peer.js';

type Sock = socket.TcpSocket;

function connector(t: ExecutionContext): Peer {
  const p = Peer.client();
  t.teardown(() => p.stop());
  return p;
}

/** A tcp6 master bound to '::' and listening. */
function wildcard6(t: ExecutionContext): [Sock, number] {
  const srv = own(t, socket.tcp6());
  t.deepEqual(srv.bind('::', 0), [1]);
  t.deepEqual(srv.listen(), [1]);
  const name = srv.getsockname();
  t.is(name[0], '::');
  t.is(name[2], 'inet6');
  return [srv, name[1] as number];
}

test.serial("a tcp6 server on '::' (IPv6-only) refuses an IPv4 peer and accepts ::1", (t) => {
  const [srv, port] = wildcard6(t);
  t.deepEqual(srv.getfamily(), ['inet6']);
  const peer = connector(t);
  const v4 = peer.connect(port, '127.0.0.1').result();
  t.false(v4.ok);
  t.is(v4.error, 'ECONNREFUSED');
  t.deepEqual(socket.connect('127.0.0.1', port), [null, 'connection refused']);
  const v6 = peer.connect(port, '::1').result();
  t.true(v6.ok, v6.error);
  srv.settimeout(5);
  const a = own(t, srv.accept());
  t.deepEqual(a.getfamily(), ['inet6']);
  const name = a.getpeername();
  t.is(name[0], '::1');
  t.is(name[2], 'inet6');
  t.deepEqual(a.getsockname(), ['::1', port, 'inet6']);
});

test.serial("tcp6():connect('::1') and the shapes of getpeername/getsockname on ::1", (t) => {
  const srv = own(t, socket.bind('::1', 0));
  const port = portOf(t, srv);
  t.deepEqual(srv.getsockname(), ['::1', port, 'inet6']);
  t.deepEqual(srv.getfamily(), ['inet6']);
  t.deepEqual(srv.getoption('reuseaddr'), [true]);
  const c = own(t, socket.tcp6());
  t.deepEqual(c.connect('::1', port), [1]);
  t.is(c.class, 'tcp{client}');
  t.deepEqual(c.getpeername(), ['::1', port, 'inet6']);
  const mine = c.getsockname();
  t.is(mine[0], '::1');
  t.is(mine[2], 'inet6');
  t.true((mine[1] as number) > 0);
  t.deepEqual(c.getfamily(), ['inet6']);
  srv.settimeout(5);
  const a = own(t, srv.accept());
  t.deepEqual(a.getpeername(), mine);
  t.deepEqual(a.getfamily(), ['inet6']);
  t.deepEqual(c.send('six\n'), [4]);
  t.deepEqual(a.receive(), ['six']);
  // socket.connect picks the family from the address.
  const d = own(t, socket.connect('::1', port));
  t.deepEqual(d.getpeername(), ['::1', port, 'inet6']);
  t.deepEqual(d.getfamily(), ['inet6']);
});

test.serial('an IPv4 client cannot reach a ::1 server; a v4-mapped address is unreachable (v6only)', (t) => {
  const srv = own(t, socket.bind('::1', 0));
  const port = portOf(t, srv);
  t.deepEqual(socket.connect('127.0.0.1', port), [null, 'connection refused']);
  t.deepEqual(socket.connect('::ffff:127.0.0.1', port), [null, 'Network is unreachable']);
});

test.serial('with ipv6-v6only turned off a tcp6 server on :: takes IPv4 peers as ::ffff:127.0.0.1', (t) => {
  const srv = own(t, socket.tcp6());
  t.deepEqual(srv.setoption('ipv6-v6only', false), [1]);
  t.deepEqual(srv.bind('*', 0), [1]);
  t.deepEqual(srv.listen(), [1]);
  const port = portOf(t, srv);
  const c = own(t, socket.connect('127.0.0.1', port));
  srv.settimeout(5);
  const a = own(t, srv.accept());
  const cname = c.getsockname();
  t.deepEqual(a.getpeername(), ['::ffff:127.0.0.1', cname[1], 'inet6']);
  t.deepEqual(a.getsockname(), ['::ffff:127.0.0.1', port, 'inet6']);
  t.deepEqual(a.getfamily(), ['inet6']);
  t.deepEqual(c.getpeername(), ['127.0.0.1', port, 'inet']);
  t.deepEqual(a.send('mapped\n'), [7]);
  t.deepEqual(c.receive(), ['mapped']);
});

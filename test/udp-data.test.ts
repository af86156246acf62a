/**
 * UDP data: one datagram per call, the default receive size and what happens to a larger
 * datagram, receive(0), empty datagrams, the kernel's size limits, encodings and
 * byte-exact data, a connected socket's filter, and bounded memory when nobody reads.
 */
import test from 'ava';
import * as socket from '../src/index.js';
import { loose, throwsLua } from './helpers/client.js';
import { bound, keep, portOf } from './helpers/dgram.js';

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('latin1');

test('sendto / receivefrom: data, ip and port; byte counts', (t) => {
  const { u: a, port: pa } = bound(t);
  const { u: b, port: pb } = bound(t);
  t.deepEqual(a.sendto('hello', '127.0.0.1', pb), [5]);
  t.deepEqual(b.receivefrom(), ['hello', '127.0.0.1', pa]);
  t.deepEqual(b.sendto(ALL_BYTES, '127.0.0.1', pa), [256]);
  t.deepEqual(a.receive(), [ALL_BYTES]);
  t.deepEqual(a.sendto(1234, '127.0.0.1', pb), [4], 'a number is sent as its text');
  t.deepEqual(b.receive(), ['1234']);
});

test('the default size is 8192: the rest of a larger datagram is discarded; receive(n) cuts at n', (t) => {
  const { u: a } = bound(t);
  const { u: b, port: pb } = bound(t);
  const big = 'a'.repeat(10000);
  for (let i = 0; i < 4; i++) a.sendto(big, '127.0.0.1', pb);
  t.deepEqual(b.receive(), ['a'.repeat(8192)]);
  t.deepEqual(b.receive(65535), [big]);
  t.is((b.receivefrom()[0] as string).length, 8192);
  t.is((b.receivefrom(9000)[0] as string).length, 9000);
  a.sendto('hello world', '127.0.0.1', pb);
  a.sendto('next', '127.0.0.1', pb);
  t.deepEqual(b.receive(5), ['hello']);
  t.deepEqual(b.receive(), ['next'], "the rest of 'hello world' is gone");
  a.sendto('hello world', '127.0.0.1', pb);
  t.deepEqual(b.receive(5.9), ['hello']);
  a.sendto('abc', '127.0.0.1', pb);
  t.deepEqual(b.receive('2' as unknown as number), ['ab']);
});

test('receive(0) consumes a datagram; receive(-1) is "out of memory"; size argument errors', (t) => {
  const { u: a } = bound(t);
  const { u: b, port: pb } = bound(t);
  a.sendto('gone', '127.0.0.1', pb);
  t.deepEqual(b.receive(0), ['']);
  b.settimeout(0);
  t.deepEqual(b.receive(), [null, 'timeout']);
  t.deepEqual(b.receive(-1), [null, 'out of memory']);
  throwsLua(t, () => loose(b, 'receive')('x'), "bad argument #1 to 'receive' (number expected, got string)");
  throwsLua(t, () => loose(b, 'receivefrom')({}), "bad argument #1 to 'receivefrom' (number expected, got table)");
});

test('empty datagrams: sent as 0 bytes, received as ""', (t) => {
  const { u: a, port: pa } = bound(t);
  const { u: b, port: pb } = bound(t);
  t.deepEqual(a.sendto('', '127.0.0.1', pb), [0]);
  t.deepEqual(b.receive(), ['']);
  a.sendto('', '127.0.0.1', pb);
  t.deepEqual(b.receivefrom(), ['', '127.0.0.1', pa]);
});

test("the kernel's limits: 65507 bytes over IPv4, 65527 over IPv6", (t) => {
  const { u: a } = bound(t);
  const { u: b, port: pb } = bound(t);
  t.deepEqual(a.sendto('h'.repeat(65507), '127.0.0.1', pb), [65507]);
  t.deepEqual(a.sendto('h'.repeat(65508), '127.0.0.1', pb), [null, 'Message too long']);
  t.is((b.receive(100000)[0] as string).length, 65507);
  const { u: c } = bound(t, 5, '::1');
  const { u: d, port: pd } = bound(t, 5, '::1');
  t.deepEqual(c.sendto('h'.repeat(65527), '::1', pd), [65527]);
  t.deepEqual(c.sendto('h'.repeat(65528), '::1', pd), [null, 'Message too long']);
  t.is((d.receive(70000)[0] as string).length, 65527);
});

test("sendto takes numeric addresses only, with glibc's texts; argument errors", (t) => {
  const { u, port } = bound(t);
  t.deepEqual(u.sendto('x', 'localhost', port), [null, 'Name or service not known']);
  t.deepEqual(u.sendto('x', '127.0.0.1', 'echo'), [null, 'Name or service not known']);
  t.deepEqual(u.sendto('x', '127.0.0.1', -1), [null, 'Servname not supported for ai_socktype']);
  t.deepEqual(u.sendto('x', '::1', port), [null, 'Address family for hostname not supported']);
  t.deepEqual(u.sendto('x', '127.0.0.1', 0), [null, 'Invalid argument']);
  t.deepEqual(u.sendto('x', '255.255.255.255', 9), [null, 'permission denied']);
  throwsLua(t, () => loose(u, 'sendto')(), "bad argument #1 to 'sendto' (string expected, got no value)");
  throwsLua(t, () => loose(u, 'sendto')('x'), "bad argument #2 to 'sendto' (string expected, got no value)");
  throwsLua(t, () => loose(u, 'sendto')('x', '127.0.0.1'), "bad argument #3 to 'sendto' (string expected, got no value)");
  throwsLua(t, () => loose(u, 'sendto')({}, '127.0.0.1', 1), "bad argument #1 to 'sendto' (string expected, got table)");
});

test("a connected socket only takes its peer's datagrams; ones queued before setpeername stay", (t) => {
  const { u: peer, port: pp } = bound(t);
  const { u: stranger } = bound(t);
  const { u: c, port: pc } = bound(t, 0.3);
  stranger.sendto('queued before', '127.0.0.1', pc);
  t.deepEqual(socket.select([c], null, 2)[0], [c]);
  t.deepEqual(c.setpeername('127.0.0.1', pp), [1]);
  t.deepEqual(c.receive(), ['queued before']);
  t.deepEqual(c.send('to the peer'), [11]);
  t.deepEqual(peer.receivefrom(), ['to the peer', '127.0.0.1', pc]);
  stranger.sendto('from a stranger', '127.0.0.1', pc);
  peer.sendto('from the peer', '127.0.0.1', pc);
  t.deepEqual(c.receive(), ['from the peer']);
  t.deepEqual(c.receive(), [null, 'timeout']);
  throwsLua(t, () => loose(c, 'send')(), "bad argument #1 to 'send' (string expected, got no value)");
});

test('IPv6 data and names', (t) => {
  const { u: a, port: pa } = bound(t, 5, '::1');
  const { u: b, port: pb } = bound(t, 5, '::1');
  t.deepEqual(a.getsockname(), ['::1', pa, 'inet6']);
  t.deepEqual(a.sendto('six', '::1', pb), [3]);
  t.deepEqual(b.receivefrom(), ['six', '::1', pa]);
  t.deepEqual(a.sendto('x', '::ffff:127.0.0.1', pb), [null, 'Network is unreachable'], 'v6only');
  t.deepEqual(a.sendto('x', '::1%lo', pb), [null, 'Name or service not known']);
});

test("encodings: 'buffer' gives Buffers, 'utf8' decodes, sends take bytes", (t) => {
  const { u: a } = bound(t);
  const { u: b, port: pb } = bound(t);
  const raw = keep(t, socket.udp4()).setencoding('buffer');
  t.is(raw.getencoding(), 'buffer');
  raw.setsockname('127.0.0.1', 0);
  raw.settimeout(5);
  const pr = portOf(t, raw as unknown as socket.UdpSocket);
  const bytes = Buffer.from([0, 255, 13, 10, 128]);
  t.deepEqual(a.sendto(bytes, '127.0.0.1', pr), [5]);
  const [got] = raw.receive();
  t.true(Buffer.isBuffer(got));
  t.deepEqual(got, bytes);
  a.sendto(bytes, '127.0.0.1', pr);
  const [got2, ip] = raw.receivefrom();
  t.deepEqual([got2, ip], [bytes, '127.0.0.1']);
  const u8 = keep(t, socket.udp4());
  u8.settimeout(5);
  u8.sendto('héllo', '127.0.0.1', pb);
  t.deepEqual(b.setencoding('utf8').receive(), ['héllo']);
});

test('a script that does not read holds bounded memory: what does not fit is dropped, what is kept is intact', (t) => {
  const { u: a } = bound(t);
  const { u: b, port: pb } = bound(t, 0.3);
  const n = 3000;
  const payload = (i: number) => `${String(i).padStart(6, '0')}:${'x'.repeat(993)}`;
  for (let i = 0; i < n; i++) a.sendto(payload(i), '127.0.0.1', pb);
  let got = 0;
  let last = -1;
  for (;;) {
    const [d] = b.receive();
    if (d === null) break;
    const i = Number((d as string).slice(0, 6));
    t.true(i > last, 'datagrams keep their order');
    t.is(d, payload(i));
    last = i;
    got++;
  }
  t.true(got > 0 && got < n, `${got} of ${n} datagrams kept`);
});

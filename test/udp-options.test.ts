/**
 * UDP options: LuaSocket 3.1.0's names and value checks, applied for real (values read
 * back from the socket), its quirks (ipv6-multicast-hops is IPV6_UNICAST_HOPS, a bad IPv6
 * membership interface is argument #-2), and the portable engine's documented answers.
 */
import test from 'ava';
import * as socket from '../src/index.js';
import { loose, throwsLua } from './helpers/client.js';
import { bound, keep, portable, udp4 } from './helpers/dgram.js';

const NS = [null, 'not supported on this platform'];

test('names: unsupported ones raise (cut to 35 characters); values are checked before the socket', (t) => {
  const u = udp4(t);
  for (const name of ['ip-multicast-ttl', 'ip-add-membership', 'keepalive', 'linger', 'tcp-nodelay']) {
    throwsLua(t, () => u.getoption(name), `bad argument #1 to 'getoption' (unsupported option \`${name}')`);
  }
  throwsLua(t, () => loose(u, 'getoption')(), "bad argument #1 to 'getoption' (string expected, got no value)");
  throwsLua(t, () => loose(u, 'getoption')(1), "bad argument #1 to 'getoption' (unsupported option `1')");
  throwsLua(t, () => u.setoption('z'.repeat(50), true), `bad argument #1 to 'setoption' (unsupported option \`${'z'.repeat(35)}')`);
  throwsLua(t, () => u.setoption('error', true), "bad argument #1 to 'setoption' (unsupported option `error')");
  throwsLua(t, () => u.setoption('broadcast', 1), "bad argument #2 to 'setoption' (boolean expected, got number)");
  throwsLua(t, () => u.setoption('reuseaddr', null), "bad argument #2 to 'setoption' (boolean expected, got nil)");
  throwsLua(t, () => loose(u, 'setoption')('reuseport'), "bad argument #2 to 'setoption' (boolean expected, got no value)");
  throwsLua(t, () => u.setoption('ip-multicast-if', 'bad'), "bad argument #2 to 'setoption' (ip expected)");
  throwsLua(t, () => loose(u, 'setoption')('ip-multicast-if'), "bad argument #2 to 'setoption' (string expected, got no value)");
  throwsLua(t, () => u.setoption('ip-add-membership', '239.1.2.3'), "bad argument #2 to 'setoption' (table expected, got string)");
  throwsLua(
    t,
    () => u.setoption('ip-add-membership', { interface: '*' } as never),
    "bad argument #2 to 'setoption' (string 'multiaddr' field expected)",
  );
  throwsLua(
    t,
    () => u.setoption('ip-add-membership', { multiaddr: 'x', interface: '*' }),
    "bad argument #2 to 'setoption' (invalid 'multiaddr' ip address)",
  );
  throwsLua(
    t,
    () => u.setoption('ip-add-membership', { multiaddr: '239.1.2.3' }),
    "bad argument #2 to 'setoption' (string 'interface' field expected)",
  );
  throwsLua(
    t,
    () => u.setoption('ip-drop-membership', { multiaddr: '239.1.2.3', interface: 'x' }),
    "bad argument #2 to 'setoption' (invalid 'interface' ip address)",
  );
  throwsLua(
    t,
    () => u.setoption('ipv6-add-membership', { multiaddr: 'ff02::1:5', interface: 'lo' }),
    "bad argument #-2 to 'setoption' (number 'interface' field expected)",
  );
  throwsLua(
    t,
    () => u.setoption('ipv6-add-membership', { multiaddr: '239.1.2.3' }),
    "bad argument #2 to 'setoption' (invalid 'multiaddr' ip address)",
  );
  u.close();
  throwsLua(t, () => u.setoption('ip-add-membership', {} as never), "bad argument #2 to 'setoption' (string 'multiaddr' field expected)");
  t.deepEqual(u.setoption('broadcast', true), [null, 'setsockopt failed']);
  t.deepEqual(u.getoption('reuseaddr'), [null, 'getsockopt failed']);
});

test('udp4: defaults, booleans and integers applied and read back', (t) => {
  const u = udp4(t);
  t.deepEqual(u.getoption('broadcast'), [false]);
  t.deepEqual(u.getoption('reuseaddr'), [false]);
  t.deepEqual(u.getoption('ip-multicast-if'), ['0.0.0.0']);
  t.deepEqual(u.getoption('ip-multicast-loop'), [true]);
  t.deepEqual(u.getoption('error'), []);
  for (const name of ['ipv6-unicast-hops', 'ipv6-multicast-hops', 'ipv6-multicast-loop', 'ipv6-v6only']) {
    t.deepEqual(u.getoption(name), [null, 'getsockopt failed'], name);
  }
  t.deepEqual(u.setoption('ipv6-v6only', true), [null, 'setsockopt failed']);
  t.deepEqual(u.setoption('ipv6-unicast-hops', 5), [null, 'setsockopt failed']);
  for (const name of ['broadcast', 'reuseaddr', 'ip-multicast-loop']) {
    t.deepEqual(u.setoption(name, name !== 'ip-multicast-loop'), [1], name);
    t.deepEqual(u.getoption(name), [name !== 'ip-multicast-loop'], name);
  }
  t.deepEqual(u.setoption('ip-multicast-ttl', 5), [1]);
  t.deepEqual(u.setoption('ip-multicast-ttl', 'x' as never), [1], 'not a number: 0');
  t.deepEqual(u.setoption('ip-multicast-ttl', 256), [null, 'setsockopt failed']);
  t.deepEqual(u.setoption('ip-multicast-if', '127.0.0.1'), [1]);
  t.deepEqual(u.getoption('ip-multicast-if'), ['127.0.0.1']);
  t.deepEqual(u.setoption('ip-multicast-if', '*'), [1]);
  t.deepEqual(u.getoption('ip-multicast-if'), ['0.0.0.0']);
  t.deepEqual(u.setoption('ip-multicast-if', '10.255.255.1'), [null, 'setsockopt failed']);
  // Broadcast is really on: a datagram to the broadcast address is allowed now.
  t.deepEqual(u.sendto('x', '255.255.255.255', 9), [1]);
});

test('buffer sizes: the kernel doubles what is set and keeps a minimum', (t) => {
  const u = udp4(t);
  t.true((u.getoption('recv-buffer-size')[0] as number) > 0);
  t.deepEqual(u.setoption('recv-buffer-size', 65536), [1]);
  t.deepEqual(u.getoption('recv-buffer-size'), [131072]);
  t.deepEqual(u.setoption('send-buffer-size', 65536), [1]);
  t.deepEqual(u.getoption('send-buffer-size'), [131072]);
  const { u: b } = bound(t);
  t.deepEqual(b.setoption('recv-buffer-size', 1), [1]);
  t.deepEqual(b.getoption('recv-buffer-size'), [2304]);
  t.deepEqual(b.setoption('send-buffer-size', 'x' as never), [1]);
  t.deepEqual(b.getoption('send-buffer-size'), [4608]);
});

test('memberships: join, join again fails, leave, leave again fails (portable: on a bound socket)', (t) => {
  const { u } = bound(t, 5, '0.0.0.0');
  const m = { multiaddr: '239.1.2.3', interface: '127.0.0.1' };
  t.deepEqual(u.setoption('ip-add-membership', m), [1]);
  t.deepEqual(u.setoption('ip-add-membership', m), [null, 'setsockopt failed']);
  t.deepEqual(u.setoption('ip-drop-membership', m), [1]);
  t.deepEqual(u.setoption('ip-drop-membership', m), [null, 'setsockopt failed']);
  t.deepEqual(u.setoption('ip-add-membership', { multiaddr: '10.0.0.1', interface: '127.0.0.1' }), [null, 'setsockopt failed']);
  const fresh = udp4(t);
  t.deepEqual(fresh.setoption('ip-add-membership', m), portable ? NS : [1]);
});

test('udp6: v6only, hops (3.1.0 sets and reads IPV6_UNICAST_HOPS for both names), multicast loop', (t) => {
  const s = keep(t, socket.udp6());
  t.deepEqual(s.getoption('ipv6-v6only'), [true]);
  t.true((s.getoption('ipv6-unicast-hops')[0] as number) > 0);
  t.deepEqual(s.getoption('ipv6-multicast-loop'), [true]);
  t.deepEqual(s.getoption('ip-multicast-loop'), [true]);
  t.deepEqual(s.getoption('ip-multicast-if'), ['0.0.0.0']);
  t.deepEqual(s.setoption('ipv6-unicast-hops', 7), [1]);
  t.deepEqual(s.getoption('ipv6-unicast-hops'), [7]);
  t.deepEqual(s.setoption('ipv6-multicast-hops', 9), [1]);
  t.deepEqual(s.getoption('ipv6-unicast-hops'), [9]);
  t.deepEqual(s.getoption('ipv6-multicast-hops'), [9]);
  t.deepEqual(s.setoption('ipv6-unicast-hops', 300), [null, 'setsockopt failed']);
  t.deepEqual(s.setoption('ipv6-multicast-loop', false), [1]);
  t.deepEqual(s.getoption('ipv6-multicast-loop'), [false]);
  t.deepEqual(s.setoption('ipv6-v6only', false), [1]);
  t.deepEqual(s.getoption('ipv6-v6only'), [false]);
  t.deepEqual(s.setsockname('::', 0), [1]);
  t.deepEqual(s.setoption('ipv6-v6only', true), [null, 'setsockopt failed'], 'not after bind');
  const { port } = bound(t);
  t.deepEqual(s.sendto('mapped', '::ffff:127.0.0.1', port), [6], 'v6only off: an IPv4 peer through a mapped address');
  t.deepEqual(s.setoption('ipv6-add-membership', { multiaddr: 'ff02::1:3', interface: 1 }), [1]);
  t.deepEqual(s.setoption('ipv6-add-membership', { multiaddr: 'ff02::1:3', interface: 1 }), [null, 'setsockopt failed']);
  t.deepEqual(s.setoption('ipv6-drop-membership', { multiaddr: 'ff02::1:3', interface: 1 }), [1]);
  t.deepEqual(s.setoption('ipv6-add-membership', { multiaddr: 'ff02::1:4' }), [1]);
});

test('dontroute and reuseport: real on the native engine, not offered by node:dgram', (t) => {
  const u = udp4(t);
  if (portable) {
    t.deepEqual(u.getoption('dontroute'), NS);
    t.deepEqual(u.setoption('reuseport', true), NS);
    return;
  }
  t.deepEqual(u.getoption('dontroute'), [false]);
  t.deepEqual(u.setoption('dontroute', true), [1]);
  t.deepEqual(u.getoption('dontroute'), [true]);
  t.deepEqual(u.setoption('reuseport', true), [1]);
  t.deepEqual(u.getoption('reuseport'), [true]);
});

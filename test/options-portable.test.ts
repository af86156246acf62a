/**
 * getoption / setoption on the portable engine (portable item 6 of the lead's list): node:net
 * applies keepalive and tcp-nodelay, libuv sets SO_REUSEADDR whenever it binds, linger is only
 * "off" or "reset at close", ipv6-v6only is applied at bind/listen, and every other option
 * answers 'not supported on this platform'. The native engine's versions of these tests
 * (options.test.ts) read values back through a second object on the same descriptor, which
 * the portable engine cannot make (portable item 2); here the kernel is read directly with
 * getsockopt(2) on the worker's descriptor (same process), when the native helper loads.
 * Registered as skipped on the native engine.
 */
import { execFileSync } from 'node:child_process';
import type { ExecutionContext } from 'ava';
import * as socket from '../src/index.js';
import { native } from '../src/native.js';
import { own, portOf } from './helpers/client.js';
import { portableOnlySerial } from './helpers/engine.js';

type Sock = socket.TcpSocket;

const UNSUPPORTED = [null, 'not supported on this platform'];

function objects(t: ExecutionContext): { client: Sock; accepted: Sock; server: Sock; master4: Sock; master6: Sock } {
  const server = own(t, socket.bind('127.0.0.1', 0));
  const client = own(t, socket.connect('127.0.0.1', portOf(t, server)));
  server.settimeout(5);
  const accepted = own(t, server.accept());
  return { client, accepted, server, master4: own(t, socket.tcp4()), master6: own(t, socket.tcp6()) };
}

type KernelFlag = 'keepalive' | 'tcp-nodelay' | 'reuseaddr';

/**
 * The kernel's value of a boolean option on `s`'s descriptor, read with getsockopt(2) through
 * the native helper; null when the helper cannot load (then only round trips are checked).
 */
function kernel(t: ExecutionContext, s: Sock, name: KernelFlag): boolean | null {
  if (native === null) return null;
  const c = native.constants;
  const [level, opt] = {
    keepalive: [c.SOL_SOCKET, c.SO_KEEPALIVE],
    'tcp-nodelay': [c.IPPROTO_TCP, c.TCP_NODELAY],
    reuseaddr: [c.SOL_SOCKET, c.SO_REUSEADDR],
  }[name];
  const [errno, value] = native.getsockoptInt(s.getfd()[0], level, opt);
  t.is(errno, 0, `getsockopt ${name} on descriptor ${s.getfd()[0]}`);
  return value !== 0;
}

/** Asserts getoption and (when it can be read) the kernel agree on `want`. */
function holds(t: ExecutionContext, s: Sock, name: KernelFlag, want: boolean, what: string): void {
  t.deepEqual(s.getoption(name), [want], `${what}: getoption('${name}')`);
  const k = kernel(t, s, name);
  if (k !== null) t.is(k, want, `${what}: the kernel's ${name} once setoption has returned`);
}

for (const name of ['keepalive', 'tcp-nodelay'] as const) {
  portableOnlySerial(`${name}: set true / false reaches the kernel at once, on clients and accepted connections`, (t) => {
    if (native === null) t.log('the native helper does not load: kernel values not checked');
    const o = objects(t);
    for (const [what, s] of [
      ['client', o.client],
      ['accepted', o.accepted],
    ] as const) {
      holds(t, s, name, false, `${what} default`);
      t.deepEqual(s.setoption(name, true), [1]);
      holds(t, s, name, true, `${what} set true`);
      t.deepEqual(s.setoption(name, false), [1]);
      holds(t, s, name, false, `${what} set false`);
    }
  });

  portableOnlySerial(`${name}: set on a master before connect is applied to the connection it makes`, (t) => {
    const server = own(t, socket.bind('127.0.0.1', 0));
    const m = own(t, socket.tcp4());
    t.deepEqual(m.setoption(name, true), [1]);
    t.deepEqual(m.getoption(name), [true]);
    t.deepEqual(m.connect('127.0.0.1', portOf(t, server)), [1]);
    holds(t, m, name, true, 'connected master');
  });
}

/** ss's view of the established connection from local port `port` (its timer column shows keep-alive), or null without ss. */
function ssRow(port: number): string | null {
  try {
    return execFileSync('ss', ['-Htno', 'state', 'established', `sport = :${port}`], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

portableOnlySerial('keepalive is really applied: ss shows the keep-alive timer once it is on, and none once it is off', (t) => {
  // An observation that needs neither engine nor the native helper.
  const { client } = objects(t);
  const port = portOf(t, client);
  const before = ssRow(port);
  if (before === null) return t.pass('ss is not available: not checked');
  t.notRegex(before, /timer:\(keepalive/, 'off by default');
  t.deepEqual(client.setoption('keepalive', true), [1]);
  t.regex(ssRow(port) ?? '', /timer:\(keepalive/, 'on');
  t.deepEqual(client.setoption('keepalive', false), [1]);
  t.notRegex(ssRow(port) ?? '', /timer:\(keepalive/, 'off again');
});

portableOnlySerial('reuseaddr: true once bound or listening (libuv sets it), set true accepted, set false refused when bound', (t) => {
  const o = objects(t);
  t.deepEqual(o.master4.getoption('reuseaddr'), [false]);
  t.deepEqual(o.master4.setoption('reuseaddr', true), [1]);
  t.deepEqual(o.master4.bind('127.0.0.1', 0), [1]);
  holds(t, o.master4, 'reuseaddr', true, 'bound master');
  t.deepEqual(o.master4.setoption('reuseaddr', false), UNSUPPORTED);
  holds(t, o.master4, 'reuseaddr', true, 'bound master after a refused false');
  holds(t, o.server, 'reuseaddr', true, 'socket.bind server');
  t.deepEqual(o.server.setoption('reuseaddr', false), UNSUPPORTED);
  holds(t, o.client, 'reuseaddr', false, 'client connected without bind');
  t.deepEqual(o.master6.getoption('reuseaddr'), [false]);
});

portableOnlySerial('linger: off, or on with timeout 0 (reset at close); any other time is refused and changes nothing', (t) => {
  const { client } = objects(t);
  t.deepEqual(client.getoption('linger'), [{ on: false, timeout: 0 }]);
  t.deepEqual(client.setoption('linger', { on: true, timeout: 0 }), [1]);
  t.deepEqual(client.getoption('linger'), [{ on: true, timeout: 0 }]);
  t.deepEqual(client.setoption('linger', { on: true, timeout: 5 }), UNSUPPORTED);
  t.deepEqual(client.getoption('linger'), [{ on: true, timeout: 0 }], 'the refused value changed nothing');
  t.deepEqual(client.setoption('linger', { on: false, timeout: 5 }), [1]);
  t.deepEqual(client.getoption('linger'), [{ on: false, timeout: 0 }], 'get reports timeout 0');
  // The timeout is truncated as LuaSocket does, so 0.7 is 0.
  t.deepEqual(client.setoption('linger', { on: true, timeout: 0.7 }), [1]);
  t.deepEqual(client.getoption('linger'), [{ on: true, timeout: 0 }]);
});

portableOnlySerial("every other option answers 'not supported on this platform', to get and to set", (t) => {
  const o = objects(t);
  const set: Array<[string, boolean | number]> = [
    ['reuseport', true],
    ['reuseport', false],
    ['tcp-keepidle', 60],
    ['tcp-keepcnt', 5],
    ['tcp-keepintvl', 10],
    ['recv-buffer-size', 65536],
    ['send-buffer-size', 65536],
    ['tcp-defer-accept', 5],
    ['tcp-fastopen', 5],
    ['tcp-fastopen-connect', 1],
  ];
  const get = ['reuseport', 'tcp-keepidle', 'tcp-keepcnt', 'tcp-keepintvl', 'recv-buffer-size', 'send-buffer-size'];
  for (const [what, s] of Object.entries(o)) {
    for (const [name, value] of set) t.deepEqual(s.setoption(name, value), UNSUPPORTED, `${what} set ${name}`);
    for (const name of get) t.deepEqual(s.getoption(name), UNSUPPORTED, `${what} get ${name}`);
  }
});

portableOnlySerial('reuseport is not applied: a second listener asking for it cannot share the port', (t) => {
  const one = own(t, socket.tcp4());
  t.deepEqual(one.setoption('reuseport', true), UNSUPPORTED);
  t.deepEqual(one.bind('127.0.0.1', 0), [1]);
  t.deepEqual(one.listen(), [1]);
  const two = own(t, socket.tcp4());
  t.deepEqual(two.setoption('reuseport', true), UNSUPPORTED);
  t.deepEqual(two.bind('127.0.0.1', portOf(t, one)), [null, 'address already in use']);
});

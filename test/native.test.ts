import test, { type ExecutionContext } from 'ava';
import { type NativeHostent, type NativeSockets, native, nativeLoadError } from '../src/native.js';

/** The addon, failing the test with the load error when it is missing. */
function api(t: ExecutionContext): NativeSockets {
  if (native === null) {
    t.fail(nativeLoadError ?? 'native addon not loaded');
    throw new Error('unreachable');
  }
  return native;
}

/** A fresh socket that is closed when the test ends. */
function openSocket(t: ExecutionContext, n: NativeSockets, family: 4 | 6): number {
  const fd = n.socket(family);
  t.true(fd >= 0, `socket(${family}) failed: ${fd < 0 ? n.strerror(-fd) : ''}`);
  t.teardown(() => {
    n.close(fd);
  });
  return fd;
}

/** Binds to 127.0.0.1 on an ephemeral port and returns that port. */
function bindLoopback(t: ExecutionContext, n: NativeSockets, fd: number): number {
  t.is(n.bind(fd, 4, '127.0.0.1', 0), 0);
  const name = n.getsockname(fd);
  if (typeof name === 'number') {
    t.fail(`getsockname failed: ${n.strerror(name)}`);
    return 0;
  }
  return name[1];
}

function assertHostent(t: ExecutionContext, h: NativeHostent): void {
  t.is(typeof h.name, 'string');
  t.true(Array.isArray(h.aliases) && h.aliases.every((a) => typeof a === 'string'));
  t.true(Array.isArray(h.addresses) && h.addresses.every((a) => typeof a === 'string'));
}

test('addon loads', (t) => {
  t.is(nativeLoadError, null);
  t.not(native, null);
});

test('socket(4) gives a valid stream socket fd', (t) => {
  const n = api(t);
  const fd = openSocket(t, n, 4);
  t.is(n.isSocket(fd), 1);
  t.deepEqual(n.socketInfo(fd), [0, 4, 1]);
});

test('bind to 127.0.0.1:0 then getsockname reports the port', (t) => {
  const n = api(t);
  const fd = openSocket(t, n, 4);
  const port = bindLoopback(t, n, fd);
  t.true(port > 0 && port <= 65535);
  t.deepEqual(n.getsockname(fd), ['127.0.0.1', port, 4]);
});

test('binding a taken port without SO_REUSEADDR gives EADDRINUSE', (t) => {
  const n = api(t);
  const first = openSocket(t, n, 4);
  const port = bindLoopback(t, n, first);
  t.is(n.listen(first, 32), 0);
  const second = openSocket(t, n, 4);
  const err = n.bind(second, 4, '127.0.0.1', port);
  t.is(err, n.constants.EADDRINUSE);
  t.is(n.strerror(err), 'Address already in use');
});

test('bind rejects an unparseable literal with EINVAL', (t) => {
  const n = api(t);
  const fd = openSocket(t, n, 4);
  t.is(n.bind(fd, 4, 'not-an-address', 0), n.constants.EINVAL);
});

test('getpeername on an unconnected socket gives ENOTCONN', (t) => {
  const n = api(t);
  const fd = openSocket(t, n, 4);
  t.is(n.getpeername(fd), n.constants.ENOTCONN);
});

test('setsockoptInt/getsockoptInt round-trip TCP_NODELAY and SO_KEEPALIVE', (t) => {
  const n = api(t);
  const c = n.constants;
  const fd = openSocket(t, n, 4);
  for (const [level, name] of [
    [c.IPPROTO_TCP, c.TCP_NODELAY],
    [c.SOL_SOCKET, c.SO_KEEPALIVE],
  ] as const) {
    t.is(n.setsockoptInt(fd, level, name, 1), 0);
    t.deepEqual(n.getsockoptInt(fd, level, name), [0, 1]);
    t.is(n.setsockoptInt(fd, level, name, 0), 0);
    t.deepEqual(n.getsockoptInt(fd, level, name), [0, 0]);
  }
});

test('setLinger/getLinger round-trip', (t) => {
  const n = api(t);
  const fd = openSocket(t, n, 4);
  t.deepEqual(n.getLinger(fd), [0, false, 0]);
  t.is(n.setLinger(fd, true, 5), 0);
  t.deepEqual(n.getLinger(fd), [0, true, 5]);
  t.is(n.setLinger(fd, false, 0), 0);
  // Linux keeps the old linger time when turning lingering off; only `on` resets.
  const [err, on] = n.getLinger(fd);
  t.deepEqual([err, on], [0, false]);
});

test('getSocketError is 0 on a fresh socket', (t) => {
  const n = api(t);
  const fd = openSocket(t, n, 4);
  t.is(n.getSocketError(fd), 0);
});

test('socket(6) is IPv6-only', (t) => {
  const n = api(t);
  const c = n.constants;
  const fd = openSocket(t, n, 6);
  t.deepEqual(n.getsockoptInt(fd, c.IPPROTO_IPV6, c.IPV6_V6ONLY), [0, 1]);
  t.deepEqual(n.socketInfo(fd), [0, 6, 1]);
});

test('close then getsockname gives EBADF', (t) => {
  const n = api(t);
  const fd = n.socket(4);
  t.true(fd >= 0);
  t.is(n.close(fd), 0);
  t.is(n.getsockname(fd), n.constants.EBADF);
  t.is(n.isSocket(fd), -n.constants.EBADF);
  t.is(n.strerror(n.constants.EBADF), 'Bad file descriptor');
});

test('dup gives a distinct fd for the same socket', (t) => {
  const n = api(t);
  const fd = openSocket(t, n, 4);
  const port = bindLoopback(t, n, fd);
  const copy = n.dup(fd);
  t.true(copy >= 0 && copy !== fd);
  t.deepEqual(n.getsockname(copy), ['127.0.0.1', port, 4]);
  t.is(n.close(copy), 0);
});

test('wrong argument types throw TypeError', (t) => {
  const n = api(t);
  const loose = n as unknown as Record<string, (...args: unknown[]) => unknown>;
  t.throws(() => loose.close?.('3'), { instanceOf: TypeError });
  t.throws(() => loose.close?.(2 ** 32 + 3), { instanceOf: TypeError });
  t.throws(() => loose.bind?.(3, 4, 127, 0), { instanceOf: TypeError });
});

test('getaddrinfo on a numeric IPv4 literal', (t) => {
  const n = api(t);
  t.deepEqual(n.getaddrinfo('127.0.0.1', '80', 0, false), [0, [[4, '127.0.0.1', 80]]]);
});

test('getaddrinfo on an unresolvable name fails', (t) => {
  const n = api(t);
  const c = n.constants;
  const [code, list] = n.getaddrinfo('nonexistent.invalid', null, 0, false);
  t.not(code, 0);
  t.true(code === c.EAI_NONAME || code === c.EAI_AGAIN || code === c.EAI_NODATA, `code ${code}`);
  t.deepEqual(list, []);
  const text = n.gaiStrerror(c.EAI_NONAME);
  t.is(typeof text, 'string');
  t.true(text.length > 0);
});

test('getnameinfo on ::1 returns host and service', (t) => {
  const n = api(t);
  const [code, host, service] = n.getnameinfo(6, '::1', 80, true, true);
  t.is(code, 0);
  t.is(typeof host, 'string');
  t.is(typeof service, 'string');
  t.deepEqual(n.getnameinfo(4, 'bogus', 80, true, false), [n.constants.EAI_NONAME, null, null]);
});

test('gethostbyaddr accepts inet_aton short forms', (t) => {
  const n = api(t);
  const c = n.constants;
  const [herrno, hostent] = n.gethostbyaddr('127.1');
  if (hostent === null) {
    t.is(herrno, c.HOST_NOT_FOUND);
  } else {
    t.is(herrno, 0);
    assertHostent(t, hostent);
  }
  t.deepEqual(n.gethostbyaddr('not an address'), [c.HOST_NOT_FOUND, null]);
  t.is(typeof n.hstrerror(c.HOST_NOT_FOUND), 'string');
});

test('gethostbyname on a numeric address echoes it', (t) => {
  const n = api(t);
  const [herrno, hostent] = n.gethostbyname('127.0.0.1');
  t.is(herrno, 0);
  if (hostent !== null) {
    assertHostent(t, hostent);
    t.deepEqual(hostent.addresses, ['127.0.0.1']);
  } else {
    t.fail('no hostent');
  }
});

test('gethostname returns a name', (t) => {
  const n = api(t);
  const [err, name] = n.gethostname();
  t.is(err, 0);
  t.true(name.length > 0);
});

/**
 * Unix-domain stream sockets (socket.unix, socket.unix.stream): LuaSocket 3.1.0's methods
 * and states, TCP's stream methods on socket files in a temp directory, paths and their
 * failures (any failed bind or connect closes the socket), and the portable engine's
 * documented answers.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import * as socket from '../src/index.js';
import { loose, throwsLua } from './helpers/client.js';
import { keep, portable, sockDir } from './helpers/dgram.js';

type U = socket.UnixStream;
const NS = [null, 'not supported on this platform'];

function master(t: ExecutionContext): U {
  return keep(t, socket.unix()).setencoding('latin1');
}

/** A listening server at `dir/name` and a client connected to it, and the accepted end. */
function connected(t: ExecutionContext, dir: string, name = 'srv.sock'): { s: U; c: U; a: U; path: string } {
  const path = join(dir, name);
  const s = master(t);
  t.deepEqual(s.bind(path), [1]);
  t.deepEqual(s.listen(), [1]);
  s.settimeout(5);
  const c = master(t);
  c.settimeout(5);
  t.deepEqual(c.connect(path), [1]);
  const [a] = s.accept();
  if (!a) throw new Error('accept failed');
  t.teardown(() => a.close());
  a.settimeout(5);
  return { s, c, a: a.setencoding('latin1'), path };
}

test('socket.unix is a function; stream/dgram and their tcp/udp aliases; classes', (t) => {
  t.is(typeof socket.unix, 'function');
  t.is(socket.unix.tcp, socket.unix.stream);
  t.is(socket.unix.udp, socket.unix.dgram);
  const m = keep(t, (socket.unix as (...a: unknown[]) => [U])('ignored'));
  t.is(m.class, 'unixstream{master}');
  t.regex(String(m), /^unixstream\{master\}: 0x[0-9a-f]+$/);
  const m2 = keep(t, socket.unix.stream());
  t.is(m2.class, 'unixstream{master}');
  t.deepEqual(m.getsockname(), ['']);
  t.deepEqual(m.dirty(), [false]);
  if (portable) t.deepEqual(m.getfd(), [-1], 'no OS socket before bind, connect or listen');
  else t.true(m.getfd()[0] >= 0);
});

test('gettimeout, getoption, getpeername and getfamily do not exist (as in 3.1.0)', (t) => {
  const m = master(t) as unknown as Record<string, unknown>;
  for (const name of ['gettimeout', 'getoption', 'getpeername', 'getfamily']) t.is(m[name], undefined, name);
  for (const name of [
    'settimeout',
    'getstats',
    'setstats',
    'shutdown',
    'accept',
    'bind',
    'listen',
    'connect',
    'setpeername',
    'setsockname',
  ]) {
    t.is(typeof m[name], 'function', name);
  }
});

test('which methods each state accepts', (t) => {
  const m = master(t);
  for (const name of ['send', 'receive', 'getstats', 'shutdown']) {
    throwsLua(t, () => loose(m, name)('x'), `calling '${name}' on bad self (unixstream{client} expected)`);
  }
  throwsLua(t, () => m.accept(), "calling 'accept' on bad self (unixstream{server} expected)");
  const { s, c, a } = connected(t, sockDir(t));
  t.is(s.class, 'unixstream{server}');
  t.is(c.class, 'unixstream{client}');
  t.is(a.class, 'unixstream{client}');
  for (const name of ['bind', 'listen', 'connect', 'setpeername', 'setsockname']) {
    throwsLua(t, () => loose(c, name)('x'), `calling '${name}' on bad self (unixstream{master} expected)`);
    throwsLua(t, () => loose(s, name)('x'), `calling '${name}' on bad self (unixstream{master} expected)`);
  }
  throwsLua(t, () => s.receive(), "calling 'receive' on bad self (unixstream{client} expected)");
  throwsLua(t, () => a.accept(), "calling 'accept' on bad self (unixstream{server} expected)");
});

test('names: the bound path; an accepted socket has the server\'s; a client ""', (t) => {
  const { s, c, a, path } = connected(t, sockDir(t));
  t.deepEqual(s.getsockname(), [path]);
  t.deepEqual(a.getsockname(), [path]);
  t.deepEqual(c.getsockname(), ['']);
});

test('every receive pattern, prefixes, partials, send ranges and statistics', (t) => {
  const { c, a } = connected(t, sockDir(t));
  t.deepEqual(a.send('line one\r\nline two\nrest'), [23]);
  t.deepEqual(c.receive(), ['line one']);
  t.deepEqual(c.receive('*l'), ['line two']);
  t.deepEqual(c.receive(2), ['re']);
  t.deepEqual(c.dirty(), [true]);
  t.deepEqual(c.receive(2, 'pre-'), ['pre-']);
  c.settimeout(0.2);
  t.deepEqual(c.receive('*l'), [null, 'timeout', 'st']);
  t.deepEqual(c.receive('*a'), [null, 'timeout', '']);
  c.settimeout(5);
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('latin1');
  a.send(all);
  t.deepEqual(c.receive(256), [all]);
  t.deepEqual(c.send('abc', 2), [3]);
  t.deepEqual(c.send('abc', 2, 2), [2]);
  t.deepEqual(c.send('abc', -1), [3]);
  t.deepEqual(a.receive(3), ['bcb']);
  t.deepEqual(a.receive(1), ['c']);
  const big = '0123456789'.repeat(100000);
  t.deepEqual(c.send(big), [1000000]);
  t.deepEqual(a.receive(1000000), [big]);
  const [r, s] = c.getstats();
  t.is(r, 23 + 256);
  t.is(s, 2 + 1 + 1 + 1000000);
  throwsLua(t, () => c.receive('l'), "bad argument #1 to 'receive' (invalid receive pattern)");
});

test('shutdown and the peer closing: partials, then closed; sends to a closed peer fail', (t) => {
  const { c, a } = connected(t, sockDir(t));
  t.deepEqual(c.send('last\n'), [5]);
  t.deepEqual(c.shutdown('send'), [1]);
  t.deepEqual(c.send('x'), [null, 'closed', 0]);
  t.deepEqual(a.receive('*a'), ['last\n']);
  a.send('after my shutdown\npartial');
  t.deepEqual(c.receive(), ['after my shutdown']);
  a.close();
  t.deepEqual(c.receive(), [null, 'closed', 'partial']);
  t.deepEqual(c.receive('*a'), [null, 'closed', '']);
  throwsLua(t, () => c.shutdown('bogus' as never), "bad argument #1 to 'shutdown' (invalid option 'bogus')");
  c.close();
  t.deepEqual(c.send('x'), [null, 'closed', 0]);
  t.deepEqual(c.receive(), [null, 'closed', '']);
  t.deepEqual(c.getsockname(), [null, 'Bad file descriptor']);
  t.deepEqual(c.getfd(), [-1]);
});

test('accept: a timeout, then connections in order; select sees a pending one', (t) => {
  const dir = sockDir(t);
  const path = join(dir, 'srv.sock');
  const s = master(t);
  t.deepEqual(s.bind(path), [1]);
  t.deepEqual(s.listen(5), [1]);
  s.settimeout(0.2);
  t.deepEqual(s.accept(), [null, 'timeout']);
  t.deepEqual(socket.select([s], null, 0), [[], [], 'timeout']);
  const c1 = master(t);
  const c2 = master(t);
  t.deepEqual(c1.connect(path), [1]);
  t.deepEqual(c2.connect(path), [1]);
  t.deepEqual(socket.select([s], null, 2)[0], [s]);
  const [a1] = s.accept();
  const [a2] = s.accept();
  if (!a1 || !a2) throw new Error('accept failed');
  t.teardown(() => {
    a1.close();
    a2.close();
  });
  c2.send('to the second\n');
  a2.settimeout(5);
  t.deepEqual(a2.receive(), ['to the second']);
});

test("path failures: too long (socket kept), in use (a closed owner's file stays), missing directory, missing file", (t) => {
  const dir = sockDir(t);
  const a = master(t);
  const long = join(dir, 'p'.padEnd(108 - dir.length - 1, 'x'));
  t.is(Buffer.byteLength(long), 108);
  t.deepEqual(a.bind(long), [null, 'path too long']);
  t.deepEqual(a.connect(long), [null, 'path too long']);
  t.not(a.getfd()[0], portable ? 0 : -1);
  t.deepEqual(a.bind(long.slice(0, 107)), [1]);
  a.listen();
  a.close();
  const b = master(t);
  t.deepEqual(b.bind(long.slice(0, 107)), [null, 'address already in use']);
  t.deepEqual(b.getfd(), [-1], 'a failed bind closes the socket');
  t.deepEqual(b.bind(join(dir, 'other.sock')), [null, 'Bad file descriptor']);
  t.deepEqual(b.listen(), [null, 'Bad file descriptor']);
  t.deepEqual(b.connect(long.slice(0, 107)), [null, 'closed']);
  t.is(b.class, 'unixstream{master}');
  t.deepEqual(master(t).bind(join(dir, 'nodir', 'x.sock')), [null, 'No such file or directory']);
  const c = master(t);
  t.deepEqual(c.connect(join(dir, 'absent.sock')), [null, 'No such file or directory']);
  t.deepEqual(c.getfd(), [-1], 'a failed connect closes the socket');
  t.deepEqual(master(t).connect(long.slice(0, 107)), [null, 'connection refused'], "a closed listener's file");
  writeFileSync(join(dir, 'plain'), 'x');
  t.deepEqual(master(t).connect(join(dir, 'plain')), [null, 'connection refused']);
  t.deepEqual(master(t).connect(dir), [null, 'connection refused']);
  t.deepEqual(master(t).bind(dir), [null, 'address already in use']);
  t.deepEqual(master(t).connect(''), [null, 'Invalid argument']);
  const m = master(t);
  t.deepEqual(m.listen(), [null, 'Invalid argument'], 'listen before bind');
  t.is(m.class, 'unixstream{master}');
  t.deepEqual(m.bind(join(dir, 'ok.sock')), [1], 'a failed listen keeps the socket');
  throwsLua(t, () => loose(m, 'bind')(), "bad argument #1 to 'bind' (string expected, got no value)");
});

test("bind(''): the kernel's autobind to an abstract name (not on the portable engine)", (t) => {
  const i = master(t);
  if (portable) {
    t.deepEqual(i.bind(''), NS);
    return;
  }
  t.deepEqual(i.bind(''), [1]);
  t.deepEqual(i.getsockname(), ['']);
});

test('a full backlog: 3.1.0 reports a connect with a timeout as a success, unconnected (native)', (t) => {
  if (portable) {
    t.pass('node:net accepts connections as they come: no backlog to fill (README)');
    return;
  }
  const dir = sockDir(t);
  const path = join(dir, 'full.sock');
  const srv = master(t);
  srv.bind(path);
  t.deepEqual(srv.listen(0), [1]);
  const c1 = master(t);
  c1.settimeout(0.2);
  t.deepEqual(c1.connect(path), [1]);
  const c2 = master(t);
  c2.settimeout(1);
  t.deepEqual(c2.connect(path), [1]);
  t.is(c2.class, 'unixstream{client}');
  t.deepEqual(c2.send('x'), [null, 'Transport endpoint is not connected', 0]);
  t.deepEqual(c2.receive(1), [null, 'Invalid argument', '']);
  const c3 = master(t);
  c3.settimeout(0);
  t.deepEqual(c3.connect(path), [null, 'timeout']);
  t.is(c3.class, 'unixstream{master}');
  t.deepEqual(c3.getfd(), [-1]);
});

test('options: keepalive, reuseaddr, linger (portable: node:net applies none to pipes); others raise', (t) => {
  const m = master(t);
  throwsLua(t, () => m.setoption('tcp-nodelay', true), "bad argument #1 to 'setoption' (unsupported option `tcp-nodelay')");
  throwsLua(t, () => m.setoption('broadcast', true), "bad argument #1 to 'setoption' (unsupported option `broadcast')");
  throwsLua(t, () => m.setoption('linger', { on: true } as never), "bad argument #2 to 'setoption' (number 'timeout' field expected)");
  throwsLua(t, () => m.setoption('keepalive', 1 as never), "bad argument #2 to 'setoption' (boolean expected, got number)");
  const want = portable ? NS : [1];
  t.deepEqual(m.setoption('keepalive', true), want);
  t.deepEqual(m.setoption('reuseaddr', false), want);
  t.deepEqual(m.setoption('linger', { on: true, timeout: 1 }), want);
  m.close();
  t.deepEqual(m.setoption('keepalive', true), [null, 'setsockopt failed']);
});

test('select: a fresh master is readable and writable; a listener is readable with a pending connection', (t) => {
  const m = master(t);
  t.deepEqual(socket.select([m], [m], 0), [[m], [m]]);
  const { s, c } = connected(t, sockDir(t));
  t.deepEqual(socket.select([s, c], [s, c], 0), [[], [c]]);
});

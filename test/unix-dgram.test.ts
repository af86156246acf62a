/**
 * Unix-domain datagram sockets (socket.unix.dgram): LuaSocket 3.1.0's methods and states,
 * paths for addresses, datagrams as for UDP, 3.1.0's closing of the socket on a failed
 * bind or connect. node:dgram has none: on the portable engine socket.unix.dgram()
 * answers 'not supported on this platform'.
 */
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import * as socket from '../src/index.js';
import { loose, throwsLua } from './helpers/client.js';
import { keep, portable, sockDir } from './helpers/dgram.js';

type D = socket.UnixDgram;

function dgram(t: ExecutionContext): D {
  return keep(t, socket.unix.dgram()).setencoding('latin1');
}

/** Two bound datagram sockets in a fresh directory. */
function two(t: ExecutionContext): { a: D; b: D; pa: string; pb: string; dir: string } {
  const dir = sockDir(t);
  const a = dgram(t);
  const b = dgram(t);
  const pa = join(dir, 'a.sock');
  const pb = join(dir, 'b.sock');
  t.deepEqual(a.bind(pa), [1]);
  t.deepEqual(b.bind(pb), [1]);
  a.settimeout(5);
  b.settimeout(5);
  return { a, b, pa, pb, dir };
}

if (portable) {
  test("the portable engine: socket.unix.dgram() answers 'not supported on this platform'", (t) => {
    t.deepEqual(socket.unix.dgram(), [null, 'not supported on this platform']);
    t.deepEqual(socket.unix.udp(), [null, 'not supported on this platform']);
  });
} else {
  test('methods, classes, and the methods it does not have', (t) => {
    const d = dgram(t);
    t.is(d.class, 'unixdgram{unconnected}');
    t.regex(String(d), /^unixdgram\{unconnected\}: 0x[0-9a-f]+$/);
    t.true(d.getfd()[0] >= 0);
    t.deepEqual(d.dirty(), [false]);
    t.deepEqual(d.getsockname(), ['']);
    t.deepEqual(d.gettimeout(), [-1, -1]);
    const m = d as unknown as Record<string, unknown>;
    for (const name of ['getoption', 'getpeername', 'getfamily', 'getstats', 'shutdown', 'listen', 'accept'])
      t.is(m[name], undefined, name);
    throwsLua(t, () => d.send('x'), "calling 'send' on bad self (unixdgram{connected} expected)");
    t.deepEqual(d.setoption('reuseaddr', true), [1]);
    throwsLua(t, () => d.setoption('broadcast', true), "bad argument #1 to 'setoption' (unsupported option `broadcast')");
    d.settimeout(0);
    t.deepEqual(d.receive(), [null, 'timeout']);
    t.deepEqual(d.receivefrom(), [null, 'timeout']);
  });

  test('sendto / receivefrom with paths; an unnamed sender is ""', (t) => {
    const { a, b, pa, pb } = two(t);
    t.deepEqual(b.getsockname(), [pb]);
    t.deepEqual(a.sendto('hello', pb), [5]);
    t.deepEqual(b.receivefrom(), ['hello', pa]);
    t.deepEqual(a.sendto('', pb), [0]);
    t.deepEqual(b.receivefrom(), ['', pa]);
    t.deepEqual(a.sendto(12, pb), [2]);
    t.deepEqual(b.receive(), ['12']);
    const anon = dgram(t);
    t.deepEqual(anon.sendto('from nobody', pb), [11]);
    t.deepEqual(b.receivefrom(), ['from nobody', '']);
  });

  test('sizes as for UDP: 8192 by default, the rest discarded, receive(0) consumes, out of memory', (t) => {
    const { a, b, pb } = two(t);
    a.sendto('a'.repeat(10000), pb);
    t.is((b.receive()[0] as string).length, 8192);
    a.sendto('a'.repeat(10000), pb);
    t.is((b.receivefrom(20000)[0] as string).length, 10000);
    a.sendto('hello world', pb);
    t.deepEqual(b.receivefrom(5)[0], 'hello');
    a.sendto('gone', pb);
    t.deepEqual(b.receive(0), ['']);
    b.settimeout(0.2);
    t.deepEqual(b.receive(), [null, 'timeout']);
    t.deepEqual(b.receive(-1), [null, 'out of memory']);
    t.deepEqual(a.sendto('s'.repeat(65536), pb), [65536]);
    throwsLua(t, () => loose(b, 'receive')('x'), "bad argument #1 to 'receive' (number expected, got string)");
    throwsLua(t, () => loose(a, 'sendto')('x'), "bad argument #2 to 'sendto' (string expected, got no value)");
  });

  test('connected: send / receive, strangers refused by the kernel, the peer gone', (t) => {
    const { a: peer, pa: ppath, dir } = two(t);
    const c = dgram(t);
    const cpath = join(dir, 'c.sock');
    t.deepEqual(c.bind(cpath), [1]);
    t.deepEqual(c.connect(ppath), [1]);
    t.is(c.class, 'unixdgram{connected}');
    c.settimeout(2);
    t.deepEqual(c.send('to the peer'), [11]);
    t.deepEqual(peer.receivefrom(), ['to the peer', cpath]);
    peer.sendto('to c', cpath);
    t.deepEqual(c.receive(), ['to c']);
    for (const m of ['receivefrom', 'sendto', 'bind']) {
      throwsLua(t, () => loose(c, m)('x', ppath), `calling '${m}' on bad self (unixdgram{unconnected} expected)`);
    }
    t.deepEqual(c.setpeername(ppath), [1], 'connecting again is allowed');
    const s = dgram(t);
    t.deepEqual(s.bind(join(dir, 's.sock')), [1]);
    t.deepEqual(s.sendto('x', cpath), [null, 'Operation not permitted']);
    peer.close();
    t.deepEqual(c.send('anyone?'), [null, 'connection refused']);
    t.deepEqual(c.send('anyone?'), [null, 'Transport endpoint is not connected']);
    t.deepEqual(c.connect(join(dir, 'absent.sock')), [null, 'No such file or directory']);
    t.is(c.class, 'unixdgram{connected}', 'the class stays');
    t.deepEqual(c.getfd(), [-1], 'a failed connect closes the socket');
    t.deepEqual(c.send('x'), [null, 'refused']);
    t.deepEqual(c.receive(), ['']);
    t.deepEqual(c.connect(ppath), [null, 'closed']);
  });

  test('path failures; a second bind fails and closes the socket; a closed object', (t) => {
    const { a, b, pb, dir } = two(t);
    const long = join(dir, 'p'.padEnd(108 - dir.length - 1, 'x'));
    t.deepEqual(a.sendto('x', long), [null, 'path too long']);
    t.deepEqual(a.sendto('x', join(dir, 'absent.sock')), [null, 'No such file or directory']);
    t.deepEqual(a.sendto('x', dir), [null, 'connection refused']);
    t.deepEqual(a.sendto('x', ''), [null, 'Invalid argument']);
    const srv = keep(t, socket.unix());
    srv.bind(join(dir, 'stream.sock'));
    srv.listen();
    const t1 = dgram(t);
    t.deepEqual(t1.connect(join(dir, 'stream.sock')), [null, 'Protocol wrong type for socket']);
    t.deepEqual(b.setsockname(join(dir, 'second.sock')), [null, 'Invalid argument']);
    t.deepEqual(b.getfd(), [-1]);
    t.deepEqual(b.getsockname(), [null, 'Bad file descriptor']);
    t.deepEqual(b.sendto('x', pb), [null, 'refused']);
    t.deepEqual(b.receive(), ['']);
    t.deepEqual(b.receivefrom(), ['', '']);
    t.deepEqual(b.bind(join(dir, 'third.sock')), [null, 'Bad file descriptor']);
    t.deepEqual(b.setoption('reuseaddr', true), [null, 'setsockopt failed']);
    const e = dgram(t);
    t.deepEqual(e.bind(pb), [null, 'address already in use'], "the closed owner's file remains");
  });

  test('select: readable with a datagram queued, writable', (t) => {
    const { a, b, pb } = two(t);
    t.deepEqual(socket.select([b], [b], 0), [[], [b]]);
    a.sendto('x', pb);
    t.deepEqual(socket.select([b], null, 2), [[b], []]);
  });
}

/**
 * The rest of the client surface: close (6.8), getpeername/getsockname (6.9, 6.10),
 * getstats/setstats (6.11), shutdown (6.15), dirty (6.16), getfamily (6.17), tostring and
 * class (6.19); the socket.* helpers sleep, gettime, skip, try, newtry, protect (7.2-7.4)
 * and _VERSION; and the receive encodings (utf8, latin1, buffer).
 */
import test, { type ExecutionContext } from 'ava';
import * as socket from '../src/index.js';
import { dial, listening, loose, pair, throwsLua } from './helpers/client.js';
import { portable } from './helpers/engine.js';

type Sock = socket.TcpSocket;
type AnyFn = (...a: unknown[]) => unknown;

function master(t: ExecutionContext, make: () => socket.Created = socket.tcp4): Sock {
  const [m, err] = make();
  if (!m) throw new Error(`socket creation failed: ${err}`);
  t.teardown(() => m.close());
  return m;
}

function arrived(t: ExecutionContext, c: Sock): void {
  t.deepEqual(socket.select([c], null, 5)[0], [c], 'peer data or EOF reached the client');
}

function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, performance.now() - t0];
}

/** Runs `f` and returns what it threw (any value), failing the test if it did not throw. */
function thrown(t: ExecutionContext, f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  t.fail('expected a throw');
  return undefined;
}

// ---------------------------------------------------------------- close

test.serial('close twice; a closed client keeps its class and name; the peer sees the end', (t) => {
  const { peer, c } = pair(t);
  const name = String(c);
  t.deepEqual(c.close(), [1]);
  t.deepEqual(c.close(), [1]);
  t.deepEqual(c.getfd(), [-1]);
  t.is(c.class, 'tcp{client}');
  t.is(String(c), name);
  t.deepEqual(c.getsockname(), [null, 'Bad file descriptor']);
  t.deepEqual(c.getpeername(), [null, 'Bad file descriptor']);
  t.deepEqual(c.getoption('tcp-nodelay'), [null, 'getsockopt failed']);
  t.deepEqual(c.setoption('tcp-nodelay', true), [null, 'setsockopt failed']);
  t.deepEqual(c.shutdown(), [1]);
  t.deepEqual(c.settimeout(1), [1]);
  t.deepEqual(c.dirty(), [false]);
  t.deepEqual(c.getstats().slice(0, 2), [0, 0]);
  const r = peer.recvAll().result();
  t.deepEqual([r.data, r.eof], ['', true]);
});

test.serial('close sends what was written first, then the end of stream', (t) => {
  const { peer, c } = pair(t);
  t.deepEqual(c.send('last words'), [10]);
  t.deepEqual(c.close(), [1]);
  const r = peer.recvAll().result();
  t.deepEqual([r.data, r.eof], ['last words', true]);
});

// ---------------------------------------------------------------- names

test.serial('getpeername and getsockname shapes (ports are numbers)', (t) => {
  const { peer, c } = pair(t);
  t.deepEqual(c.getpeername(), ['127.0.0.1', peer.port, 'inet']);
  const s = c.getsockname();
  t.is(s.length, 3);
  t.deepEqual([s[0], typeof s[1], s[2]], ['127.0.0.1', 'number', 'inet']);
  t.true(Number.isInteger(s[1]) && (s[1] as number) > 0 && (s[1] as number) < 65536);
  t.not(s[1], peer.port);

  const peer6 = listening(t, '::1');
  const c6 = dial(t, peer6, '::1');
  t.deepEqual(c6.getpeername(), ['::1', peer6.port, 'inet6']);
  const s6 = c6.getsockname();
  t.deepEqual([s6[0], typeof s6[1], s6[2]], ['::1', 'number', 'inet6']);

  const m = master(t);
  t.deepEqual(m.getsockname(), ['0.0.0.0', 0, 'inet']);
  t.deepEqual(m.getpeername(), [null, 'Transport endpoint is not connected']);
  const u = master(t, socket.tcp);
  t.deepEqual(u.getpeername(), [null, 'Bad file descriptor']);
  t.deepEqual(u.getsockname(), [null, 'Bad file descriptor']);
});

// ---------------------------------------------------------------- stats

test.serial('getstats counts received and sent bytes and the age; setstats overrides them', (t) => {
  const { peer, c } = pair(t);
  const [r0, s0, a0] = c.getstats();
  t.deepEqual([r0, s0], [0, 0]);
  t.true(a0 >= 0 && a0 < 5, `age ${a0}`);
  peer.send('abc');
  t.deepEqual(c.send('12345'), [5]);
  t.deepEqual(c.receive(3), ['abc']);
  t.deepEqual(c.getstats().slice(0, 2), [3, 5]);
  t.deepEqual(c.setstats(100, 200, 10), [1]);
  const [r1, s1, a1] = c.getstats();
  t.deepEqual([r1, s1], [100, 200]);
  t.true(a1 >= 10 && a1 < 11, `age ${a1}`);
  t.deepEqual(c.setstats(), [1]);
  t.deepEqual(c.getstats().slice(0, 2), [100, 200]);
  t.deepEqual(c.setstats(null, 7), [1]);
  t.deepEqual(c.getstats().slice(0, 2), [100, 7]);
  t.deepEqual(loose(c, 'setstats')(1.9, '3', '5'), [1]);
  const [r2, s2, a2] = c.getstats();
  t.deepEqual([r2, s2], [1, 3]);
  t.true(a2 >= 5 && a2 < 6, `age ${a2}`);
  throwsLua(t, () => loose(c, 'setstats')('x'), "bad argument #1 to 'setstats' (number expected, got string)");
  // LuaSocket stores each value before checking the next argument.
  throwsLua(t, () => loose(c, 'setstats')(9, 'y'), "bad argument #2 to 'setstats' (number expected, got string)");
  t.deepEqual(c.getstats().slice(0, 2), [9, 3]);
  t.deepEqual(loose(c, 'setstats')(4, 2, 'notnum'), [1]);
  const [r3, s3, a3] = c.getstats();
  t.deepEqual([r3, s3], [4, 2]);
  t.true(a3 >= 5 && a3 < 6, `a non-numeric age is ignored (age ${a3})`);
  // Counting goes on from the new values.
  t.deepEqual(c.send('xy'), [2]);
  t.deepEqual(c.getstats().slice(0, 2), [4, 4]);
});

test.serial("a client's age counts from the creation of its master", (t) => {
  const peer = listening(t);
  const m = master(t, socket.tcp);
  socket.sleep(0.2);
  peer.accept();
  t.deepEqual(m.connect('127.0.0.1', peer.port), [1]);
  const age = m.getstats()[2];
  t.true(age >= 0.19 && age < 2, `age ${age}`);
});

test.serial('getstats and setstats are client methods', (t) => {
  const m = master(t);
  throwsLua(t, () => loose(m, 'getstats')(), "calling 'getstats' on bad self (tcp{client} expected)");
  throwsLua(t, () => loose(m, 'setstats')(1), "calling 'setstats' on bad self (tcp{client} expected)");
  const [srv] = socket.bind('127.0.0.1', 0);
  if (!srv) return t.fail();
  t.teardown(() => srv.close());
  throwsLua(t, () => loose(srv, 'getstats')(), "calling 'getstats' on bad self (tcp{client} expected)");
});

// ---------------------------------------------------------------- shutdown

test.serial("shutdown('send'): the peer reads the end of stream, receiving still works", (t) => {
  const { peer, c } = pair(t);
  peer.send('reply\n').result();
  arrived(t, c);
  t.deepEqual(c.send('bye'), [3]);
  t.deepEqual(c.shutdown('send'), [1]);
  const r = peer.recvAll().result();
  t.deepEqual([r.data, r.eof], ['bye', true]);
  t.deepEqual(c.receive(), ['reply']);
  t.deepEqual(c.send('x'), [null, 'closed', 0]);
  t.deepEqual(c.shutdown('send'), [1]);
  // The scripted peer (node:net, no half-open) closes its side once it sees our end.
  t.deepEqual(c.receive(), [null, 'closed', '']);
});

test.serial("shutdown('send'): data sent by a half-open peer afterwards still arrives", (t) => {
  // node:net peers close on EOF, so the far end here is an accepted LuaSocket client.
  const [srv] = socket.bind('127.0.0.1', 0);
  if (!srv) return t.fail();
  t.teardown(() => srv.close());
  const [c, err] = socket.connect('127.0.0.1', srv.getsockname()[1] as number);
  if (!c) return t.fail(err);
  t.teardown(() => c.close());
  srv.settimeout(5);
  const [a] = srv.accept();
  if (!a) return t.fail();
  t.teardown(() => a.close());
  a.settimeout(5);
  c.settimeout(5);
  t.deepEqual(c.send('bye'), [3]);
  t.deepEqual(c.shutdown('send'), [1]);
  t.deepEqual(a.receive('*a'), ['bye']);
  t.deepEqual(a.send('reply\n'), [6]);
  t.deepEqual(c.receive(), ['reply']);
  a.close();
  t.deepEqual(c.receive(), [null, 'closed', '']);
});

test.serial("shutdown() is 'both': nothing goes either way", (t) => {
  const { peer, c } = pair(t);
  t.deepEqual(c.shutdown(), [1]);
  const r = peer.recvAll().result();
  t.deepEqual([r.data, r.eof], ['', true]);
  t.deepEqual(c.send('x'), [null, 'closed', 0]);
  t.deepEqual(c.receive(), [null, 'closed', '']);
  t.deepEqual(c.shutdown(), [1]);
  t.deepEqual(c.shutdown('both'), [1]);
});

test.serial("shutdown('receive'): sending and receiving still work", (t) => {
  const { peer, c } = pair(t);
  t.deepEqual(c.shutdown('receive'), [1]);
  t.deepEqual(c.send('x'), [1]);
  t.is(peer.recv(1).result().data, 'x');
  // Linux does not discard what arrives afterwards: it can still be read. An empty queue
  // reads as the end at once (as recv(2) after SHUT_RD does), so the bytes must be there.
  peer.send('from-peer\n').result();
  c.settimeout(5);
  if (portable) {
    // No kernel view (portable item 10): the worker publishes the bytes a moment later;
    // until then a receive says the stream ended, as it would with nothing queued.
    const end = performance.now() + 5000;
    let r = c.receive();
    while (r[0] === null && r[1] === 'closed' && performance.now() < end) r = c.receive();
    t.deepEqual(r, ['from-peer']);
  } else t.deepEqual(c.receive(), ['from-peer']);
  t.deepEqual(c.shutdown('receive'), [1]);
});

test.serial('shutdown argument errors, closed objects, wrong class', (t) => {
  const { c } = pair(t);
  const sd = loose(c, 'shutdown');
  throwsLua(t, () => sd('BOTH'), "bad argument #1 to 'shutdown' (invalid option 'BOTH')");
  throwsLua(t, () => sd('rd'), "bad argument #1 to 'shutdown' (invalid option 'rd')");
  throwsLua(t, () => sd(1), "bad argument #1 to 'shutdown' (invalid option '1')");
  throwsLua(t, () => sd({}), "bad argument #1 to 'shutdown' (string expected, got table)");
  c.close();
  t.deepEqual(c.shutdown('send'), [1]);
  const m = master(t);
  throwsLua(t, () => loose(m, 'shutdown')(), "calling 'shutdown' on bad self (tcp{client} expected)");
});

// ---------------------------------------------------------------- dirty, getfamily, tostring

test.serial('dirty is true only while bytes sit in the input buffer', (t) => {
  const { peer, c } = pair(t);
  t.deepEqual(c.dirty(), [false]);
  peer.send('l1\nl2\n').result();
  arrived(t, c);
  t.deepEqual(c.dirty(), [false], 'bytes not yet read by a receive do not count');
  t.deepEqual(c.receive(), ['l1']);
  t.deepEqual(c.dirty(), [true]);
  t.deepEqual(c.receive(), ['l2']);
  t.deepEqual(c.dirty(), [false]);
  t.deepEqual(master(t).dirty(), [false]);
  const [srv] = socket.bind('127.0.0.1', 0);
  if (!srv) return t.fail();
  t.teardown(() => srv.close());
  t.deepEqual(srv.dirty(), [false]);
});

test.serial('getfamily of masters and clients', (t) => {
  t.deepEqual(master(t, socket.tcp).getfamily(), ['inet4']);
  t.deepEqual(master(t, socket.tcp4).getfamily(), ['inet4']);
  t.deepEqual(master(t, socket.tcp6).getfamily(), ['inet6']);
  t.deepEqual(pair(t).c.getfamily(), ['inet4']);
  t.deepEqual(pair(t, '::1').c.getfamily(), ['inet6']);
});

test.serial('tostring and class follow the object kind', (t) => {
  const m = master(t);
  t.is(m.class, 'tcp{master}');
  t.regex(String(m), /^tcp\{master\}: 0x[0-9a-f]+$/);
  t.is(`${m}`, String(m));
  t.is(m.toString(), String(m));
  const { c } = pair(t);
  t.is(c.class, 'tcp{client}');
  t.regex(String(c), /^tcp\{client\}: 0x[0-9a-f]+$/);
  const [srv] = socket.bind('127.0.0.1', 0);
  if (!srv) return t.fail();
  t.teardown(() => srv.close());
  t.is(srv.class, 'tcp{server}');
  t.regex(String(srv), /^tcp\{server\}: 0x[0-9a-f]+$/);
  t.not(String(c).slice(12), String(srv).slice(12), 'distinct objects have distinct addresses');
});

// ---------------------------------------------------------------- socket.* helpers

test.serial('socket.sleep blocks for the given seconds and returns nothing', (t) => {
  const [r, ms] = timed(() => socket.sleep(0.25));
  t.deepEqual(r, []);
  t.true(ms >= 240 && ms < 1500, `slept ${ms} ms`);
  const [r2, ms2] = timed(() => socket.sleep(-1));
  t.deepEqual(r2, []);
  t.true(ms2 < 100, `sleep(-1) took ${ms2} ms`);
  t.deepEqual(socket.sleep(0), []);
  t.deepEqual(loose(socket, 'sleep')('0.01'), []);
  throwsLua(t, () => loose(socket, 'sleep')(), "bad argument #1 to 'sleep' (number expected, got no value)");
  throwsLua(t, () => loose(socket, 'sleep')('x'), "bad argument #1 to 'sleep' (number expected, got string)");
});

test.serial('socket.gettime is wall-clock seconds with sub-second resolution', (t) => {
  const r = socket.gettime();
  t.is(r.length, 1);
  const [g] = r;
  t.true(Math.abs(g - Date.now() / 1000) < 1, `gettime ${g}`);
  socket.sleep(0.1);
  const [g2] = socket.gettime();
  t.true(g2 - g >= 0.09 && g2 - g < 1.5, `difference ${g2 - g}`);
  t.false(Number.isInteger(g) && Number.isInteger(g2), 'fractional seconds');
});

test.serial('socket.skip drops the first d extra arguments', (t) => {
  t.deepEqual(socket.skip(1, 'a', 'b', 'c'), ['b', 'c']);
  t.deepEqual(socket.skip(0, 'a', 'b'), ['a', 'b']);
  t.deepEqual(socket.skip(2, 'a'), []);
  t.deepEqual(socket.skip(3, 'a', 'b', 'c'), []);
  t.deepEqual(socket.skip(2, 1, 6, '250', 'OK'), ['250', 'OK']);
  t.deepEqual(socket.skip(-1, 'a'), [-1, 'a']);
  t.deepEqual(loose(socket, 'skip')('1', 'a', 'b'), ['b']);
  t.deepEqual(socket.skip(1, null, 'x'), ['x']);
  throwsLua(t, () => socket.skip(1.5, 'a'), "bad argument #1 to 'skip' (number has no integer representation)");
  throwsLua(t, () => loose(socket, 'skip')(), "bad argument #1 to 'skip' (number expected, got no value)");
});

test.serial('socket.try passes truthy first values through (0 and empty string too), else throws', (t) => {
  t.deepEqual(socket.try(1, 2, 3), [1, 2, 3]);
  t.deepEqual(socket.try(0), [0]);
  t.deepEqual(socket.try(''), ['']);
  t.deepEqual(socket.try(true, null, 'x'), [true, null, 'x']);
  for (const [args, value] of [
    [[null, 'msg'], 'msg'],
    [[false, 'm', 'extra'], 'm'],
    [[null], null],
    [[], null],
    [[undefined, 42], 42],
  ] as Array<[unknown[], unknown]>) {
    const e = thrown(t, () => (socket.try as AnyFn)(...args));
    t.true(e instanceof socket.TryError, `try(${args.map(String).join(', ')}) throws a TryError`);
    t.is((e as socket.TryError).value, value);
  }
});

test.serial('socket.newtry runs its finalizer once per failure, with no arguments', (t) => {
  let calls = 0;
  let nargs = -1;
  const tr = socket.newtry((...a: unknown[]) => {
    calls += 1;
    nargs = a.length;
  });
  t.deepEqual(tr(1), [1]);
  t.deepEqual(tr(0, 'x'), [0, 'x']);
  t.is(calls, 0);
  const guarded = socket.protect(() => tr(null, 'err'));
  t.deepEqual(guarded(), [null, 'err']);
  t.is(calls, 1);
  t.is(nargs, 0);
  t.deepEqual(guarded(), [null, 'err']);
  t.is(calls, 2);
  // Without a finalizer.
  t.deepEqual(socket.protect(() => socket.newtry()(false, 'x'))(), [null, 'x']);
  t.deepEqual(socket.protect(() => socket.newtry(null)(null, 'y'))(), [null, 'y']);
  // A failing finalizer replaces the exception; a non-callable one raises.
  const boom = new Error('finalizer failed');
  const bad = socket.newtry(() => {
    throw boom;
  });
  t.is(
    thrown(t, () => socket.protect(() => bad(null, 'z'))()),
    boom,
  );
  const notfn = socket.newtry(42 as unknown as () => void);
  t.deepEqual(notfn('ok'), ['ok']);
  throwsLua(t, () => notfn(null, 'q'), 'attempt to call a number value');
});

test.serial('socket.protect returns [null, value] for try errors and rethrows anything else', (t) => {
  const p = socket.protect((...a: unknown[]) => (socket.try as AnyFn)(...a));
  t.deepEqual(p(1, 2), [1, 2]);
  t.deepEqual(p(null, 'boom'), [null, 'boom']);
  t.deepEqual(p(false, 'boom', 'x'), [null, 'boom']);
  t.deepEqual(p(null), [null, null]);
  t.deepEqual(p(null, 42), [null, 42]);
  const obj = { t: 1 };
  const r = p(null, obj) as unknown[];
  t.deepEqual(r, [null, obj]);
  t.is(r[1], obj, 'the very same value');
  const plain = new Error('plain error');
  t.is(
    thrown(t, () =>
      socket.protect(() => {
        throw plain;
      })(),
    ),
    plain,
  );
  const table = { code: 1 };
  t.is(
    thrown(t, () =>
      socket.protect(() => {
        throw table;
      })(),
    ),
    table,
  );
  t.is(socket.protect((a: number, b: number) => [a + b, 'x'])(2, 3)[0], 5);
  const inner = socket.protect(() => socket.try(null, 'inner'));
  t.deepEqual(socket.protect(() => ['outer saw', ...(inner() as unknown[])])(), ['outer saw', null, 'inner']);
  // protect(nil) is a function that fails when called.
  const pn = socket.protect(null as unknown as () => void);
  t.is(typeof pn, 'function');
  throwsLua(t, () => pn(), 'attempt to call a nil value');
  throwsLua(t, () => socket.protect(42 as unknown as () => void)(), 'attempt to call a number value');
});

test.serial('try/protect around real calls: a refused connection becomes [null, message]', (t) => {
  const m = master(t);
  t.deepEqual(m.bind('127.0.0.1', 0), [1]);
  const port = m.getsockname()[1] as number;
  m.close();
  const dialer = socket.protect((p: number) => {
    const [c] = socket.try(...socket.connect('127.0.0.1', p));
    return [c];
  });
  t.deepEqual(dialer(port), [null, 'connection refused']);
  const peer = listening(t);
  peer.accept();
  const r = dialer(peer.port) as [Sock];
  t.is(r.length, 1);
  t.is(r[0].class, 'tcp{client}');
  r[0].close();
});

test.serial('module constants and _VERSION', (t) => {
  // 3.1.0's C constant still says "LuaSocket 3.0.0" (spec section 1); this package reports
  // the release it reproduces, as upstream master does.
  t.is(socket._VERSION, 'LuaSocket 3.1.0');
  t.is(socket._SETSIZE, 1024);
  t.is(socket._SOCKETINVALID, -1);
  t.is(socket._DATAGRAMSIZE, 8192);
  t.is(socket.BLOCKSIZE, 2048);
});

// ---------------------------------------------------------------- encodings

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

test.serial('default encoding is utf8 both ways', (t) => {
  const { peer, c } = pair(t);
  t.is(c.getencoding(), 'utf8');
  peer.send(Buffer.from('héllo wörld €\n', 'utf8'));
  t.deepEqual(c.receive(), ['héllo wörld €']);
  t.deepEqual(c.send('ü€'), [5]);
  t.is(peer.recv(5).result().data, Buffer.from('ü€', 'utf8').toString('latin1'));
});

test.serial('latin1: every byte value 0..255 round-trips both ways', (t) => {
  const { peer, c } = pair(t);
  const l = c.setencoding('latin1');
  t.is(l, c, 'setencoding returns the object');
  t.is(c.getencoding(), 'latin1');
  const all = ALL_BYTES.toString('latin1');
  t.is(all.length, 256);
  t.deepEqual(c.send(all), [256]);
  t.is(peer.recv(256).result().data, all);
  peer.send(ALL_BYTES);
  t.deepEqual(c.receive(256), [all]);
  // Twice over with a prefix, and in pieces.
  peer.send(Buffer.concat([ALL_BYTES, ALL_BYTES]));
  t.deepEqual(c.receive(257, all), [all + all.slice(0, 1)]);
  t.deepEqual(c.receive(255), [all.slice(1)]);
  t.deepEqual(c.receive(256), [all]);
  // A binary line with NUL and high bytes; CR is dropped as always.
  const line = Buffer.from([120, 21, 77, 4, 5, 0, 7, 36, 44, 100, 0xff, 0x80, 13, 0xe9]);
  peer.send(Buffer.concat([line, Buffer.from([10])]));
  t.deepEqual(c.receive(), [Buffer.from([120, 21, 77, 4, 5, 0, 7, 36, 44, 100, 0xff, 0x80, 0xe9]).toString('latin1')]);
  // Partial results are latin1 too.
  peer.send(Buffer.from([0xfe])).result();
  c.settimeout(0.2);
  t.deepEqual(c.receive(3, '\xff'), [null, 'timeout', '\xff\xfe']);
  // '*a' with everything after the peer closes.
  peer.send(ALL_BYTES);
  peer.shutdown();
  c.settimeout(5);
  t.deepEqual(c.receive('*a'), [all]);
});

test.serial('latin1 sends one byte per character', (t) => {
  const { peer, c } = pair(t);
  c.setencoding('latin1');
  t.deepEqual(c.send('é\xff\x00'), [3]);
  t.deepEqual(c.send('abcdé', 5), [5]);
  t.is(peer.recv(4).result().data, '\xe9\xff\x00\xe9');
});

test.serial('buffer: received data comes back as Buffers, partials included', (t) => {
  const { peer, c } = pair(t);
  const b = c.setencoding('buffer');
  t.is(b as unknown, c as unknown);
  t.is(b.getencoding(), 'buffer');
  peer.send(Buffer.from([0, 1, 2, 0xff, 10, 0x41, 13, 0x42, 10, 0x80])).result();
  const r4 = b.receive(4);
  t.true(Buffer.isBuffer(r4[0]));
  t.deepEqual(r4, [Buffer.from([0, 1, 2, 0xff])]);
  t.deepEqual(b.receive(), [Buffer.alloc(0)]);
  t.deepEqual(b.receive('*l'), [Buffer.from([0x41, 0x42])]);
  b.settimeout(0.2);
  const part = b.receive(3, new Uint8Array([7]));
  t.deepEqual(part, [null, 'timeout', Buffer.from([7, 0x80])]);
  t.true(Buffer.isBuffer(part[2]));
  peer.send('xyz');
  peer.shutdown();
  b.settimeout(5);
  t.deepEqual(b.receive('*a', 'p'), [Buffer.from('pxyz')]);
  t.deepEqual(b.receive('*a'), [null, 'closed', Buffer.alloc(0)]);
  // A returned Buffer is the caller's own: later traffic does not change it.
  t.deepEqual(r4[0], Buffer.from([0, 1, 2, 0xff]));
});

test.serial('buffer: results stay intact after later receives reuse the ring', (t) => {
  const { peer, c } = pair(t);
  const b = c.setencoding('buffer');
  const kept: Buffer[] = [];
  for (let k = 0; k < 40; k++) {
    const chunk = Buffer.alloc(10000, k);
    peer.send(chunk);
    const [got] = b.receive(10000);
    if (!got) return t.fail(`receive ${k} failed`);
    kept.push(got);
  }
  for (let k = 0; k < 40; k++) t.true(kept[k]?.equals(Buffer.alloc(10000, k)), `chunk ${k} unchanged`);
});

test.serial('send(Uint8Array) sends exact bytes in every encoding; strings follow the encoding', (t) => {
  const { peer, c } = pair(t);
  const bytes = new Uint8Array([0xff, 0x00, 0xc3, 0x28, 0x80]);
  for (const enc of ['utf8', 'latin1', 'buffer'] as const) {
    c.setencoding(enc);
    t.deepEqual(c.send(bytes), [5], enc);
  }
  t.deepEqual(c.setencoding('buffer').send('é'), [2]);
  t.deepEqual(c.setencoding('latin1').send('é'), [1]);
  t.deepEqual(c.setencoding('utf8').send('é'), [2]);
  const want = Buffer.concat([
    Buffer.from(bytes),
    Buffer.from(bytes),
    Buffer.from(bytes),
    Buffer.from('é'),
    Buffer.from([0xe9]),
    Buffer.from('é'),
  ]);
  t.is(peer.recv(want.length).result().data, want.toString('latin1'));
});

test.serial('setencoding refuses unknown encodings', (t) => {
  const { c } = pair(t);
  t.throws(() => loose(c, 'setencoding')('ascii'), { instanceOf: socket.LuaError });
  t.is(c.getencoding(), 'utf8');
});

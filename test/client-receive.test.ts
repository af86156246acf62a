/**
 * client:receive (spec 6.13, 5.1): '*l', '*a', byte counts, prefixes, partial results,
 * consumption of the input buffer, receive(0), closed and timeout cases, argument errors.
 * Real loopback connections against the scripted peer.
 */
import test, { type ExecutionContext } from 'ava';
import * as socket from '../src/index.js';
import { dial, listening, loose, pair, throwsLua } from './helpers/client.js';

type Sock = socket.TcpSocket;

/** A scripted peer on `host`, stopped when the test ends. */
/** A new client connection to `peer` (the peer accepts it), closed when the test ends. */
/** Blocks until the library has bytes (or EOF) for `c` that no receive consumed yet. */
function arrived(t: ExecutionContext, c: Sock): void {
  const r = socket.select([c], null, 5);
  t.deepEqual(r[0], [c], 'data reached the client');
}

/** Runs `f` and returns its result with the elapsed milliseconds. */
function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, performance.now() - t0];
}

// ---------------------------------------------------------------- '*l'

test.serial("'*l' splits on LF, drops every CR, returns empty lines; the rest stays buffered", (t) => {
  const { peer, c } = pair(t);
  peer.send('line1\nline2\r\nli\rne\r3\r\r\n\nrest').result();
  t.deepEqual(c.receive(), ['line1']);
  t.deepEqual(c.receive('*l'), ['line2']);
  t.deepEqual(c.receive('*l'), ['line3']);
  t.deepEqual(c.receive('*l'), ['']);
  t.deepEqual(c.dirty(), [true]);
  c.settimeout(0.2);
  const [r, ms] = timed(() => c.receive('*l'));
  t.deepEqual(r, [null, 'timeout', 'rest']);
  t.true(ms >= 150 && ms < 1500, `timeout after ${ms} ms`);
  t.deepEqual(c.dirty(), [false], 'the partial was consumed');
  peer.send('\n');
  c.settimeout(5);
  t.deepEqual(c.receive('*l'), [''], 'consumed bytes are not delivered again');
});

test.serial("'*l' drops CRs anywhere, also across fills, and resumes with the partial as prefix", (t) => {
  const { peer, c } = pair(t);
  peer.send('\rx\ry\r\n').result();
  t.deepEqual(c.receive(), ['xy']);
  peer.send('ab\r').result();
  c.settimeout(0.3);
  t.deepEqual(c.receive(), [null, 'timeout', 'ab']);
  peer.send('\ncd\n');
  t.deepEqual(c.receive('*l', 'ab'), ['ab']);
  t.deepEqual(c.receive(), ['cd']);
  peer.send('\r\r\r\n');
  t.deepEqual(c.receive(), ['']);
});

test.serial("'*l' at end of stream fails with the CR-stripped partial", (t) => {
  const peer = listening(t);
  const c1 = dial(t, peer);
  peer.send('a\rb\r');
  peer.shutdown();
  t.deepEqual(c1.receive('*l'), [null, 'closed', 'ab']);
  t.deepEqual(c1.receive('*l'), [null, 'closed', '']);
  const c2 = dial(t, peer);
  peer.send('no newline');
  peer.close();
  t.deepEqual(c2.receive(), [null, 'closed', 'no newline']);
});

test.serial("'*l' with long lines (20000 and 9000 bytes) spanning many fills", (t) => {
  const { peer, c } = pair(t);
  const l1 = 'a'.repeat(20000);
  const l2 = 'b'.repeat(9000);
  peer.send(`${l1}\n${l2}\r\n`);
  const r1 = c.receive();
  t.is(r1[0]?.length, 20000);
  t.true(r1[0] === l1);
  const r2 = c.receive();
  t.is(r2[0]?.length, 9000);
  t.true(r2[0] === l2);
  t.deepEqual(c.getstats().slice(0, 2), [20001 + 9002, 0]);
});

// ---------------------------------------------------------------- '*a'

test.serial("'*a' reads until close without translation; afterwards every pattern reports closed", (t) => {
  const { peer, c } = pair(t);
  peer.send('all of it\r\nincluding CRLF\r\n');
  peer.shutdown();
  t.deepEqual(c.receive('*a'), ['all of it\r\nincluding CRLF\r\n']);
  t.deepEqual(c.receive('*a'), [null, 'closed', '']);
  t.deepEqual(c.receive('*a', 'P'), [null, 'closed', 'P']);
  t.deepEqual(c.receive('*l'), [null, 'closed', '']);
  t.deepEqual(c.receive(1), [null, 'closed', '']);
  t.deepEqual(c.receive(0), [null, 'closed', '']);
  t.deepEqual(c.receive(0, 'P'), ['P']);
  t.deepEqual(c.receive(5, 'P'), [null, 'closed', 'P']);
  t.deepEqual(c.receive('*all'), [null, 'closed', '']);
});

test.serial("'*a' keeps the prefix, and a timeout returns what was read so far", (t) => {
  const { peer, c } = pair(t);
  peer.send('q').result();
  c.settimeout(0.3);
  const [r, ms] = timed(() => c.receive('*a'));
  t.deepEqual(r, [null, 'timeout', 'q']);
  t.true(ms >= 200 && ms < 1500, `timeout after ${ms} ms`);
  t.deepEqual(c.receive('*a', 'P'), [null, 'timeout', 'P']);
  peer.send('tail');
  peer.shutdown();
  c.settimeout(5);
  t.deepEqual(c.receive('*a', 'P'), ['Ptail']);
});

test.serial("'*a' of 100000 bytes; getstats counts the bytes consumed", (t) => {
  const { peer, c } = pair(t);
  const body = Buffer.alloc(100000, 'z').toString('latin1');
  peer.send(body);
  peer.close();
  const r = c.receive('*a');
  t.is(r.length, 1);
  t.is(r[0]?.length, 100000);
  t.true(r[0] === body);
  t.deepEqual(c.getstats().slice(0, 2), [100000, 0]);
});

test.serial('an empty stream reports closed for every pattern (#225: not an empty string)', (t) => {
  const peer = listening(t);
  for (const pattern of ['*a', '*l', 5, 1] as const) {
    const c = dial(t, peer);
    peer.shutdown();
    t.deepEqual(c.receive(pattern), [null, 'closed', ''], `pattern ${pattern}`);
    c.close();
  }
  const c0 = dial(t, peer);
  peer.close();
  t.deepEqual(c0.receive(0), [null, 'closed', '']);
});

// ---------------------------------------------------------------- byte counts

test.serial('byte counts: numbers, fractions, numeric strings, receive(0) with data buffered', (t) => {
  const { peer, c } = pair(t);
  peer.send('abcdefghijklmnopqf').result();
  c.settimeout(0.3);
  t.deepEqual(c.receive(2), ['ab']);
  t.deepEqual(c.receive(2.9), ['cd']);
  t.deepEqual(c.receive('1'), ['e']);
  t.deepEqual(c.receive('0x2'), ['fg']);
  t.deepEqual(c.receive(' 2 '), ['hi']);
  t.deepEqual(c.receive('2.5'), ['jk']);
  t.deepEqual(c.receive(0), ['']);
  t.deepEqual(c.dirty(), [true]);
  t.deepEqual(c.receive(5), ['lmnop']);
  const [r, ms] = timed(() => c.receive(5));
  t.deepEqual(r, [null, 'timeout', 'qf']);
  t.true(ms >= 200 && ms < 1500, `timeout after ${ms} ms`);
  t.deepEqual(c.dirty(), [false]);
  t.deepEqual(c.getstats()[0], 18);
});

test.serial('number at end of stream fails with what was collected', (t) => {
  const { peer, c } = pair(t);
  peer.send('short');
  peer.shutdown();
  t.deepEqual(c.receive(20), [null, 'closed', 'short']);
});

test.serial('receive(0) (#427): waits for data or the timeout when the buffer is empty', (t) => {
  const { peer, c } = pair(t);
  c.settimeout(0.3);
  const [r0, ms0] = timed(() => c.receive(0));
  t.deepEqual(r0, [null, 'timeout', '']);
  t.true(ms0 >= 200 && ms0 < 1500, `receive(0) waited ${ms0} ms`);
  t.deepEqual(c.receive(0, ''), [null, 'timeout', '']);
  // Data arriving later ends the wait; it is now buffered (dirty), not consumed.
  c.settimeout(5);
  peer.sleep(300);
  peer.send('XY');
  const [r1, ms1] = timed(() => c.receive(0));
  t.deepEqual(r1, ['']);
  t.true(ms1 >= 150, `receive(0) returned after ${ms1} ms, before the data was sent`);
  t.deepEqual(c.dirty(), [true]);
  t.deepEqual(c.receive(2), ['XY']);
  t.deepEqual(c.getstats()[0], 2);
});

test.serial('receive(0) with data already in the kernel buffers it and returns an empty string', (t) => {
  const { peer, c } = pair(t);
  peer.send('K').result();
  arrived(t, c);
  t.deepEqual(c.dirty(), [false], 'data not yet read is not dirty');
  c.settimeout(0);
  t.deepEqual(c.receive(0), ['']);
  t.deepEqual(c.dirty(), [true]);
  t.deepEqual(c.receive(1), ['K']);
});

// ---------------------------------------------------------------- prefixes (#226)

test.serial('prefix rules: the count includes the prefix; a long enough prefix is returned untouched (#226)', (t) => {
  const { peer, c } = pair(t);
  peer.send('7890').result();
  c.settimeout(1);
  t.deepEqual(c.receive(10, '123456'), ['1234567890']);
  t.deepEqual(c.receive(8, '87654321'), ['87654321']);
  t.deepEqual(c.receive(4, '87654321'), ['87654321']);
  t.deepEqual(c.receive(0, 'abc'), ['abc']);
  t.deepEqual(c.receive(1, 'x'), ['x']);
  t.deepEqual(c.receive('3', 'abc'), ['abc']);
  t.deepEqual(c.dirty(), [false]);
  c.settimeout(0.2);
  t.deepEqual(c.receive(3, ''), [null, 'timeout', '']);
  // Only wanted - #prefix bytes are taken; the rest stays for the next call.
  peer.send('defghi');
  c.settimeout(5);
  t.deepEqual(c.receive(6, 'abc'), ['abcdef']);
  t.deepEqual(c.receive(3), ['ghi']);
  // No call above consumed anything it did not return.
  peer.send('Z');
  t.deepEqual(c.receive(1), ['Z']);
});

test.serial('prefixes with lines, all and counts on timeout; numeric prefixes are strings', (t) => {
  const { peer, c } = pair(t);
  peer.send('tail\n');
  c.settimeout(1);
  t.deepEqual(c.receive('*l', 'pre-'), ['pre-tail']);
  c.settimeout(0.2);
  t.deepEqual(c.receive('*l', 'pre-'), [null, 'timeout', 'pre-']);
  t.deepEqual(c.receive(4, 'ab'), [null, 'timeout', 'ab']);
  t.deepEqual(c.receive('*a', 'P'), [null, 'timeout', 'P']);
  peer.send('c').result();
  t.deepEqual(c.receive(4, 'ab'), [null, 'timeout', 'abc']);
  peer.send('z');
  c.settimeout(5);
  t.deepEqual(loose(c, 'receive')(3, 12), ['12z']);
  peer.send('w');
  t.deepEqual(loose(c, 'receive')(1, 5), ['5']);
  t.deepEqual(loose(c, 'receive')(2, 5), ['5w']);
});

// ---------------------------------------------------------------- consumption

test.serial('bytes taken by a failed call are gone: they only come back as the partial', (t) => {
  const { peer, c } = pair(t);
  peer.send('12345').result();
  arrived(t, c);
  c.settimeout(0);
  t.deepEqual(c.receive(1e6), [null, 'timeout', '12345']);
  t.deepEqual(c.dirty(), [false]);
  peer.send('678');
  c.settimeout(5);
  t.deepEqual(c.receive(3), ['678']);
  t.deepEqual(c.getstats()[0], 8);
});

test.serial('getstats counts bytes consumed by patterns, not bytes read', (t) => {
  const { peer, c } = pair(t);
  peer.send('buffered\nmore').result();
  t.deepEqual(c.receive(), ['buffered']);
  t.deepEqual(c.getstats()[0], 9);
  t.deepEqual(c.dirty(), [true]);
  c.settimeout(0.1);
  t.deepEqual(c.receive(), [null, 'timeout', 'more']);
  t.deepEqual(c.getstats()[0], 13);
});

test.serial('default pattern is *l; patterns are chosen by their first two characters', (t) => {
  const { c } = pair(t);
  c.settimeout(0);
  t.deepEqual(c.receive(), [null, 'timeout', '']);
  t.deepEqual(c.receive(null), [null, 'timeout', '']);
  t.deepEqual(c.receive(undefined), [null, 'timeout', '']);
  t.deepEqual(c.receive('*a'), [null, 'timeout', '']);
  t.deepEqual(c.receive('*line'), [null, 'timeout', '']);
  t.deepEqual(c.receive('*all'), [null, 'timeout', '']);
  t.deepEqual(c.receive('*lol'), [null, 'timeout', '']);
});

test.serial('invalid patterns raise; a bad prefix is reported first as #2', (t) => {
  const { c } = pair(t);
  c.settimeout(0);
  const rcv = loose(c, 'receive');
  for (const p of ['a', 'l', 'L', '*L', '*n', '*', '', 'x', '-1', -1, -0.5, Number.NaN, '*A']) {
    throwsLua(t, () => rcv(p), "bad argument #1 to 'receive' (invalid receive pattern)");
  }
  throwsLua(t, () => rcv(true), "bad argument #1 to 'receive' (string expected, got boolean)");
  throwsLua(t, () => rcv({}), "bad argument #1 to 'receive' (string expected, got table)");
  throwsLua(t, () => rcv(3, {}), "bad argument #2 to 'receive' (string expected, got table)");
  throwsLua(t, () => rcv('*x', {}), "bad argument #2 to 'receive' (string expected, got table)");
  throwsLua(t, () => rcv(true, {}), "bad argument #2 to 'receive' (string expected, got table)");
  throwsLua(t, () => rcv(null, true), "bad argument #2 to 'receive' (string expected, got boolean)");
  // Still usable afterwards: nothing was consumed by the failed checks.
  t.deepEqual(c.receive(), [null, 'timeout', '']);
});

test.serial('receive is a client method', (t) => {
  const [m] = socket.tcp4();
  if (!m) return t.fail();
  t.teardown(() => m.close());
  throwsLua(t, () => loose(m, 'receive')(), "calling 'receive' on bad self (tcp{client} expected)");
  const [srv] = socket.bind('127.0.0.1', 0);
  if (!srv) return t.fail();
  t.teardown(() => srv.close());
  throwsLua(t, () => loose(srv, 'receive')(1), "calling 'receive' on bad self (tcp{client} expected)");
});

// ---------------------------------------------------------------- closed

test.serial('after close, buffered input is still readable, then closed', (t) => {
  const peer = listening(t);
  const c = dial(t, peer);
  peer.send('one\ntwo\n').result();
  t.deepEqual(c.receive(), ['one']);
  t.deepEqual(c.close(), [1]);
  t.deepEqual(c.receive(), ['two']);
  t.deepEqual(c.receive(), [null, 'closed', '']);
  t.deepEqual(c.dirty(), [false]);
  const c2 = dial(t, peer);
  peer.send('one\ntw').result();
  t.deepEqual(c2.receive(), ['one']);
  c2.close();
  t.deepEqual(c2.receive(), [null, 'closed', 'tw']);
  t.deepEqual(c2.receive(), [null, 'closed', '']);
});

test.serial('a locally closed client without buffered data', (t) => {
  const { c } = pair(t);
  c.close();
  t.deepEqual(c.receive(), [null, 'closed', '']);
  t.deepEqual(c.receive('*a'), [null, 'closed', '']);
  t.deepEqual(c.receive(0), [null, 'closed', '']);
  t.deepEqual(c.receive(0, 'pre'), ['pre']);
  t.deepEqual(c.receive(3, 'pre'), ['pre']);
  t.deepEqual(c.receive(4, 'pre'), [null, 'closed', 'pre']);
  t.deepEqual(c.receive('*l', 'pre'), [null, 'closed', 'pre']);
  t.deepEqual(c.receive('*a', 'pre'), [null, 'closed', 'pre']);
  t.deepEqual(c.dirty(), [false]);
});

test.serial('a peer reset reads as closed', (t) => {
  const { peer, c } = pair(t);
  peer.rst().result();
  c.settimeout(5);
  t.deepEqual(c.receive(), [null, 'closed', '']);
  t.deepEqual(c.receive('*a'), [null, 'closed', '']);
});

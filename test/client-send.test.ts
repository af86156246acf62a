/**
 * client:send (spec 6.14, 5.2): the i/j index rules, the returned index, partial indices on
 * timeout against a peer that does not read, closed objects and closed peers, argument
 * errors, Uint8Array and number data. Real loopback connections against the scripted peer.
 */
import test, { type ExecutionContext } from 'ava';
import * as socket from '../src/index.js';
import { loose, pair, throwsLua } from './helpers/client.js';

type Sock = socket.TcpSocket;

/** Blocks until the library has seen bytes or end of stream for `c`. */
function arrived(t: ExecutionContext, c: Sock): void {
  t.deepEqual(socket.select([c], null, 5)[0], [c], 'peer data or EOF reached the client');
}

function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, performance.now() - t0];
}

const S = 'abcdefghij';

/** [arguments after data, returned index, bytes the peer must get] (observed on 3.1.0). */
const RANGES: Array<[unknown[], number, string]> = [
  [[], 10, 'abcdefghij'],
  [[3], 10, 'cdefghij'],
  [[3, 5], 5, 'cde'],
  [[-3], 10, 'hij'],
  [[-3, -2], 9, 'hi'],
  [[0], 10, 'abcdefghij'],
  [[-100], 10, 'abcdefghij'],
  [[1, 100], 10, 'abcdefghij'],
  [[5, 4], 4, ''],
  [[11], 10, ''],
  [[15], 14, ''],
  [[15, 20], 14, ''],
  [[1, 0], 0, ''],
  [[1, -11], 0, ''],
  [[1, -100], 0, ''],
  [[2.7, 4.2], 4, 'bcd'],
  [[-2.5], 10, 'ij'],
  [['2', '3'], 3, 'bc'],
  [[null, 3], 3, 'abc'],
  [[undefined, -2], 9, 'abcdefghi'],
  [[0, 0], 0, ''],
  [[-1, -1], 10, 'j'],
  [[10, 10], 10, 'j'],
  [[' 4 ', '0x5'], 5, 'de'],
];

test.serial('send(data, i, j): string.sub-like ranges, i not clamped from above, returns the last index', (t) => {
  const { peer, c } = pair(t);
  let expected = '';
  const send = loose(c, 'send');
  for (const [args, index, bytes] of RANGES) {
    t.deepEqual(send(S, ...args), [index], `send(s, ${args.map(String).join(', ')})`);
    t.deepEqual(c.send('|'), [1]);
    expected += `${bytes}|`;
  }
  const got = peer.recv(expected.length).result();
  t.is(got.data, expected);
  t.deepEqual(c.getstats()[1], expected.length);
});

test.serial('send of empty strings and numbers', (t) => {
  const { peer, c } = pair(t);
  t.deepEqual(c.send(''), [0]);
  t.deepEqual(c.send('', 5), [4]);
  t.deepEqual(c.send('', 1, 10), [0]);
  t.deepEqual(c.send(12345), [5]);
  t.deepEqual(c.send(1.5), [3]);
  t.deepEqual(c.send(-7), [2]);
  t.deepEqual(c.send(1e100), [6]);
  t.deepEqual(c.send(12345, 2, 3), [3]);
  t.is(peer.recv(18).result().data, '123451.5-71e+10023');
  t.deepEqual(c.getstats()[1], 18);
});

test.serial('send of a Uint8Array sends its exact bytes, with i/j ranges in bytes', (t) => {
  const { peer, c } = pair(t);
  const u8 = new Uint8Array([0, 1, 2, 0x7f, 0x80, 0xfe, 0xff, 10, 13]);
  t.deepEqual(c.send(u8), [9]);
  t.deepEqual(c.send(u8, 2, 3), [3]);
  t.deepEqual(c.send(u8, -2), [9]);
  // A view into a larger buffer sends only the view.
  const big = Buffer.from('xxABCDxx', 'latin1');
  t.deepEqual(c.send(big.subarray(2, 6)), [4]);
  t.deepEqual(c.send(new Uint8Array(0), 3), [2]);
  const got = peer.recv(9 + 2 + 2 + 4).result().data;
  t.is(got, Buffer.from([0, 1, 2, 0x7f, 0x80, 0xfe, 0xff, 10, 13, 1, 2, 10, 13, 0x41, 0x42, 0x43, 0x44]).toString('latin1'));
});

test.serial('send counts and indexes bytes, not characters', (t) => {
  const { peer, c } = pair(t);
  t.deepEqual(c.send('é€'), [5]);
  t.deepEqual(c.send('é€', 3), [5]);
  t.is(peer.recv(8).result().data, Buffer.from([0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xe2, 0x82, 0xac]).toString('latin1'));
});

test.serial('send argument errors', (t) => {
  const { c } = pair(t);
  const send = loose(c, 'send');
  throwsLua(t, () => send(), "bad argument #1 to 'send' (string expected, got no value)");
  throwsLua(t, () => send(null), "bad argument #1 to 'send' (string expected, got nil)");
  throwsLua(t, () => send({}), "bad argument #1 to 'send' (string expected, got table)");
  throwsLua(t, () => send(true), "bad argument #1 to 'send' (string expected, got boolean)");
  throwsLua(t, () => send(S, 'x'), "bad argument #2 to 'send' (number expected, got string)");
  throwsLua(t, () => send(S, {}), "bad argument #2 to 'send' (number expected, got table)");
  throwsLua(t, () => send(S, 1, {}), "bad argument #3 to 'send' (number expected, got table)");
  throwsLua(t, () => send(S, 1, 'y'), "bad argument #3 to 'send' (number expected, got string)");
  const [m] = socket.tcp4();
  if (!m) return t.fail();
  t.teardown(() => m.close());
  throwsLua(t, () => loose(m, 'send')('x'), "calling 'send' on bad self (tcp{client} expected)");
});

test.serial('send on a closed object: closed with index i-1; empty ranges still succeed', (t) => {
  const { c } = pair(t);
  t.deepEqual(c.close(), [1]);
  t.deepEqual(c.send('x'), [null, 'closed', 0]);
  t.deepEqual(c.send('abc', 2), [null, 'closed', 1]);
  t.deepEqual(c.send('abc', 3), [null, 'closed', 2]);
  t.deepEqual(c.send('abcdef', -2), [null, 'closed', 4]);
  t.deepEqual(c.send(new Uint8Array([1, 2])), [null, 'closed', 0]);
  t.deepEqual(c.send(''), [0]);
  t.deepEqual(c.send('abc', 4), [3]);
  t.deepEqual(c.send('abc', 5), [4]);
  t.deepEqual(c.getstats()[1], 0);
});

test.serial("send after shutdown('send') says closed; empty ranges succeed", (t) => {
  const { peer, c } = pair(t);
  t.deepEqual(c.shutdown('send'), [1]);
  t.deepEqual(c.send('abc', 2), [null, 'closed', 1]);
  t.deepEqual(c.send('abc', 4), [3]);
  const r = peer.recvAll().result();
  t.deepEqual([r.data, r.eof], ['', true]);
});

test.serial('writing to a peer that closed: the loop ends with closed and the index of the call', (t) => {
  const { peer, c } = pair(t);
  peer.close().result();
  arrived(t, c);
  let r: socket.SendResult = [0];
  let i = 0;
  while (i < 1000) {
    i += 1;
    r = c.send('little string');
    if (r[0] === null) break;
    t.deepEqual(r, [13]);
  }
  t.deepEqual(r, [null, 'closed', 0]);
  t.true(i >= 1 && i < 1000, `failed after ${i} sends`);
  t.deepEqual(c.send('little string', 5), [null, 'closed', 4]);
  t.deepEqual(c.receive(), [null, 'closed', '']);
});

test.serial('600000 bytes to a closed peer: accepted, or closed with a smaller index', (t) => {
  const { peer, c } = pair(t);
  peer.close().result();
  arrived(t, c);
  const data = 'x'.repeat(600000);
  // The first send after the peer's FIN may be accepted by the kernel in full.
  for (let k = 0; k < 100; k++) {
    const r = c.send(data);
    if (r[0] === null) {
      t.is(r[1], 'closed');
      t.true(Number.isInteger(r[2]) && r[2] >= 0 && r[2] < 600000, `index ${r[2]}`);
      return;
    }
    t.deepEqual(r, [600000]);
  }
  t.fail('never reported closed');
});

test.serial('a peer reset makes send report closed', (t) => {
  const { peer, c } = pair(t);
  peer.rst().result();
  arrived(t, c);
  let r: socket.SendResult = [0];
  for (let k = 0; k < 100 && r[0] !== null; k++) r = c.send('abc', 2);
  t.deepEqual(r, [null, 'closed', 1]);
});

test.serial('timeouts against a peer that does not read: timeout, monotonic indices, last <= j', (t) => {
  const { peer, c } = pair(t);
  peer.pause().result();
  const big = Buffer.alloc(64 * 1024 * 1024, 0x61);
  const n = big.length;

  // block only: a per-call limit.
  c.settimeout(0.3);
  const [r1, ms1] = timed(() => c.send(big));
  t.is(r1[0], null);
  t.is(r1[1], 'timeout');
  const last1 = r1[2] as number;
  t.true(Number.isInteger(last1) && last1 >= 0 && last1 < n, `last ${last1}`);
  t.true(ms1 >= 200 && ms1 < 1500, `block timeout after ${ms1} ms`);

  // resume with last + 1, now with a total timeout only.
  c.settimeout(-1);
  c.settimeout(0.3, 't');
  const [r2, ms2] = timed(() => c.send(big, last1 + 1));
  t.deepEqual([r2[0], r2[1]], [null, 'timeout']);
  const last2 = r2[2] as number;
  t.true(last2 >= last1 && last2 < n, `last ${last2} after ${last1}`);
  t.true(ms2 >= 200 && ms2 < 1500, `total timeout after ${ms2} ms`);

  // block 0: no waiting at all, even with a total set.
  c.settimeout(0);
  c.settimeout(5, 't');
  const [r3, ms3] = timed(() => c.send(big, last2 + 1));
  t.deepEqual([r3[0], r3[1]], [null, 'timeout']);
  const last3 = r3[2] as number;
  t.true(last3 >= last2 && last3 < n, `last ${last3} after ${last2}`);
  t.true(ms3 < 500, `block 0 returned after ${ms3} ms`);

  // A range ending at j never reports an index beyond j.
  c.settimeout(0.2);
  c.settimeout(-1, 't');
  const j = last3 + 1000;
  const r4 = c.send(big, last3 + 1, j);
  const last4 = r4[0] === null ? r4[2] : r4[0];
  if (r4[0] === null) t.is(r4[1], 'timeout');
  t.true(last4 >= last3 && last4 <= j, `last ${last4}, j ${j}`);

  // The sent-bytes statistic equals what the kernel took, i.e. the last index.
  t.is(c.getstats()[1], last4);
});

test.serial('a send that fits before the timeout succeeds once the peer reads again', (t) => {
  const { peer, c } = pair(t);
  peer.pause();
  peer.sleep(300);
  peer.resume();
  const data = Buffer.alloc(8 * 1024 * 1024, 0x62);
  const got = peer.recv(data.length, 10000);
  c.settimeout(5);
  const [r, ms] = timed(() => c.send(data));
  t.deepEqual(r, [data.length]);
  t.true(ms < 5000, `took ${ms} ms`);
  const res = got.result(15000);
  t.is(res.data?.length, data.length);
  t.true(res.data === data.toString('latin1'));
});

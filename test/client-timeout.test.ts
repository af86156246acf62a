/**
 * settimeout/gettimeout (spec 6.12) and the timeout algorithm of spec section 4, checked
 * on receive against a dribbling peer: block alone is a per-call limit, block + total makes
 * block a per-wait limit, block 0 never waits. Timing windows are generous on purpose.
 */
import test, { type ExecutionContext } from 'ava';
import * as socket from '../src/index.js';
import { dial, listening, loose, throwsLua } from './helpers/client.js';
import type { Peer } from './helpers/peer.js';

type Sock = socket.TcpSocket;

function pair(t: ExecutionContext): { peer: Peer; c: Sock } {
  const peer = listening(t);
  return { peer, c: dial(t, peer) };
}

function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, performance.now() - t0];
}

// ---------------------------------------------------------------- settimeout / gettimeout

test.serial('settimeout sets block or total by the first character of the mode; gettimeout reads both', (t) => {
  const { c } = pair(t);
  const steps: Array<[unknown[], [number, number]]> = [
    [[1], [1, -1]],
    [
      [2, 't'],
      [1, 2],
    ],
    [[null], [-1, 2]],
    [
      [-5, 'total'],
      [-1, -5],
    ],
    [
      [3, 'r'],
      [-1, 3],
    ],
    [
      [0.5, 'block'],
      [0.5, 3],
    ],
    [['1.5'], [1.5, 3]],
    [[], [-1, 3]],
    [
      [7, 'x-mode'],
      [-1, 3],
    ],
    [
      [0.25, 'b'],
      [0.25, 3],
    ],
    [
      [4, 'tz'],
      [0.25, 4],
    ],
    [
      [1, null],
      [1, 4],
    ],
    [[1e9], [1e9, 4]],
    [
      [-1, 't'],
      [1e9, -1],
    ],
    [[0], [0, -1]],
  ];
  const set = loose(c, 'settimeout');
  for (const [args, after] of steps) {
    if (args[1] === 'x-mode') {
      throwsLua(t, () => set(...args), "bad argument #2 to 'settimeout' (invalid timeout mode)");
      t.deepEqual(c.gettimeout(), after, 'a refused mode changes nothing');
      continue;
    }
    t.deepEqual(set(...args), [1], `settimeout(${args.map(String).join(', ')})`);
    t.deepEqual(c.gettimeout(), after, `after settimeout(${args.map(String).join(', ')})`);
  }
});

test.serial('settimeout argument errors', (t) => {
  const [m] = socket.tcp();
  if (!m) return t.fail();
  t.teardown(() => m.close());
  const set = loose(m, 'settimeout');
  for (const mode of ['x', '', 'B', 'T', 5, 'xb']) {
    throwsLua(t, () => set(1, mode), "bad argument #2 to 'settimeout' (invalid timeout mode)");
  }
  throwsLua(t, () => set('abc'), "bad argument #1 to 'settimeout' (number expected, got string)");
  throwsLua(t, () => set({}), "bad argument #1 to 'settimeout' (number expected, got table)");
  throwsLua(t, () => set(true), "bad argument #1 to 'settimeout' (number expected, got boolean)");
  t.deepEqual(m.gettimeout(), [-1, -1]);
  // Any class, also after close.
  t.deepEqual(m.settimeout(2, 't'), [1]);
  m.close();
  t.deepEqual(m.settimeout(3), [1]);
  t.deepEqual(m.gettimeout(), [3, 2]);
});

test.serial('nil and negative timeouts mean no limit', (t) => {
  const { peer, c } = pair(t);
  c.settimeout(0.1);
  c.settimeout(null);
  c.settimeout(-5, 't');
  peer.sleep(400);
  peer.send('late\n');
  const [r, ms] = timed(() => c.receive());
  t.deepEqual(r, ['late']);
  t.true(ms >= 250, `waited ${ms} ms for the late line`);
  c.settimeout(-0.5);
  c.settimeout(undefined, 't');
  t.deepEqual(c.gettimeout(), [-0.5, -1]);
  peer.sleep(400);
  peer.send('later\n');
  const [r2, ms2] = timed(() => c.receive());
  t.deepEqual(r2, ['later']);
  t.true(ms2 >= 250, `waited ${ms2} ms for the second late line`);
});

// ---------------------------------------------------------------- spec section 4 timing table

/** A fresh connection whose peer sends 'x' every 200 ms, 10 times (first byte at once). */
function dribbling(t: ExecutionContext, setup: (c: Sock) => void): Sock {
  const peer = listening(t);
  peer.accept();
  const [c, err] = socket.connect('127.0.0.1', peer.port);
  if (!c) throw new Error(`connect failed: ${err}`);
  t.teardown(() => c.close());
  setup(c);
  peer.dribble('x'.repeat(10), 1, 200);
  return c;
}

function assertPartialTimeout(t: ExecutionContext, r: socket.ReceiveResult<string>, ms: number, lo: number, hi: number): void {
  t.is(r[0], null);
  t.is(r[1], 'timeout');
  const part = r[2] ?? '';
  t.regex(part, /^x{1,9}$/, `partial ${JSON.stringify(part)}`);
  t.true(ms >= lo && ms < hi, `timed out after ${ms} ms, expected [${lo}, ${hi})`);
}

test.serial('block 0.5, total none: block limits the whole call (timeout with a partial after ~0.5 s)', (t) => {
  const c = dribbling(t, (c) => c.settimeout(0.5));
  const [r, ms] = timed(() => c.receive(10));
  assertPartialTimeout(t, r, ms, 400, 1500);
});

test.serial('block none, total 0.5: timeout with a partial after ~0.5 s', (t) => {
  const c = dribbling(t, (c) => c.settimeout(0.5, 't'));
  const [r, ms] = timed(() => c.receive(10));
  assertPartialTimeout(t, r, ms, 400, 1500);
});

test.serial('block 3, total 0.5: the total wins', (t) => {
  const c = dribbling(t, (c) => {
    c.settimeout(3);
    c.settimeout(0.5, 't');
  });
  const [r, ms] = timed(() => c.receive(10));
  assertPartialTimeout(t, r, ms, 400, 1500);
});

// (block 0.6: each 0.2 s gap may stretch on a loaded machine; with block alone the call
// would end at 0.6 s, as the tests above show.)
test.serial('block 0.6 and total 5: block bounds each wait, so a 0.2 s dribble completes', (t) => {
  const c = dribbling(t, (c) => {
    c.settimeout(0.6);
    c.settimeout(5, 't');
  });
  const [r, ms] = timed(() => c.receive(10));
  t.deepEqual(r, ['xxxxxxxxxx']);
  t.true(ms >= 1200, `completed after ${ms} ms, the dribble takes 1.8 s`);
});

test.serial('block 0 with a total set: timeout at once, without waiting', (t) => {
  const { peer, c } = pair(t);
  c.settimeout(0);
  c.settimeout(3, 't');
  const [r, ms] = timed(() => c.receive(3));
  t.deepEqual(r, [null, 'timeout', '']);
  t.true(ms < 300, `block 0 waited ${ms} ms`);
  const [r2, ms2] = timed(() => c.receive('*a'));
  t.deepEqual(r2, [null, 'timeout', '']);
  t.true(ms2 < 300, `block 0 waited ${ms2} ms`);
  // Data already there is taken without waiting.
  peer.send('ready\nnot yet').result();
  t.deepEqual(socket.select([c], null, 5)[0], [c]);
  t.deepEqual(c.receive(), ['ready']);
  t.deepEqual(c.receive(), [null, 'timeout', 'not yet']);
});

test.serial('a total below one millisecond polls once and times out', (t) => {
  const { c } = pair(t);
  c.settimeout(0.0004, 't');
  const [r, ms] = timed(() => c.receive());
  t.deepEqual(r, [null, 'timeout', '']);
  t.true(ms < 300, `waited ${ms} ms`);
});

test.serial('every call restarts the clock', (t) => {
  const { c } = pair(t);
  for (const mode of ['b', 't'] as const) {
    c.settimeout(-1, 'b');
    c.settimeout(-1, 't');
    c.settimeout(0.25, mode);
    for (let k = 0; k < 2; k++) {
      const [r, ms] = timed(() => c.receive(1));
      t.deepEqual(r, [null, 'timeout', '']);
      t.true(ms >= 180 && ms < 1500, `mode ${mode} call ${k + 1} timed out after ${ms} ms`);
    }
  }
});

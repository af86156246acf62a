/**
 * Reliability: bad input. A property-based run (fast-check, test/fixtures/reliability-fuzz.ts)
 * drives the whole API with random arguments (numbers, NaN, ±Infinity, negative and huge
 * values, strings including numeric ones, null, undefined, booleans, objects, arrays,
 * Uint8Arrays, functions) and random call orders on masters, clients and servers, against
 * a local echo peer and the library's own server. It must never crash or hang, throw only
 * LuaError (socket.try's TryError by design), and return arrays of LuaSocket's shape for
 * each call. It runs in a child process: random setfd() values must not be able to touch
 * the ava worker's own descriptors.
 *
 * FUZZ_SEED / FUZZ_RUNS in the environment replay or widen a run.
 */
import test from 'ava';
import * as socket from '../src/index.js';
import { lastEvent, runChild } from './fixtures/reliability-child.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 500);
const SEED = Number(process.env.FUZZ_SEED ?? 20240611);

test.serial(
  `random arguments and call orders (${RUNS} runs, seed ${SEED}): no crash, no hang, only LuaError, LuaSocket result shapes`,
  async (t) => {
    const run = await runChild('reliability-fuzz', [String(RUNS), String(SEED)], { limitMs: 90000 });
    const hung = lastEvent(run, 'hung');
    t.is(hung, undefined, `a call never returned: ${String(hung?.call)}`);
    t.is(run.signal, null, `the process died: ${run.signal}\n${run.stderr.slice(-2000)}`);
    t.is(run.code, 0, run.stderr.slice(-2000));
    const result = lastEvent(run, 'result');
    if (!result) {
      t.fail(`no result\n${run.stderr.slice(-2000)}`);
      return;
    }
    t.is(result.failed, false, String(result.error));
    t.is(result.runs, RUNS);
    t.true((result.calls as number) > RUNS * 4, `${result.calls} calls made`);
    const violations = result.violations as Array<{ sig: string; count: number; example: string }>;
    for (const v of violations) t.log(`${v.count}× ${v.sig}\n    e.g. ${v.example}`);
    t.deepEqual(
      violations.map((v) => v.sig),
      [],
      'every call threw only LuaError and returned a LuaSocket-shaped array in time',
    );
  },
);

// Fixed examples of what random runs found (each seed finds a different subset), so they
// are checked on every run. LuaSocket converts such numbers with a C cast: no error, and
// every index or descriptor it returns is an integer.
test.serial('non-finite and out-of-range numbers as descriptors and send indices: no TypeError, integer results', (t) => {
  const [srv] = socket.bind('127.0.0.1', 0);
  if (!srv) throw new Error('bind');
  t.teardown(() => srv.close());
  const [c] = socket.connect('127.0.0.1', srv.getsockname()[1] as number);
  const [a] = srv.accept();
  if (!c || !a) throw new Error('connect');
  t.teardown(() => {
    c.close();
    a.close();
  });
  for (const [i, j] of [
    [Number.POSITIVE_INFINITY, -3],
    [Number.NaN],
    [1, Number.POSITIVE_INFINITY],
    [Number.NEGATIVE_INFINITY],
    [2, Number.NaN],
    [1e300],
  ]) {
    const r = c.send('abcdefghij', i, j);
    const last = r[0] === null ? r[2] : r[0];
    t.true(Number.isInteger(last), `send('abcdefghij', ${i}, ${j}) -> ${JSON.stringify(r.map(String))}`);
  }
  for (const v of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e20, 2 ** 31, -(2 ** 31) - 1]) {
    const [m] = socket.tcp4();
    if (!m) throw new Error('tcp4');
    const own = m.getfd()[0];
    // The socket the object had before setfd is the caller's to close (as in LuaSocket).
    t.teardown(() => {
      const [back] = socket.tcp4();
      back?.setfd(own);
      back?.close();
    });
    t.notThrows(() => m.setfd(v), `setfd(${v})`);
    const fd = m.getfd()[0];
    t.true(Number.isInteger(fd), `getfd() after setfd(${v}) gives ${fd}`);
    t.notThrows(() => m.getsockname(), `getsockname() after setfd(${v})`);
    t.notThrows(() => m.close(), `close() after setfd(${v})`);
  }
});

/**
 * Reliability: no call outlives its timeout whatever the I/O worker does (README,
 * "Reliability"). For each way a worker can die (an uncaught error, process.exit inside
 * it, an event loop blocked forever), a child process (test/fixtures/reliability-fault.ts)
 * kills its worker with injectWorkerFault while a receive, an accept and a select are
 * blocked, and reports what they and later calls returned. Once the death is detected
 * (heartbeat, ~3 s) each connection moves to a fresh worker over the same ring, so blocked
 * calls complete with every byte; servers do not use the worker and go on accepting.
 *
 * One child per mode, all started at once: a dead worker affects every socket of its
 * thread, so these never run inside the ava process. Each child takes about 10 s (three
 * heartbeat deadlines of ~3 s).
 *
 * Portable item 8: on the portable engine the worker owns the sockets, so they die with it
 * and nothing migrates; test/fixtures/reliability-fault-portable.ts checks what happens
 * instead (blocked calls end by their deadline, new objects work, the process exits).
 */
import test, { type ExecutionContext } from 'ava';
import { type ChildRun, lastEvent, runChild } from './fixtures/reliability-child.js';
import { nativeOnlySerial, portable, portableOnlySerial } from './helpers/engine.js';

type Mode = 'throw' | 'exit' | 'hang';
const modes: Mode[] = ['throw', 'exit', 'hang'];

/** A blocked call must end within this long of its start (heartbeat deadline ~3 s + fault delay). */
const DEADLINE_MS = 8000;
/** Calls on objects of a worker already known dead must not wait at all (generous bound). */
const PROMPT_MS = 1500;

/** The select blocked across the death in the portable fixture waits this long (SELECT_S there). */
const SELECT_MS = 5000;

// Started at load time so the children run concurrently (only those of the engine in use).
const fixtureName = portable ? 'reliability-fault-portable' : 'reliability-fault';
const runs = new Map<Mode, Promise<ChildRun>>(modes.map((m) => [m, runChild(fixtureName, [m], { limitMs: 60000 })]));
const foreverRun = portable ? runChild(fixtureName, ['throw', 'forever'], { limitMs: 15000 }) : null;
const lingerRun = runChild('reliability-linger', [], { limitMs: 60000 });

interface Timed {
  r: unknown;
  ms: number;
}

function ev(t: ExecutionContext, run: ChildRun, name: string): Record<string, unknown> {
  const e = run.events.find((x) => x.ev === name);
  if (!e) t.fail(`the child never reported '${name}' (exit ${run.code ?? run.signal})\n${run.stderr}`);
  return e ?? {};
}

function prompt(t: ExecutionContext, what: string, x: unknown, expected: unknown): void {
  const v = x as Timed;
  t.deepEqual(v.r, expected, what);
  t.true(v.ms < PROMPT_MS, `${what} took ${Math.round(v.ms)} ms`);
}

for (const mode of modes) {
  nativeOnlySerial(`worker fault '${mode}': a receive blocked across the death completes with every byte`, async (t) => {
    const run = await (runs.get(mode) as Promise<ChildRun>);
    t.is(ev(t, run, 'arrived').readable, 1);
    const r = ev(t, run, 'receive');
    t.deepEqual(r.r, ['hello world'], "bytes from the dead worker's ring and from the kernel, in order");
    t.true((r.ms as number) >= 250, `the receive blocked until the worker died (${Math.round(r.ms as number)} ms)`);
    t.true((r.ms as number) < DEADLINE_MS, `the receive ended after ${Math.round(r.ms as number)} ms`);
  });

  nativeOnlySerial(`worker fault '${mode}': afterwards the connection goes on, on a fresh worker`, async (t) => {
    const run = await (runs.get(mode) as Promise<ChildRun>);
    const after = ev(t, run, 'after-receive');
    prompt(t, 'receive()', after.receive, ['more']);
    t.like(after, { sent: [6], peerGot: 'after\n', close: [1] });
  });

  nativeOnlySerial(
    `worker fault '${mode}': an accept blocked while the worker dies returns the connection that arrives, and it is readable`,
    async (t) => {
      const run = await (runs.get(mode) as Promise<ChildRun>);
      const a = ev(t, run, 'accept');
      t.deepEqual(a.r, ['tcp{client}']);
      t.true((a.ms as number) < DEADLINE_MS, `the accept ended after ${Math.round(a.ms as number)} ms`);
      const r = ev(t, run, 'accepted-receive');
      t.deepEqual(r.r, ['via accept'], `after ${Math.round(r.ms as number)} ms`);
      t.true((r.ms as number) < DEADLINE_MS, `the receive ended after ${Math.round(r.ms as number)} ms`);
    },
  );

  nativeOnlySerial(
    `worker fault '${mode}': a select blocked on a dead worker's client and a server reports the client's new data; servers go on`,
    async (t) => {
      const run = await (runs.get(mode) as Promise<ChildRun>);
      const s = ev(t, run, 'select');
      t.deepEqual(s.first, ['ready'], 'the client was read once (the worker serves it)');
      t.true((s.ms as number) < DEADLINE_MS, `the select ended after ${Math.round(s.ms as number)} ms`);
      t.is(s.length, 2, 'two results: something was ready, no timeout');
      t.true(s.clientReadable, 'the client is readable');
      prompt(t, 'receive() after select', ev(t, run, 'after-select').receive, ['x']);
      t.like(ev(t, run, 'server-select'), { readable: true, third: null, receive: ['after select'] });
    },
  );

  // Both engines: the fixtures end with this step.
  test.serial(`worker fault '${mode}': new sockets work and the process exits by itself`, async (t) => {
    const run = await (runs.get(mode) as Promise<ChildRun>);
    t.like(ev(t, run, 'final'), { receive: ['last'], send: [3], peerGot: 'end' });
    ev(t, run, 'end');
    t.is(run.signal, null, run.stderr);
    t.is(run.code, 0, run.stderr);
  });
}

/** A result the fixture reported as a thrown exception, or null. */
function thrown(x: unknown): string | null {
  return typeof x === 'object' && x !== null && 'threw' in x ? JSON.stringify(x) : null;
}

for (const mode of modes) {
  portableOnlySerial(
    `worker fault '${mode}': a receive blocked across the death ends with 'closed' and the bytes already delivered`,
    async (t) => {
      const run = await (runs.get(mode) as Promise<ChildRun>);
      t.is(ev(t, run, 'arrived').readable, 1);
      const r = ev(t, run, 'receive');
      t.deepEqual(r.r, [null, 'closed', 'hello wor']);
      t.true((r.ms as number) >= 250, `the receive blocked until the worker died (${Math.round(r.ms as number)} ms)`);
      t.true((r.ms as number) < DEADLINE_MS, `the receive ended after ${Math.round(r.ms as number)} ms`);
    },
  );

  portableOnlySerial(
    `worker fault '${mode}': later calls on the dead connection answer at once, with results, not exceptions`,
    async (t) => {
      const run = await (runs.get(mode) as Promise<ChildRun>);
      const after = ev(t, run, 'after-receive');
      prompt(t, 'receive()', after.receive, [null, 'closed', '']);
      prompt(t, 'send()', after.send, [null, 'closed', 0]);
      for (const name of ['getsockname', 'getpeername'] as const) {
        t.is(thrown(after[name]), null, `${name}() returns a result`);
        t.true(Array.isArray(after[name]), `${name}() returns a result`);
      }
      t.deepEqual(after.close, [1]);
    },
  );

  portableOnlySerial(
    `worker fault '${mode}': an accept blocked while the worker dies ends with 'closed'; later accepts answer at once`,
    async (t) => {
      const run = await (runs.get(mode) as Promise<ChildRun>);
      const a = ev(t, run, 'accept');
      t.deepEqual(a.r, [null, 'closed']);
      t.true((a.ms as number) < DEADLINE_MS, `the accept ended after ${Math.round(a.ms as number)} ms`);
      const after = ev(t, run, 'after-accept');
      prompt(t, 'accept()', after.accept, [null, 'closed']);
      t.deepEqual(after.close, [1]);
    },
  );

  portableOnlySerial(
    `worker fault '${mode}': a select blocked on a dead worker's client and server ends by its own deadline`,
    async (t) => {
      const run = await (runs.get(mode) as Promise<ChildRun>);
      const s = ev(t, run, 'select');
      t.true((s.ms as number) < SELECT_MS + PROMPT_MS, `the select ended after ${Math.round(s.ms as number)} ms`);
      const r = s.r as unknown[];
      // Either nothing became ready ('timeout' at the deadline) or the dead client is reported.
      if (r[2] === 'timeout') t.deepEqual(r, [[], [], 'timeout']);
      else t.true((r[0] as unknown[]).includes('tcp{client}'), JSON.stringify(r));
      const after = ev(t, run, 'after-select');
      prompt(t, 'receive() after select', after.receive, [null, 'closed', '']);
      t.deepEqual(after.accept, [null, 'closed']);
    },
  );
}

portableOnlySerial("worker fault: a select with no timeout over a dead worker's objects returns", async (t) => {
  const run = await (foreverRun as Promise<ChildRun>);
  const s = ev(t, run, 'select-forever');
  t.true((s.ms as number) < DEADLINE_MS, `the select ended after ${Math.round(s.ms as number)} ms`);
  t.is(run.code, 0, run.stderr);
});

// The I/O worker can also be stalled from inside: the last close of a socket with SO_LINGER
// and unsent data blocks in close(2) for up to the linger time. That must not stall (or,
// past the heartbeat deadline, kill) the thread's other connections.
test.serial("close() with SO_LINGER and unsent data does not stall the thread's other sockets", async (t) => {
  const run = await lingerRun;
  // Portable item 6: only linger 0 (reset at close) exists there; the close must not stall others either.
  const linger = portable ? [null, 'not supported on this platform'] : [1];
  t.like(lastEvent(run, 'setup'), { linger, send: [null, 'timeout'] }, run.stderr);
  t.deepEqual(lastEvent(run, 'closed')?.r, [1]);
  const other = lastEvent(run, 'other');
  t.deepEqual(other?.r, ['ping'], 'the other connection still works');
  t.true((other?.ms as number) < 2000, `its receive took ${Math.round(other?.ms as number)} ms`);
  t.is(run.code, 0, run.stderr);
});

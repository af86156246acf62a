/**
 * Reliability: concurrency. Four worker_threads each import the package (one I/O worker
 * each) and run their own blocking loop of 1000 echo round trips with distinct payloads
 * against one node:net echo server in this process, at the same time. One of them first
 * blocks in accept() and then in receive() with no timeout, and is released only after
 * the three others have finished all their round trips: a blocked thread delays nobody.
 * Each thread must get back exactly its own data (no cross-talk).
 */
import net from 'node:net';
import { Worker } from 'node:worker_threads';
import test from 'ava';

const ROUNDS = 1000;
const THREADS = 4;

interface Done {
  ev: 'done';
  id: number;
  rounds: number;
  mismatches: number;
  errors: string[];
  first: string;
  last: string;
}

test.serial(`${THREADS} threads run blocking echo loops at once, each independently and with its own data only`, async (t) => {
  const echo = net.createServer((s) => {
    s.setNoDelay(true);
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  const port = (echo.address() as net.AddressInfo).port;

  const workers: Worker[] = [];
  const finished: Done[] = [];
  const order: number[] = [];
  let gatePort = 0;
  let opened: unknown = null;
  const failures: string[] = [];
  const allDone = new Promise<void>((resolve, reject) => {
    for (let id = 0; id < THREADS; id++) {
      const w = new Worker(new URL('./fixtures/reliability-thread.js', import.meta.url), {
        workerData: { id, port, rounds: ROUNDS, gate: id === 0 },
      });
      workers.push(w);
      w.on('error', (e) => {
        failures.push(`thread ${id}: ${e.message}`);
        reject(e);
      });
      w.on('message', (m: Record<string, unknown>) => {
        if (m.ev === 'gate') gatePort = m.port as number;
        if (m.ev === 'opened') opened = m.line;
        if (m.ev !== 'done') return;
        finished.push(m as unknown as Done);
        order.push(m.id as number);
        // The gated thread is released only once the three others are through.
        if (finished.length === THREADS - 1) release();
        if (finished.length === THREADS) resolve();
      });
    }
  });
  let gateConn: net.Socket | null = null;
  const release = () => {
    gateConn = net.connect({ port: gatePort, host: '127.0.0.1' }, () => gateConn?.write('go\n'));
    gateConn.on('error', (e) => failures.push(`gate: ${e.message}`));
  };
  const guard = setTimeout(() => {
    failures.push('not finished within 60 s');
    for (const w of workers) void w.terminate();
  }, 60000);
  try {
    await allDone;
  } finally {
    clearTimeout(guard);
    (gateConn as net.Socket | null)?.destroy();
    for (const w of workers) void w.terminate();
    echo.close();
  }

  t.deepEqual(failures, []);
  t.true(gatePort > 0, 'the gated thread reported its server');
  t.deepEqual(opened, ['go'], 'the gated thread was blocked in accept() and receive() until released');
  t.is(order.at(-1), 0, 'the three others finished while thread 0 was blocked');
  for (const d of finished.sort((a, b) => a.id - b.id)) {
    t.deepEqual(d.errors, [], `thread ${d.id}`);
    t.is(d.mismatches, 0, `thread ${d.id} got exactly its own data back`);
    t.true(d.first.startsWith(`thread ${d.id} round 0 `), `thread ${d.id} first: ${d.first}`);
    t.true(d.last.startsWith(`thread ${d.id} round ${ROUNDS - 1} `), `thread ${d.id} last: ${d.last}`);
  }
});

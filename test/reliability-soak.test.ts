/**
 * Reliability soak: several clients, interleaved in this one thread, go through connect,
 * requests, '*l' / byte-count / '*a' receives with short timeouts (a receive that times out
 * is resumed later with its partial as the prefix, as LuaSocket scripts do), echoes and
 * close, in a loop, against a node:net server in a worker thread
 * (test/fixtures/reliability-soak-server.ts) that answers in random pieces with random
 * pauses, or for some requests with megabytes at once (the 1 MiB ring fills, wraps and
 * pauses the socket). Every byte received is checked against what the server's
 * generator produced.
 */
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import test from 'ava';
import * as socket from '../src/index.js';
import { genBytes, genLines, rng } from './fixtures/reliability-soak-server.js';

type Latin1Sock = socket.TcpSocket<string>;

type Task =
  | { kind: 'L'; lines: string[]; idx: number }
  | { kind: 'N'; data: string; at: number; piece: number }
  | { kind: 'A'; data: string }
  | { kind: 'E'; data: string };

interface Client {
  n: number;
  sock: Latin1Sock | null;
  task: Task | null;
  partial: string;
  done: number;
  received: ReturnType<typeof createHash>;
  expected: ReturnType<typeof createHash>;
}

const CLIENTS = 6;
const TASKS_PER_CLIENT = 35;
const SEED = 0x50a4;

function startServer(): { worker: Worker; port: number } {
  const ready = new Int32Array(new SharedArrayBuffer(8));
  const worker = new Worker(new URL('./fixtures/reliability-soak-server.js', import.meta.url), {
    workerData: { role: 'soak-server', ready: ready.buffer },
  });
  worker.unref();
  if (Atomics.wait(ready, 0, 0, 10000) === 'timed-out' && Atomics.load(ready, 0) === 0) throw new Error('soak server did not start');
  return { worker, port: Atomics.load(ready, 1) };
}

const strip = (b: Buffer) => b.toString('latin1').replaceAll('\r', '');

test.serial(
  'soak: interleaved clients, mixed patterns, timeouts resumed with the partial, close and reconnect; every byte checked',
  (t) => {
    const { worker, port } = startServer();
    t.teardown(() => worker.terminate());
    const r = rng(SEED);
    const pick = (n: number) => Math.floor(r() * n);
    const errors: string[] = [];
    const stats = { allClosedWithPrefix: 0, timeouts: 0, resumedWithPrefix: 0, receives: 0, connects: 0, closes: 0, bytes: 0 };
    const clients: Client[] = Array.from({ length: CLIENTS }, (_, n) => ({
      n,
      sock: null,
      task: null,
      partial: '',
      done: 0,
      received: createHash('sha256'),
      expected: createHash('sha256'),
    }));
    let seq = 0;

    const fail = (c: Client, what: string) => {
      errors.push(`client ${c.n}, task ${c.done} (${c.task?.kind}): ${what}`);
      c.sock?.close();
      c.sock = null;
      c.task = null;
      c.partial = '';
    };

    /** Sends a whole request (short, so a generous timeout is only a safety net). */
    const request = (c: Client, s: Latin1Sock, line: string) => {
      s.settimeout(5);
      const res = s.send(line);
      if (res[0] !== line.length) fail(c, `send returned ${JSON.stringify(res)}`);
    };

    /** One receive of client `c`, with a short timeout; true when the task finished. */
    const receiveStep = (c: Client, s: Latin1Sock, task: Task): boolean => {
      s.settimeout([0, 0.002, 0.01, 0.03][pick(4)] as number);
      if (c.partial !== '') stats.resumedWithPrefix += 1;
      stats.receives += 1;
      let want: string;
      let res: socket.ReceiveResult<string>;
      if (task.kind === 'L') {
        want = task.lines[task.idx] as string;
        res = s.receive('*l', c.partial);
      } else if (task.kind === 'N') {
        want = task.data.slice(task.at, task.at + task.piece);
        res = s.receive(want.length, c.partial);
      } else if (task.kind === 'E') {
        want = task.data;
        res = s.receive(want.length, c.partial);
      } else {
        want = task.data;
        res = s.receive('*a', c.partial);
      }
      if (res[0] === null && task.kind === 'A' && res[1] === 'closed' && res[2] === want && c.partial !== '') {
        // LuaSocket's '*a' (spec 6.13): when a resumed call finds only the end of the stream
        // (the previous one took every byte, then timed out), it reports 'closed' with the
        // prefix as the partial: the data is complete.
        stats.allClosedWithPrefix += 1;
        res = [want];
      }
      if (res[0] === null) {
        const [, err, part] = res;
        if (err !== 'timeout') {
          fail(c, `receive failed: ${err} after ${part.length} bytes`);
          return false;
        }
        stats.timeouts += 1;
        if (!want.startsWith(part)) fail(c, `timeout partial is not a prefix of the expected data (${part.length} bytes)`);
        else c.partial = part;
        return false;
      }
      c.partial = '';
      c.received.update(res[0], 'latin1');
      c.expected.update(want, 'latin1');
      stats.bytes += res[0].length;
      if (res[0] !== want) {
        fail(c, `got ${res[0].length} bytes that differ from the expected ${want.length}`);
        return false;
      }
      if (task.kind === 'L') {
        task.idx += 1;
        return task.idx === task.lines.length;
      }
      if (task.kind === 'N') {
        task.at += want.length;
        task.piece = Math.min(1 + pick(task.data.length > 1 << 20 ? 300000 : 5000), task.data.length - task.at);
        return task.at === task.data.length;
      }
      if (task.kind === 'A') {
        // The server closed after the bytes: the stream is over.
        const after = s.receive('*a');
        if (after[0] !== null || after[1] !== 'closed') fail(c, `'*a' after the end gave ${JSON.stringify(after).slice(0, 80)}`);
      }
      return true;
    };

    const step = (c: Client) => {
      if (c.sock === null) {
        const [s, err] = socket.connect('127.0.0.1', port);
        stats.connects += 1;
        if (!s) {
          fail(c, `connect: ${err}`);
          return;
        }
        c.sock = s.setencoding('latin1');
      }
      const s = c.sock;
      if (c.task === null) {
        const seed = SEED * 1000 + seq++;
        const fast = pick(5) === 0;
        switch (pick(4)) {
          case 0: {
            const count = fast ? 500 + pick(3000) : 1 + pick(40);
            c.task = { kind: 'L', lines: genLines(seed, count).map(strip), idx: 0 };
            request(c, s, `L ${seed} ${count}${fast ? ' fast' : ''}\n`);
            break;
          }
          case 1: {
            const len = fast ? (1 << 20) + pick(3 << 20) : 1 + pick(120000);
            c.task = {
              kind: 'N',
              data: genBytes(seed, len).toString('latin1'),
              at: 0,
              piece: Math.min(1 + pick(fast ? 300000 : 5000), len),
            };
            request(c, s, `N ${seed} ${len}${fast ? ' fast' : ''}\n`);
            break;
          }
          case 2: {
            const len = 1 + pick(120000);
            c.task = { kind: 'A', data: genBytes(seed, len).toString('latin1') };
            request(c, s, `A ${seed} ${len}\n`);
            break;
          }
          default: {
            const data = genBytes(seed, 1 + pick(60000)).toString('latin1');
            c.task = { kind: 'E', data };
            request(c, s, `E ${data.length}\n${data}`);
          }
        }
        if (c.sock === null) return;
      }
      const task = c.task as Task;
      if (!receiveStep(c, s, task)) return;
      c.done += 1;
      c.task = null;
      // After '*a' the server has closed; otherwise close now and then, to reconnect.
      if (task.kind === 'A' || pick(4) === 0) {
        const closed = s.close();
        stats.closes += 1;
        if (closed[0] !== 1) fail(c, `close returned ${JSON.stringify(closed)}`);
        c.sock = null;
      }
    };

    for (let guard = 0; guard < 200000; guard++) {
      const open = clients.filter((c) => c.done < TASKS_PER_CLIENT);
      if (open.length === 0) break;
      step(open[pick(open.length)] as Client);
    }
    for (const c of clients) c.sock?.close();

    t.log(JSON.stringify(stats));
    t.deepEqual(errors, [], 'no wrong byte, no lost byte, no unexpected error');
    for (const c of clients) {
      t.is(c.done, TASKS_PER_CLIENT, `client ${c.n} finished its tasks`);
      t.is(c.received.digest('hex'), c.expected.digest('hex'), `client ${c.n} checksum`);
    }
    t.true(stats.timeouts > 0 && stats.resumedWithPrefix > 0, 'some receives timed out and were resumed with their partial');
    t.true(stats.connects > CLIENTS && stats.closes > 0, 'clients closed and reconnected');
  },
);

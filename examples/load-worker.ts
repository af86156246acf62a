/**
 * One load-harness task, run by piscina on its own worker thread: a straight-line,
 * blocking luasocket client (with its own I/O worker) doing echo round trips. Each
 * request is unique and its echo is checked, so a wrong answer fails the run.
 */
import * as socket from '../src/index.js';

export interface LoadTask {
  port: number;
  /** Sent once after connecting, before any round trip (the bench peer wants "ECHO\n"). */
  greeting: string;
  index: number;
  warmup: number;
  roundTrips: number;
  /** Start line shared by every task: [arrived, go]. All tasks time the same interval. */
  barrier: SharedArrayBuffer;
  threads: number;
  timeoutS: number;
}

export interface LoadResult {
  index: number;
  roundTrips: number;
  seconds: number;
  /** One entry per timed round trip, microseconds. */
  latenciesUs: Float64Array;
}

const ARRIVED = 0;

/** Blocks until every task reached the start line (bounded by `timeoutS`). */
function startTogether(task: LoadTask): void {
  const b = new Int32Array(task.barrier);
  Atomics.add(b, ARRIVED, 1);
  const end = performance.now() + task.timeoutS * 1000;
  for (let n = Atomics.load(b, ARRIVED); n < task.threads; n = Atomics.load(b, ARRIVED)) {
    const left = end - performance.now();
    if (left <= 0) throw new Error(`only ${n} of ${task.threads} tasks started`);
    Atomics.wait(b, ARRIVED, n, left);
  }
  Atomics.notify(b, ARRIVED);
}

function roundTrip(c: socket.TcpSocket, request: string, expect: string): void {
  const [, serr] = c.send(request);
  if (serr) throw new Error(`send: ${serr}`);
  const [line, err] = c.receive('*l');
  if (line !== expect) throw new Error(`expected '${expect}', got ${line === null ? err : `'${line}'`}`);
}

export default function run(task: LoadTask): LoadResult {
  const [c, err] = socket.connect('127.0.0.1', task.port);
  if (!c) throw new Error(`connect: ${err}`);
  try {
    c.settimeout(task.timeoutS);
    c.setoption('tcp-nodelay', true);
    if (task.greeting) c.send(task.greeting);
    for (let i = 0; i < task.warmup; i++) roundTrip(c, `w${task.index}:${i}\n`, `w${task.index}:${i}`);
    startTogether(task);
    const latenciesUs = new Float64Array(task.roundTrips);
    const t0 = performance.now();
    for (let i = 0; i < task.roundTrips; i++) {
      const s = performance.now();
      roundTrip(c, `t${task.index}:${i}\n`, `t${task.index}:${i}`);
      latenciesUs[i] = (performance.now() - s) * 1000;
    }
    const seconds = (performance.now() - t0) / 1000;
    return { index: task.index, roundTrips: task.roundTrips, seconds, latenciesUs };
  } finally {
    c.close();
  }
}

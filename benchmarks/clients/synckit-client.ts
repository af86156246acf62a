/**
 * The naive blocking design, built on synckit's createSyncFn: the calling thread blocks
 * on a worker for every single socket operation (see synckit-worker.ts). Same
 * straight-line code as the luasocket client.
 *
 *   node dist/benchmarks/clients/synckit-client.js <workload> <port> <count> <warmup> <seed>
 */
import { createSyncFn } from 'synckit';
import { announceListening, CHUNK, CLIENT_TIMEOUT_S, HOST, type Job, peakRssKiB, type Report, requestLine, runClient } from '../job.js';
import type { Call, Pattern, Received } from './synckit-worker.js';

type WorkerCall = (...c: Call) => unknown;
let syncCall: WorkerCall | null = null;

/** One blocking round trip to the worker (started on first use, like the luasocket engine). */
function workerCall(...c: Call): unknown {
  syncCall ??= createSyncFn<(...c: Call) => Promise<unknown>>(new URL('./synckit-worker.js', import.meta.url).href, {
    timeout: CLIENT_TIMEOUT_S * 1000,
  });
  return syncCall(...c);
}

/** A blocking socket whose every method is one worker round trip. */
class NaiveSocket {
  constructor(readonly id: number) {}

  static connect(port: number): NaiveSocket {
    return new NaiveSocket(workerCall('connect', HOST, port, CLIENT_TIMEOUT_S) as number);
  }

  send(data: string | Uint8Array): number {
    return workerCall('send', this.id, typeof data === 'string' ? Buffer.from(data) : data) as number;
  }

  receive(pattern: Pattern): Received {
    return workerCall('receive', this.id, pattern) as Received;
  }

  close(): void {
    workerCall('close', this.id);
  }
}

class NaiveServer {
  private constructor(
    readonly id: number,
    readonly port: number,
  ) {}

  static bind(): NaiveServer {
    const [id, port] = workerCall('bind', HOST) as [number, number];
    return new NaiveServer(id, port);
  }

  accept(): NaiveSocket {
    return new NaiveSocket(workerCall('accept', this.id) as number);
  }

  close(): void {
    workerCall('close', this.id);
  }
}

function open(job: Job): NaiveSocket {
  const c = NaiveSocket.connect(job.port);
  const request = requestLine(job);
  if (request) c.send(request);
  return c;
}

function echo(job: Job): Report {
  const c = open(job);
  for (let i = 0; i < job.warmup; i++) {
    c.send('ping\n');
    const [line, err] = c.receive('*l');
    if (line !== 'ping') throw new Error(`warm-up reply: ${line ?? err}`);
  }
  const lat = new Array<number>(job.count);
  const t0 = performance.now();
  for (let i = 0; i < job.count; i++) {
    const s = performance.now();
    c.send('ping\n');
    const [line, err] = c.receive('*l');
    if (line !== 'ping') throw new Error(`reply ${i}: ${line ?? err}`);
    lat[i] = (performance.now() - s) * 1000;
  }
  const seconds = (performance.now() - t0) / 1000;
  c.close();
  return { ok: true, seconds, done: job.warmup + job.count, bytes: 4 * (job.warmup + job.count), latenciesUs: lat, hwmKiB: 0 };
}

function lines(job: Job): Report {
  const c = open(job);
  let n = 0;
  let bytes = 0;
  let last: string | undefined;
  const t0 = performance.now();
  for (;;) {
    const [line, err] = c.receive('*l');
    if (line === null) {
      if (err !== 'closed') throw new Error(`receive: ${err}`);
      break;
    }
    n++;
    bytes += line.length;
    last = line as string;
  }
  const seconds = (performance.now() - t0) / 1000;
  c.close();
  return { ok: true, seconds, done: n, bytes, text: last, hwmKiB: 0 };
}

function bulk(job: Job): Report {
  const c = open(job);
  let calls = 0;
  let bytes = 0;
  const t0 = performance.now();
  for (;;) {
    const [data, err, partial] = c.receive(CHUNK);
    if (data === null) {
      if (err !== 'closed') throw new Error(`receive: ${err}`);
      bytes += partial.length;
      break;
    }
    calls++;
    bytes += data.length;
  }
  const seconds = (performance.now() - t0) / 1000;
  c.close();
  return { ok: true, seconds, done: calls, bytes, hwmKiB: 0 };
}

function bulkAll(job: Job): Report {
  const c = open(job);
  const t0 = performance.now();
  const [data, err] = c.receive('*a');
  const seconds = (performance.now() - t0) / 1000;
  if (data === null) throw new Error(`receive: ${err}`);
  c.close();
  return { ok: true, seconds, done: 1, bytes: data.length, hwmKiB: 0 };
}

function send(job: Job): Report {
  const c = open(job);
  const chunk = Buffer.alloc(CHUNK, 'x');
  let sent = 0;
  const t0 = performance.now();
  while (sent < job.count) {
    sent += c.send(job.count - sent >= CHUNK ? chunk : chunk.subarray(0, job.count - sent));
  }
  const [ack, err] = c.receive('*l');
  const seconds = (performance.now() - t0) / 1000;
  if (ack === null) throw new Error(`ack: ${err}`);
  c.close();
  return { ok: true, seconds, done: Math.ceil(job.count / CHUNK), bytes: sent, text: ack as string, hwmKiB: 0 };
}

function connect(job: Job): Report {
  let t0 = performance.now();
  for (let i = 0; i < job.warmup + job.count; i++) {
    if (i === job.warmup) t0 = performance.now();
    NaiveSocket.connect(job.port).close();
  }
  return { ok: true, seconds: (performance.now() - t0) / 1000, done: job.warmup + job.count, bytes: 0, hwmKiB: 0 };
}

function accept(job: Job): Report {
  const server = NaiveServer.bind();
  announceListening(server.port);
  let t0 = performance.now();
  for (let i = 0; i < job.warmup + job.count; i++) {
    if (i === job.warmup) t0 = performance.now();
    server.accept().close();
  }
  const seconds = (performance.now() - t0) / 1000;
  server.close();
  return { ok: true, seconds, done: job.warmup + job.count, bytes: 0, hwmKiB: 0 };
}

function startup(job: Job): Report {
  // The first call starts the worker.
  const t0 = performance.now();
  const c = NaiveSocket.connect(job.port);
  const seconds = (performance.now() - t0) / 1000;
  c.close();
  return { ok: true, seconds, done: 1, bytes: 0, hwmKiB: 0 };
}

const WORKLOADS = { echo, lines, bulk, bulkall: bulkAll, send, connect, accept, startup } as const;

await runClient((job) => {
  const report = WORKLOADS[job.workload](job);
  report.hwmKiB = peakRssKiB();
  return report;
});

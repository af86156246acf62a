/**
 * A load harness: N piscina worker threads, each running a straight-line blocking
 * luasocket client (examples/load-worker.ts) that does echo round trips against one
 * server. Prints aggregate throughput and latency percentiles.
 *
 *   node dist/examples/load-harness.js [--threads 4] [--round-trips 10000] [--warmup 200]
 *                                      [--port P --greeting 'ECHO\n'] [--json]
 *
 * Without --port it starts its own echo server (node:net, in a separate worker thread)
 * and checks that the server echoed exactly the lines the clients counted.
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { LoadResult, LoadTask } from './load-worker.js';

export interface LoadOptions {
  threads: number;
  roundTrips: number;
  warmup: number;
  /** An echo server to use; 0 starts a local one. */
  port: number;
  greeting: string;
  timeoutS: number;
}

export interface LoadSummary {
  threads: number;
  /** Timed round trips, all threads. */
  roundTrips: number;
  /** From the common start line to the last thread's end. */
  seconds: number;
  roundTripsPerSecond: number;
  p50Us: number;
  p99Us: number;
  /** Lines the local echo server echoed (warm-up included); null with an external server. */
  serverLines: number | null;
}

export const DEFAULTS: LoadOptions = { threads: 4, roundTrips: 10000, warmup: 200, port: 0, greeting: '', timeoutS: 30 };

/** A node:net echo server on 127.0.0.1 in its own thread; counts the lines it echoed. */
const ECHO_SERVER = `
const net = require('node:net');
const { parentPort } = require('node:worker_threads');
let lines = 0;
const server = net.createServer((s) => {
  s.setNoDelay(true);
  s.on('data', (d) => { for (const b of d) if (b === 10) lines++; s.write(d); });
  s.on('error', () => {});
});
server.listen({ host: '127.0.0.1', port: 0 }, () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (m) => {
  if (m === 'count') parentPort.postMessage({ lines });
  if (m === 'stop') server.close(() => process.exit(0));
});
`;

class EchoServer {
  private constructor(
    private readonly worker: Worker,
    readonly port: number,
  ) {}

  static async start(): Promise<EchoServer> {
    const worker = new Worker(ECHO_SERVER, { eval: true });
    const [msg] = (await once(worker, 'message')) as [{ port: number }];
    return new EchoServer(worker, msg.port);
  }

  async lines(): Promise<number> {
    this.worker.postMessage('count');
    const [msg] = (await once(this.worker, 'message')) as [{ lines: number }];
    return msg.lines;
  }

  async stop(): Promise<void> {
    this.worker.postMessage('stop');
    await Promise.race([once(this.worker, 'exit'), new Promise((r) => setTimeout(r, 2000).unref())]);
    await this.worker.terminate();
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

export async function runLoad(options: Partial<LoadOptions> = {}): Promise<LoadSummary> {
  const o = { ...DEFAULTS, ...options };
  const server = o.port ? null : await EchoServer.start();
  const port = o.port || (server as EchoServer).port;
  const pool = new Piscina({
    filename: new URL('./load-worker.js', import.meta.url).href,
    minThreads: o.threads,
    maxThreads: o.threads,
    concurrentTasksPerWorker: 1,
  });
  try {
    const barrier = new SharedArrayBuffer(8);
    const tasks: Promise<LoadResult>[] = [];
    for (let index = 0; index < o.threads; index++) {
      const task: LoadTask = {
        port,
        greeting: o.greeting,
        index,
        warmup: o.warmup,
        roundTrips: o.roundTrips,
        barrier,
        threads: o.threads,
        timeoutS: o.timeoutS,
      };
      tasks.push(pool.run(task));
    }
    const results = await Promise.all(tasks);
    const seconds = Math.max(...results.map((r) => r.seconds));
    const all = new Float64Array(o.threads * o.roundTrips);
    for (const [i, r] of results.entries()) all.set(r.latenciesUs, i * o.roundTrips);
    all.sort();
    const roundTrips = results.reduce((n, r) => n + r.roundTrips, 0);
    const serverLines = server ? await server.lines() : null;
    const expected = o.threads * (o.warmup + o.roundTrips);
    if (serverLines !== null && serverLines !== expected) {
      throw new Error(`the server echoed ${serverLines} lines, the clients expected ${expected}`);
    }
    return {
      threads: o.threads,
      roundTrips,
      seconds,
      roundTripsPerSecond: roundTrips / seconds,
      p50Us: percentile(all, 50),
      p99Us: percentile(all, 99),
      serverLines,
    };
  } finally {
    await pool.destroy();
    await server?.stop();
  }
}

function parseArgs(argv: string[]): { options: Partial<LoadOptions>; json: boolean } {
  const options: Partial<LoadOptions> = {};
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--threads') options.threads = Number(next());
    else if (a === '--round-trips') options.roundTrips = Number(next());
    else if (a === '--warmup') options.warmup = Number(next());
    else if (a === '--port') options.port = Number(next());
    else if (a === '--greeting') options.greeting = next().replace(/\\n/g, '\n');
    else if (a === '--timeout') options.timeoutS = Number(next());
    else if (a === '--json') json = true;
    else throw new Error(`unknown option ${a}`);
  }
  return { options, json };
}

if (import.meta.url === new URL(process.argv[1] ?? '', 'file://').href) {
  const { options, json } = parseArgs(process.argv.slice(2));
  const s = await runLoad(options);
  if (json) {
    process.stdout.write(`${JSON.stringify(s)}\n`);
  } else {
    console.log(`${s.threads} threads x ${s.roundTrips / s.threads} echo round trips (blocking luasocket clients under piscina)`);
    console.log(`  throughput: ${Math.round(s.roundTripsPerSecond).toLocaleString('en-US')} round trips/s in ${s.seconds.toFixed(2)} s`);
    console.log(`  latency:    p50 ${s.p50Us.toFixed(1)} us, p99 ${s.p99Us.toFixed(1)} us`);
    if (s.serverLines !== null) console.log(`  checked:    the server echoed ${s.serverLines} lines, as the clients counted`);
  }
}

/**
 * The in-process limit: Node's own asynchronous node:net doing the same work with
 * callbacks and promises, no threads and no shared memory. Lines are cut and decoded to
 * strings as receive('*l') would; bulk data stays in Buffers. W9 and W10 use node:http and
 * node:tls instead (node-http-tls.ts).
 *
 *   node dist/benchmarks/clients/node-net-client.js <workload> <port> <count> <warmup> <seed>
 */
import dgram from 'node:dgram';
import net from 'node:net';
import {
  announceListening,
  CHUNK,
  CLIENT_TIMEOUT_S,
  DATAGRAM,
  DATAGRAM_WINDOW,
  HOST,
  type Job,
  peakRssKiB,
  type Report,
  requestLine,
  runClient,
  wholeStreams,
} from '../job.js';
import { httpGet, tlsBulk } from './node-http-tls.js';

const LF = 10;

function open(job: Job): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: HOST, port: job.port, noDelay: true });
    s.setTimeout(CLIENT_TIMEOUT_S * 1000, () => s.destroy(new Error('timeout')));
    s.once('error', reject);
    s.once('connect', () => {
      s.off('error', reject);
      const request = requestLine(job);
      if (request) s.write(request);
      resolve(s);
    });
  });
}

/** Splits a byte stream into lines (CR dropped before LF); `onLine` gets each as a string. */
class LineReader {
  private rest: Buffer | null = null;
  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.rest) {
      buf = Buffer.concat([this.rest, chunk]);
      this.rest = null;
    }
    let from = 0;
    for (let lf = buf.indexOf(LF, from); lf >= 0; lf = buf.indexOf(LF, from)) {
      const end = lf > from && buf[lf - 1] === 13 ? lf - 1 : lf;
      this.onLine(buf.toString('utf8', from, end));
      from = lf + 1;
    }
    if (from < buf.length) this.rest = Buffer.from(buf.subarray(from));
  }
}

async function echo(job: Job): Promise<Report> {
  const s = await open(job);
  let waiting: { resolve: (line: string) => void; reject: (e: Error) => void } | null = null;
  let broken: Error | null = null;
  const reader = new LineReader((line) => {
    const w = waiting;
    waiting = null;
    w?.resolve(line);
  });
  const fail = (e: Error) => {
    broken ??= e;
    waiting?.reject(broken);
    waiting = null;
  };
  s.on('data', (chunk: Buffer) => reader.push(chunk));
  s.on('error', fail);
  s.on('close', () => fail(new Error('closed')));
  const roundTrip = (): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      if (broken) return reject(broken);
      waiting = { resolve, reject };
      s.write('ping\n');
    });
  for (let i = 0; i < job.warmup; i++) {
    const line = await roundTrip();
    if (line !== 'ping') throw new Error(`warm-up reply: ${line}`);
  }
  const lat = new Array<number>(job.count);
  const t0 = performance.now();
  for (let i = 0; i < job.count; i++) {
    const t = performance.now();
    const line = await roundTrip();
    if (line !== 'ping') throw new Error(`reply ${i}: ${line}`);
    lat[i] = (performance.now() - t) * 1000;
  }
  const seconds = (performance.now() - t0) / 1000;
  s.destroy();
  return { ok: true, seconds, done: job.warmup + job.count, bytes: 4 * (job.warmup + job.count), latenciesUs: lat, hwmKiB: 0 };
}

async function lines(job: Job): Promise<Report> {
  const s = await open(job);
  let n = 0;
  let bytes = 0;
  let last: string | undefined;
  const reader = new LineReader((line) => {
    n++;
    bytes += line.length;
    last = line;
  });
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    s.on('data', (chunk: Buffer) => reader.push(chunk));
    s.on('end', resolve);
    s.on('error', reject);
  });
  const seconds = (performance.now() - t0) / 1000;
  s.destroy();
  return { ok: true, seconds, done: n, bytes, text: last, hwmKiB: 0 };
}

async function bulk(job: Job): Promise<Report> {
  const s = await open(job);
  let calls = 0;
  let bytes = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    s.on('data', (chunk: Buffer) => {
      calls++;
      bytes += chunk.length;
    });
    s.on('end', resolve);
    s.on('error', reject);
  });
  const seconds = (performance.now() - t0) / 1000;
  s.destroy();
  return { ok: true, seconds, done: calls, bytes, hwmKiB: 0 };
}

/** W3a's counterpart: each whole stream gathered into one Buffer, as receive('*a') returns it. */
async function bulkAll(job: Job): Promise<Report> {
  let bytes = 0;
  const streams = wholeStreams(job.count);
  const t0 = performance.now();
  for (const count of streams) {
    const s = await open({ ...job, count });
    const parts: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      s.on('data', (chunk: Buffer) => parts.push(chunk));
      s.on('end', resolve);
      s.on('error', reject);
    });
    bytes += Buffer.concat(parts).length;
    s.destroy();
  }
  const seconds = (performance.now() - t0) / 1000;
  return { ok: true, seconds, done: streams.length, bytes, hwmKiB: 0 };
}

async function send(job: Job): Promise<Report> {
  const s = await open(job);
  const chunk: string | Buffer = job.workload === 'sendbuf' ? Buffer.alloc(CHUNK, 'x') : 'x'.repeat(CHUNK);
  let ack: string | undefined;
  const gotAck = new Promise<void>((resolve, reject) => {
    const reader = new LineReader((line) => {
      ack ??= line;
      resolve();
    });
    s.on('data', (c: Buffer) => reader.push(c));
    s.on('error', reject);
    s.on('close', () => reject(new Error('closed before the ack')));
  });
  gotAck.catch(() => {});
  let sent = 0;
  const t0 = performance.now();
  while (sent < job.count) {
    const rest = job.count - sent;
    const piece = rest >= CHUNK ? chunk : typeof chunk === 'string' ? chunk.slice(0, rest) : chunk.subarray(0, rest);
    sent += piece.length;
    if (!s.write(piece)) await new Promise((resolve) => s.once('drain', resolve));
  }
  await gotAck;
  const seconds = (performance.now() - t0) / 1000;
  s.destroy();
  return { ok: true, seconds, done: Math.ceil(job.count / CHUNK), bytes: sent, text: ack, hwmKiB: 0 };
}

function connectOnce(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: HOST, port });
    s.once('error', reject);
    s.once('connect', () => {
      s.destroy();
      resolve();
    });
  });
}

async function connect(job: Job): Promise<Report> {
  let t0 = performance.now();
  for (let i = 0; i < job.warmup + job.count; i++) {
    if (i === job.warmup) t0 = performance.now();
    await connectOnce(job.port);
  }
  return { ok: true, seconds: (performance.now() - t0) / 1000, done: job.warmup + job.count, bytes: 0, hwmKiB: 0 };
}

async function accept(job: Job): Promise<Report> {
  const total = job.warmup + job.count;
  let accepted = 0;
  let t0 = performance.now();
  const server = net.createServer();
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout after ${accepted} accepts`)), CLIENT_TIMEOUT_S * 1000);
    server.on('connection', (c) => {
      c.destroy();
      accepted++;
      if (accepted === job.warmup) t0 = performance.now();
      if (accepted === total) {
        clearTimeout(timer);
        resolve();
      }
    });
    server.on('error', reject);
  });
  await new Promise<void>((resolve) => server.listen({ host: HOST, port: 0, backlog: 32 }, resolve));
  announceListening((server.address() as net.AddressInfo).port);
  await done;
  const seconds = (performance.now() - t0) / 1000;
  server.close();
  return { ok: true, seconds, done: accepted, bytes: 0, hwmKiB: 0 };
}

async function startup(job: Job): Promise<Report> {
  const t0 = performance.now();
  const s = await open({ ...job, workload: 'startup' });
  const seconds = (performance.now() - t0) / 1000;
  s.destroy();
  return { ok: true, seconds, done: 1, bytes: 0, hwmKiB: 0 };
}

/** A node:dgram socket connected to the peer's UDP port, and a way to await its next datagram. */
async function datagrams(job: Job): Promise<{ u: dgram.Socket; next: () => Promise<Buffer> }> {
  const u = dgram.createSocket('udp4');
  const queue: Buffer[] = [];
  let waiting: ((b: Buffer) => void) | null = null;
  u.on('message', (m) => {
    const w = waiting;
    waiting = null;
    if (w) w(m);
    else queue.push(m);
  });
  await new Promise<void>((resolve, reject) => {
    u.once('error', reject);
    u.connect(job.port, HOST, () => resolve());
  });
  const next = () =>
    new Promise<Buffer>((resolve, reject) => {
      const m = queue.shift();
      if (m) return resolve(m);
      const timer = setTimeout(() => reject(new Error('timeout')), CLIENT_TIMEOUT_S * 1000);
      waiting = (b) => {
        clearTimeout(timer);
        resolve(b);
      };
    });
  return { u, next };
}

async function udpEcho(job: Job): Promise<Report> {
  const { u, next } = await datagrams(job);
  const payload = Buffer.from(DATAGRAM);
  const roundTrip = async () => {
    u.send(payload);
    const d = await next();
    if (d.length !== payload.length) throw new Error(`reply of ${d.length} bytes`);
  };
  for (let i = 0; i < job.warmup; i++) await roundTrip();
  const lat = new Array<number>(job.count);
  const t0 = performance.now();
  for (let i = 0; i < job.count; i++) {
    const s = performance.now();
    await roundTrip();
    lat[i] = (performance.now() - s) * 1000;
  }
  const seconds = (performance.now() - t0) / 1000;
  u.close();
  const n = job.warmup + job.count;
  return { ok: true, seconds, done: n, bytes: payload.length * n, latenciesUs: lat, hwmKiB: 0 };
}

async function udpRate(job: Job): Promise<Report> {
  const { u, next } = await datagrams(job);
  const payload = Buffer.from(DATAGRAM);
  let done = 0;
  const t0 = performance.now();
  while (done < job.count) {
    const burst = Math.min(DATAGRAM_WINDOW, job.count - done);
    for (let i = 0; i < burst; i++) u.send(payload);
    for (let i = 0; i < burst; i++) await next();
    done += burst;
  }
  const seconds = (performance.now() - t0) / 1000;
  u.close();
  return { ok: true, seconds, done, bytes: payload.length * done, hwmKiB: 0 };
}

await runClient(async (job) => {
  let report: Report;
  switch (job.workload) {
    case 'echo':
      report = await echo(job);
      break;
    case 'lines':
      report = await lines(job);
      break;
    case 'bulk':
      report = await bulk(job);
      break;
    case 'bulkall':
      report = await bulkAll(job);
      break;
    case 'send':
    case 'sendbuf':
      report = await send(job);
      break;
    case 'connect':
      report = await connect(job);
      break;
    case 'accept':
      report = await accept(job);
      break;
    case 'startup':
      report = await startup(job);
      break;
    case 'udpecho':
      report = await udpEcho(job);
      break;
    case 'udprate':
      report = await udpRate(job);
      break;
    case 'httpget':
      report = await httpGet(job);
      break;
    case 'tlsbulk':
      report = await tlsBulk(job);
      break;
  }
  report.hwmKiB = peakRssKiB();
  return report;
});

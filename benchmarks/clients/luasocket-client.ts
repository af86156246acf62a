/**
 * The client under test: this package, straight-line blocking code as a LuaSocket script
 * would be written. Line workloads use the default (utf8 string) encoding; bulk
 * receives use 'buffer', the JavaScript form of Lua's byte strings. W4 sends a string,
 * as a ported Lua script would; W4b sends a Buffer of the same bytes. W9 (socket.http) and
 * W10 (socket.ssl) are in luasocket-http-tls.ts.
 * The engine is whatever LUASOCKET_ENGINE (read by the package at import) selects.
 *
 *   node dist/benchmarks/clients/luasocket-client.js <workload> <port> <count> <warmup> <seed>
 */
import {
  announceListening,
  CHUNK,
  CLIENT_TIMEOUT_S,
  DATAGRAM,
  DATAGRAM_WINDOW,
  HOST,
  type Job,
  mapped,
  peakRssKiB,
  type Report,
  requestLine,
  runClient,
  wholeStreams,
} from '../job.js';
import { httpGet, tlsBulk } from './luasocket-http-tls.js';

// Loaded in main() so that the start-up workload can time the import itself.
type Socket = typeof import('../../src/index.js');
const ENTRY = new URL('../../src/luasocket.js', import.meta.url).href;
type Client = NonNullable<ReturnType<Socket['connect']>[0]>;

function open(socket: Socket, job: Job): Client {
  const [c, err] = socket.connect(HOST, job.port);
  if (!c) throw new Error(`connect: ${err}`);
  c.settimeout(CLIENT_TIMEOUT_S);
  c.setoption('tcp-nodelay', true);
  const request = requestLine(job);
  if (request) sendAll(c, request);
  return c;
}

function sendAll(c: Client, data: string | Buffer): void {
  const [n, err] = c.send(data);
  if (n === null) throw new Error(`send: ${err}`);
}

function echo(socket: Socket, job: Job): Report {
  const c = open(socket, job);
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

function lines(socket: Socket, job: Job): Report {
  const c = open(socket, job);
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
    last = line;
  }
  const seconds = (performance.now() - t0) / 1000;
  c.close();
  return { ok: true, seconds, done: n, bytes, text: last, hwmKiB: 0 };
}

function bulk(socket: Socket, job: Job): Report {
  const c = open(socket, job).setencoding('buffer');
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

function bulkAll(socket: Socket, job: Job): Report {
  let bytes = 0;
  const streams = wholeStreams(job.count);
  const t0 = performance.now();
  for (const count of streams) {
    const c = open(socket, { ...job, count }).setencoding('buffer');
    const [data, err] = c.receive('*a');
    if (data === null) throw new Error(`receive: ${err}`);
    bytes += data.length;
    c.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  return { ok: true, seconds, done: streams.length, bytes, hwmKiB: 0 };
}

function send(socket: Socket, job: Job): Report {
  const c = open(socket, job);
  const chunk: string | Buffer = job.workload === 'sendbuf' ? Buffer.alloc(CHUNK, 'x') : 'x'.repeat(CHUNK);
  let sent = 0;
  const t0 = performance.now();
  while (sent < job.count) {
    const rest = job.count - sent;
    const piece = rest >= CHUNK ? chunk : typeof chunk === 'string' ? chunk.slice(0, rest) : chunk.subarray(0, rest);
    const [n, err] = c.send(piece);
    if (n === null) throw new Error(`send: ${err}`);
    sent += n;
  }
  const [ack, err] = c.receive('*l');
  const seconds = (performance.now() - t0) / 1000;
  if (ack === null) throw new Error(`ack: ${err}`);
  c.close();
  return { ok: true, seconds, done: Math.ceil(job.count / CHUNK), bytes: sent, text: ack, hwmKiB: 0 };
}

function connect(socket: Socket, job: Job): Report {
  let t0 = performance.now();
  for (let i = 0; i < job.warmup + job.count; i++) {
    if (i === job.warmup) t0 = performance.now();
    const [c, err] = socket.connect(HOST, job.port);
    if (!c) throw new Error(`connect ${i}: ${err}`);
    c.close();
  }
  return { ok: true, seconds: (performance.now() - t0) / 1000, done: job.warmup + job.count, bytes: 0, hwmKiB: 0 };
}

function accept(socket: Socket, job: Job): Report {
  const [server, berr] = socket.bind(HOST, 0);
  if (!server) throw new Error(`bind: ${berr}`);
  server.settimeout(CLIENT_TIMEOUT_S);
  const [, port] = server.getsockname();
  announceListening(Number(port));
  let t0 = performance.now();
  for (let i = 0; i < job.warmup + job.count; i++) {
    if (i === job.warmup) t0 = performance.now();
    const [c, err] = server.accept();
    if (!c) throw new Error(`accept ${i}: ${err}`);
    c.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  server.close();
  return { ok: true, seconds, done: job.warmup + job.count, bytes: 0, hwmKiB: 0 };
}

/** A UDP object connected to the peer's UDP port. */
function datagrams(socket: Socket, job: Job): NonNullable<ReturnType<Socket['udp']>[0]> {
  const [u, err] = socket.udp();
  if (!u) throw new Error(`udp: ${err}`);
  u.settimeout(CLIENT_TIMEOUT_S);
  const [ok, cerr] = u.setpeername(HOST, job.port);
  if (ok === null) throw new Error(`setpeername: ${cerr}`);
  return u;
}

function udpEcho(socket: Socket, job: Job): Report {
  const u = datagrams(socket, job);
  for (let i = 0; i < job.warmup; i++) {
    u.send(DATAGRAM);
    const [d, err] = u.receive();
    if (d !== DATAGRAM) throw new Error(`warm-up reply: ${d ?? err}`);
  }
  const lat = new Array<number>(job.count);
  const t0 = performance.now();
  for (let i = 0; i < job.count; i++) {
    const s = performance.now();
    u.send(DATAGRAM);
    const [d, err] = u.receive();
    if (d !== DATAGRAM) throw new Error(`reply ${i}: ${d ?? err}`);
    lat[i] = (performance.now() - s) * 1000;
  }
  const seconds = (performance.now() - t0) / 1000;
  u.close();
  const n = job.warmup + job.count;
  return { ok: true, seconds, done: n, bytes: DATAGRAM.length * n, latenciesUs: lat, hwmKiB: 0 };
}

function udpRate(socket: Socket, job: Job): Report {
  const u = datagrams(socket, job);
  let done = 0;
  const t0 = performance.now();
  while (done < job.count) {
    const burst = Math.min(DATAGRAM_WINDOW, job.count - done);
    for (let i = 0; i < burst; i++) {
      const [n, err] = u.send(DATAGRAM);
      if (n === null) throw new Error(`send: ${err}`);
    }
    for (let i = 0; i < burst; i++) {
      const [d, err] = u.receive();
      if (d === null) throw new Error(`receive after ${done + i}: ${err}`);
    }
    done += burst;
  }
  const seconds = (performance.now() - t0) / 1000;
  u.close();
  return { ok: true, seconds, done, bytes: DATAGRAM.length * done, hwmKiB: 0 };
}

const WORKLOADS = {
  echo,
  lines,
  bulk,
  bulkall: bulkAll,
  send,
  sendbuf: send,
  connect,
  accept,
  udpecho: udpEcho,
  udprate: udpRate,
  httpget: httpGet,
  tlsbulk: tlsBulk,
} as const;

await runClient(async (job) => {
  const t0 = performance.now();
  // The package's entry point (package.json "exports"): the bundle scripts/bundle.mjs makes.
  const socket = (await import(ENTRY)) as Socket;
  let report: Report;
  if (job.workload === 'startup') {
    // From the import to the first completed loopback connect: loads the addon, starts the worker.
    const [c, err] = socket.connect(HOST, job.port);
    const seconds = (performance.now() - t0) / 1000;
    if (!c) throw new Error(`connect: ${err}`);
    c.close();
    report = { ok: true, seconds, done: 1, bytes: 0, hwmKiB: 0 };
  } else {
    report = WORKLOADS[job.workload](socket, job);
  }
  report.hwmKiB = peakRssKiB();
  report.addonLoaded = mapped('luasocket_native.node');
  return report;
});

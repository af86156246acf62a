/**
 * What the harness asks one client process to do, and what the client reports back.
 * Every client (the TypeScript ones and benchmarks/lua/client.lua) takes the same
 * positional arguments and prints the same JSON report as its last stdout line.
 *
 *   <client> <workload> <port> <count> <warmup> <seed>
 */
import { readdirSync, readFileSync } from 'node:fs';

export const WORKLOAD_IDS = [
  'echo',
  'lines',
  'bulk',
  'bulkall',
  'send',
  'sendbuf',
  'connect',
  'accept',
  'startup',
  'udpecho',
  'udprate',
  'httpget',
  'tlsbulk',
] as const;
export type WorkloadId = (typeof WORKLOAD_IDS)[number];

export interface Job {
  workload: WorkloadId;
  /**
   * The peer's service port (echo, lines, bulk, bulkall, send, startup), close port (connect),
   * UDP port (udpecho, udprate) or HTTP port (httpget); the TLS server's port (tlsbulk); 0 for accept.
   */
  port: number;
  /** Timed units: round trips, lines, bytes, connections or requests. */
  count: number;
  /** Untimed units done first (echo round trips, connections). */
  warmup: number;
  /** LINES stream seed. */
  seed: number;
}

/** The client's report. Counts include warm-up units. */
export interface Report {
  ok: boolean;
  error?: string;
  /** Duration of the timed part. */
  seconds: number;
  /** Units completed, warm-up included (lines, round trips, connections, receive calls). */
  done: number;
  /** Payload bytes received or sent (lines: without the line ends). */
  bytes: number;
  /** lines: the last line received; send: the peer's ack line; tlsbulk: the last bytes received (latin1). */
  text?: string;
  /** echo: one entry per timed round trip, microseconds. */
  latenciesUs?: number[];
  /** echo: the tick of the clock the latencies were read from, microseconds (0: fine enough). */
  clockTickUs?: number;
  /** Peak resident set size of the client process (VmHWM), KiB. */
  hwmKiB: number;
  /** This package's clients: was the native addon loaded into the process? */
  addonLoaded?: boolean;
  /** Time on and waiting for a CPU over the run (start-up and connect included). */
  cpu?: CpuUse;
}

/** The first stdout line of an accept client: the port it listens on. */
export interface ListeningLine {
  listening: number;
}

export const HOST = '127.0.0.1';
/** Socket timeout of every blocking call in a client: a stuck run fails instead of hanging. */
export const CLIENT_TIMEOUT_S = 10;
/** Bulk chunk size (W3 receive size and W4 send size: a string for 'send', a Buffer for 'sendbuf'). */
export const CHUNK = 65536;
/** The UDP workloads' datagram (32 bytes) and how many W8 keeps in flight. */
export const DATAGRAM = 'd'.repeat(32);
export const DATAGRAM_WINDOW = 64;

/** The body of every answer of the peer's HTTP port (peer.c's http_ok): clients compare each body with it. */
export const HTTP_BODY = '0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqr';
/** What W9 requests: a fresh connection per request, as socket.http does. */
export const httpUrl = (port: number): string => `http://${HOST}:${port}/x`;

/** Byte i of the TLS server's stream (benchmarks/tls-server.ts): 'A' + i % 61, as the C peer's BULK. */
export const tlsStreamByte = (i: number): number => 65 + (i % 61);
/** How many of the last bytes received a tlsbulk client reports (as latin1 text), for the check. */
export const TLS_TAIL = 16;

/** The last TLS_TAIL bytes of a TLS stream of `n` bytes, as latin1 text. */
export function tlsTail(n: number): string {
  let s = '';
  for (let i = Math.max(0, n - TLS_TAIL); i < n; i++) s += String.fromCharCode(tlsStreamByte(i));
  return s;
}

export function parseJob(argv: string[]): Job {
  const [workload, port, count, warmup, seed] = argv;
  if (!WORKLOAD_IDS.includes(workload as WorkloadId)) throw new Error(`unknown workload '${workload}'`);
  return { workload: workload as WorkloadId, port: Number(port), count: Number(count), warmup: Number(warmup), seed: Number(seed) };
}

export function jobArgs(job: Job): string[] {
  return [job.workload, String(job.port), String(job.count), String(job.warmup), String(job.seed)];
}

/** VmHWM of this process in KiB (the peak RSS, all threads). */
export function peakRssKiB(): number {
  const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** Is a shared object whose path contains `name` mapped into this process? */
export function mapped(name: string): boolean {
  return readFileSync('/proc/self/maps', 'utf8').includes(name);
}

/** VmRSS of this process in KiB. */
export function rssKiB(): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : 0;
}

export function failed(error: unknown): Report {
  return { ok: false, error: String(error instanceof Error ? error.message : error), seconds: 0, done: 0, bytes: 0, hwmKiB: peakRssKiB() };
}

/** The request line the peer's service port expects for a workload. */
export function requestLine(job: Job): string {
  switch (job.workload) {
    case 'echo':
      return 'ECHO\n';
    case 'lines':
      return `LINES ${job.count} ${job.seed}\n`;
    case 'bulk':
    case 'bulkall':
    case 'tlsbulk':
      return `BULK ${job.count}\n`;
    case 'send':
    case 'sendbuf':
      return `SINK ${job.count}\n`;
    default:
      return '';
  }
}

/**
 * W3a reads whole streams with receive('*a'): each stream is at most this long (the Lua client
 * has the same constant), so a run long enough to time is several streams, not one result of
 * several GiB that would double in every client's memory.
 */
export const WHOLE_STREAM_BYTES = 512 * 1024 * 1024;

/** The stream lengths of a W3a run: count bytes in streams of at most WHOLE_STREAM_BYTES. */
export function wholeStreams(count: number): number[] {
  const pieces: number[] = [];
  for (let left = count; left > 0; left -= WHOLE_STREAM_BYTES) pieces.push(Math.min(left, WHOLE_STREAM_BYTES));
  return pieces;
}

/** Runs a client's workload function and prints its report as the last stdout line. */
export async function runClient(run: (job: Job) => Report | Promise<Report>): Promise<void> {
  let report: Report;
  const before = threadTimes();
  try {
    report = await run(parseJob(process.argv.slice(2)));
    report.cpu = cpuSince(before);
  } catch (e) {
    report = failed(e);
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

/** Per thread: seconds on a CPU, seconds runnable but waiting for one, and times it was scheduled in (/proc schedstat). */
export interface ThreadTime {
  runS: number;
  waitS: number;
  slices: number;
}

/** A /proc/.../schedstat line: nanoseconds run, nanoseconds waited on a run queue, time slices. */
export function parseSchedstat(line: string): ThreadTime {
  const [run, wait, slices] = line.trim().split(/\s+/).map(Number);
  return { runS: (run ?? 0) / 1e9, waitS: (wait ?? 0) / 1e9, slices: slices ?? 0 };
}

function threadTimes(): Map<number, ThreadTime> {
  const out = new Map<number, ThreadTime>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      out.set(Number(tid), parseSchedstat(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8')));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

/** Threads' time over a run: the main thread, and the others (busiest first), rounded to 0.1 ms. */
export interface CpuUse {
  main: ThreadTime;
  others: ThreadTime[];
}

const ms01 = (s: number) => Math.round(s * 1e4) / 1e4;

function cpuSince(before: Map<number, ThreadTime>): CpuUse {
  const used = (tid: number, t: ThreadTime): ThreadTime => {
    const b = before.get(tid) ?? { runS: 0, waitS: 0, slices: 0 };
    return { runS: ms01(t.runS - b.runS), waitS: ms01(t.waitS - b.waitS), slices: t.slices - b.slices };
  };
  const now = threadTimes();
  const main = used(process.pid, now.get(process.pid) ?? { runS: 0, waitS: 0, slices: 0 });
  const others = [...now].filter(([tid]) => tid !== process.pid).map(([tid, t]) => used(tid, t));
  return { main, others: others.filter((t) => t.runS > 0).sort((x, y) => y.runS - x.runS) };
}

/** Prints the listening line of an accept client. */
export function announceListening(port: number): void {
  process.stdout.write(`${JSON.stringify({ listening: port } satisfies ListeningLine)}\n`);
}

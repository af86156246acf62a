/**
 * What the harness asks one client process to do, and what the client reports back.
 * Every client (the TypeScript ones and benchmarks/lua/client.lua) takes the same
 * positional arguments and prints the same JSON report as its last stdout line.
 *
 *   <client> <workload> <port> <count> <warmup> <seed>
 */
import { readdirSync, readFileSync } from 'node:fs';

export const WORKLOAD_IDS = ['echo', 'lines', 'bulk', 'bulkall', 'send', 'sendbuf', 'connect', 'accept', 'startup'] as const;
export type WorkloadId = (typeof WORKLOAD_IDS)[number];

export interface Job {
  workload: WorkloadId;
  /** The peer's service port (echo, lines, bulk, bulkall, send, startup) or close port (connect); 0 for accept. */
  port: number;
  /** Timed units: round trips, lines, bytes or connections. */
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
  /** lines: the last line received; send: the peer's ack line. */
  text?: string;
  /** echo: one entry per timed round trip, microseconds. */
  latenciesUs?: number[];
  /** echo: the tick of the clock the latencies were read from, microseconds (0: fine enough). */
  clockTickUs?: number;
  /** Peak resident set size of the client process (VmHWM), KiB. */
  hwmKiB: number;
  /** This package's clients: was the native addon loaded into the process? */
  addonLoaded?: boolean;
  /** CPU time (user + system) over the run, seconds: the main thread, and the others, busiest first. */
  cpu?: { mainS: number; othersS: number[] };
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
      return `BULK ${job.count}\n`;
    case 'send':
    case 'sendbuf':
      return `SINK ${job.count}\n`;
    default:
      return '';
  }
}

/** Runs a client's workload function and prints its report as the last stdout line. */
export async function runClient(run: (job: Job) => Report | Promise<Report>): Promise<void> {
  let report: Report;
  const before = threadCpu();
  try {
    report = await run(parseJob(process.argv.slice(2)));
    report.cpu = cpuSince(before);
  } catch (e) {
    report = failed(e);
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

/** utime + stime of a /proc stat line, in seconds (USER_HZ is 100 on Linux). */
export function statCpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds used so far by each thread of this process, by thread id. */
function threadCpu(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      out.set(Number(tid), statCpuSeconds(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

function cpuSince(before: Map<number, number>): { mainS: number; othersS: number[] } {
  const now = threadCpu();
  const used = (tid: number, s: number) => Math.round((s - (before.get(tid) ?? 0)) * 100) / 100;
  const main = used(process.pid, now.get(process.pid) ?? 0);
  const others = [...now].filter(([tid]) => tid !== process.pid).map(([tid, s]) => used(tid, s));
  return { mainS: main, othersS: others.filter((s) => s > 0).sort((a, b) => b - a) };
}

/** Prints the listening line of an accept client. */
export function announceListening(port: number): void {
  process.stdout.write(`${JSON.stringify({ listening: port } satisfies ListeningLine)}\n`);
}

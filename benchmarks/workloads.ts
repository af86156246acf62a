/**
 * The workloads: what each client is asked to do (per mode), which figures a run yields,
 * and how a run is checked against the peer's own counters. A run that fails its check
 * is a failure, never a result.
 */
import type { Job, Report, WorkloadId } from './job.js';
import type { LoaderResult, PeerStats } from './peer.js';
import { percentile } from './stats.js';

export type Mode = 'quick' | 'full';
export type Better = 'higher' | 'lower';

export interface Figure {
  key: string;
  /** Row label after the workload name, e.g. 'lines/s'. */
  label: string;
  better: Better;
  value: (r: Report, job: Job) => number;
}

export interface Checked {
  job: Job;
  report: Report;
  /** The peer's counters over the run. */
  peer: PeerStats;
  loader?: LoaderResult;
}

export interface Workload {
  id: string;
  title: string;
  job: WorkloadId;
  /** Which peer port the client gets. */
  port: 'service' | 'close' | 'none';
  /** Run with a low-priority spinner keeping the vCPUs awake. */
  busy: boolean;
  /** [count, warm-up] per mode. */
  counts: Record<Mode, [number, number]>;
  /** What the count means, for the header. */
  unit: string;
  figures: Figure[];
  /** Problems found in a run (empty when it is right). */
  check: (c: Checked) => string[];
}

const MiB = 1024 * 1024;

const perSecond = (label: string): Figure => ({ key: 'rate', label, better: 'higher', value: (r, j) => j.count / r.seconds });
const megabytesPerSecond: Figure = { key: 'rate', label: 'MB/s', better: 'higher', value: (r) => r.bytes / 1e6 / r.seconds };
const peakRss: Figure = { key: 'rss', label: 'peak RSS MiB', better: 'lower', value: (r) => r.hwmKiB / 1024 };
const latency = (p: number): Figure => ({
  key: p === 50 ? 'median' : `p${p}`,
  label: p === 50 ? 'median us' : `p${p} us`,
  better: 'lower',
  value: (r) => percentile(r.latenciesUs ?? [], p),
});

/** Collects mismatches as readable problems. */
function expect(problems: string[], what: string, got: unknown, want: unknown): void {
  if (got !== want) problems.push(`${what}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
}

/** Line i of the peer's LINES stream without its LF (the same rule as make_line in peer.c). */
export function expectedLine(i: number, seed: number): string {
  const len = 19 + ((i * 7919 + seed) % 21);
  let s = `L${i}:`;
  for (let k = s.length; k < len; k++) s += String.fromCharCode(97 + ((i + k) % 26));
  return s;
}

function checkEcho({ job, report, peer }: Checked): string[] {
  const p: string[] = [];
  const total = job.count + job.warmup;
  expect(p, 'round trips', report.done, total);
  expect(p, 'latency samples', report.latenciesUs?.length, job.count);
  expect(p, 'peer: lines echoed', peer.echoLines, total);
  expect(p, 'peer: connections', peer.conns, 1);
  return p;
}

const echo = (busy: boolean): Workload => ({
  id: busy ? 'W1 busy' : 'W1 idle',
  title: busy ? 'W1 echo, busy (nice 19 spinner)' : 'W1 echo, idle',
  job: 'echo',
  port: 'service',
  busy,
  counts: { quick: [5000, 500], full: [50000, 2000] },
  unit: 'round trips',
  figures: [latency(50), latency(99)],
  check: checkEcho,
});

export const WORKLOADS: readonly Workload[] = [
  echo(false),
  echo(true),
  {
    id: 'W2',
    title: 'W2 lines',
    job: 'lines',
    port: 'service',
    busy: false,
    counts: { quick: [200000, 0], full: [1000000, 0] },
    unit: 'lines',
    figures: [perSecond('lines/s'), peakRss],
    check: ({ job, report, peer }) => {
      const p: string[] = [];
      expect(p, 'lines', report.done, job.count);
      expect(p, 'peer: lines sent', peer.linesSent, job.count);
      expect(p, 'line bytes (peer bytes - LFs)', report.bytes, peer.lineBytes - job.count);
      expect(p, 'last line', report.text, expectedLine(job.count - 1, job.seed));
      return p;
    },
  },
  {
    id: 'W3',
    title: 'W3 bulk receive(65536)',
    job: 'bulk',
    port: 'service',
    busy: false,
    counts: { quick: [128 * MiB, 0], full: [512 * MiB, 0] },
    unit: 'bytes',
    figures: [megabytesPerSecond, peakRss],
    check: ({ job, report, peer }) => {
      const p: string[] = [];
      expect(p, 'bytes', report.bytes, job.count);
      expect(p, 'peer: bytes sent', peer.bulkSent, job.count);
      return p;
    },
  },
  {
    id: 'W3a',
    title: "W3a one receive('*a')",
    job: 'bulkall',
    port: 'service',
    busy: false,
    counts: { quick: [128 * MiB, 0], full: [256 * MiB, 0] },
    unit: 'bytes',
    figures: [megabytesPerSecond],
    check: ({ job, report, peer }) => {
      const p: string[] = [];
      expect(p, 'bytes', report.bytes, job.count);
      expect(p, 'peer: bytes sent', peer.bulkSent, job.count);
      return p;
    },
  },
  {
    id: 'W4',
    title: 'W4 bulk send 64 KiB chunks',
    job: 'send',
    port: 'service',
    busy: false,
    counts: { quick: [128 * MiB, 0], full: [512 * MiB, 0] },
    unit: 'bytes',
    figures: [megabytesPerSecond],
    check: ({ job, report, peer }) => {
      const p: string[] = [];
      expect(p, 'bytes sent', report.bytes, job.count);
      expect(p, 'peer: bytes received', peer.sinkBytes, job.count);
      expect(p, 'ack line', report.text, `ack ${job.count}`);
      return p;
    },
  },
  {
    id: 'W5',
    title: 'W5 connect + close',
    job: 'connect',
    port: 'close',
    busy: false,
    counts: { quick: [1000, 100], full: [10000, 200] },
    unit: 'connections',
    figures: [perSecond('connections/s')],
    check: ({ job, report, peer }) => {
      const p: string[] = [];
      expect(p, 'connections', report.done, job.count + job.warmup);
      expect(p, 'peer: connections accepted', peer.closeConns, job.count + job.warmup);
      return p;
    },
  },
  {
    id: 'W6',
    title: 'W6 accept + close',
    job: 'accept',
    port: 'none',
    busy: false,
    counts: { quick: [1000, 100], full: [10000, 200] },
    unit: 'connections',
    figures: [perSecond('accepts/s')],
    check: ({ job, report, loader }) => {
      const p: string[] = [];
      const total = job.count + job.warmup;
      expect(p, 'accepts', report.done, total);
      expect(p, 'loader: connected', loader?.connected, total);
      expect(p, 'loader: closed by the server', loader?.closedByServer, total);
      expect(p, 'loader: failed', loader?.failed, 0);
      return p;
    },
  },
  {
    id: 'start-up',
    title: 'start-up: import to first loopback connect',
    job: 'startup',
    port: 'service',
    busy: false,
    counts: { quick: [0, 0], full: [0, 0] },
    unit: '',
    figures: [{ key: 'ms', label: 'ms', better: 'lower', value: (r) => r.seconds * 1000 }],
    check: ({ report, peer }) => {
      const p: string[] = [];
      expect(p, 'connections', report.done, 1);
      expect(p, 'peer: connections', peer.conns, 1);
      return p;
    },
  },
];

/** The load-harness row: threads and round trips per thread, per mode. */
export const LOAD: Record<Mode, { threads: number; roundTrips: number; warmup: number }> = {
  quick: { threads: 4, roundTrips: 2000, warmup: 100 },
  full: { threads: 4, roundTrips: 10000, warmup: 200 },
};

/** Idle connections held open by this package for the memory row. */
export const IDLE_CONNECTIONS = 1000;

/**
 * The workloads: what each client is asked to do (per mode), which figures a run yields,
 * and how a run is checked against the peer's own counters. A run that fails its check
 * is a failure, never a result.
 */
import type { ClientId } from './clients.js';
import { type Job, type Report, tlsTail, type WorkloadId } from './job.js';
import type { LoaderResult, PeerStats } from './peer.js';
import { groupedPercentile } from './stats.js';
import type { TlsStats } from './tls-peer.js';

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
  /** The TLS server's counters over the run (W10). */
  tls?: TlsStats;
  loader?: LoaderResult;
}

/**
 * How big a run is. A calibration run of `probe` units per client measures its rate;
 * then every client gets the same count (`same`: sized by the fastest client, so that no
 * run is shorter than the minimum) or a count sized by its own rate, capped at `cap`.
 * Same counts where the job's size changes what is compared: peak RSS (W2, W3) grows
 * with the run here, and one receive('*a') (W3a) costs more per byte the larger it is.
 * Elsewhere a rate over at least a second is a rate, and own counts keep every run near
 * the minimum (W1's count is only the number of latency samples).
 */
export interface Sizing {
  probe: number;
  cap: number;
  same: boolean;
}

export interface Workload {
  id: string;
  title: string;
  job: WorkloadId;
  /** Which peer port the client gets ('tls': the TLS server's). */
  port: 'service' | 'close' | 'udp' | 'http' | 'tls' | 'none';
  /** The client the table's ratios are taken to (default LuaSocket). */
  base?: ClientId;
  /** What the node column runs here, when not node:net (for the table's texts). */
  nodeApi?: string;
  /** Run with a low-priority spinner keeping the vCPUs awake. */
  busy: boolean;
  size: Sizing;
  /** Untimed units done first (round trips, connections). */
  warmup: number;
  /** What the count means, for the header. */
  unit: string;
  /** Measured only with --full (informative rows without a target). */
  fullOnly: boolean;
  /** Clients that quick mode leaves out here (no target compares them on this workload). */
  quickSkips?: ClientId[];
  figures: Figure[];
  /** Problems found in a run (empty when it is right). */
  check: (c: Checked) => string[];
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

const perSecond = (label: string): Figure => ({ key: 'rate', label, better: 'higher', value: (r, j) => j.count / r.seconds });
const megabytesPerSecond: Figure = { key: 'rate', label: 'MB/s', better: 'higher', value: (r) => r.bytes / 1e6 / r.seconds };
const peakRss: Figure = { key: 'rss', label: 'peak RSS MiB', better: 'lower', value: (r) => r.hwmKiB / 1024 };
const latency = (p: number): Figure => ({
  key: p === 50 ? 'median' : `p${p}`,
  label: p === 50 ? 'median us' : `p${p} us`,
  better: 'lower',
  value: (r) => groupedPercentile(r.latenciesUs ?? [], p, r.clockTickUs ?? 0),
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

function sendChunks(id: string, title: string, job: 'send' | 'sendbuf', fullOnly: boolean): Workload {
  return {
    id,
    title,
    job,
    port: 'service',
    busy: false,
    size: { probe: 512 * MiB, cap: 64 * GiB, same: false },
    warmup: 0,
    unit: 'bytes',
    fullOnly,
    figures: [megabytesPerSecond],
    check: ({ job, report, peer }) => {
      const p: string[] = [];
      expect(p, 'bytes sent', report.bytes, job.count);
      expect(p, 'peer: bytes received', peer.sinkBytes, job.count);
      expect(p, 'ack line', report.text, `ack ${job.count}`);
      return p;
    },
  };
}

const echo = (busy: boolean): Workload => ({
  id: busy ? 'W1 busy' : 'W1 idle',
  title: busy ? 'W1 echo, busy (nice 19 spinner)' : 'W1 echo, idle',
  job: 'echo',
  port: 'service',
  busy,
  size: { probe: 10_000, cap: 2_000_000, same: false },
  warmup: 1000,
  unit: 'round trips',
  fullOnly: false,
  quickSkips: ['node'],
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
    size: { probe: 1_000_000, cap: 100_000_000, same: true },
    warmup: 0,
    unit: 'lines',
    fullOnly: false,
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
    title: "W3 bulk receive(65536), 'buffer'",
    job: 'bulk',
    port: 'service',
    busy: false,
    size: { probe: 512 * MiB, cap: 64 * GiB, same: true },
    warmup: 0,
    unit: 'bytes',
    fullOnly: false,
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
    title: "W3a receive('*a') of whole streams, 'buffer'",
    job: 'bulkall',
    port: 'service',
    busy: false,
    // A run is several streams of at most 512 MiB (job.ts's wholeStreams), so memory stays bounded.
    size: { probe: 128 * MiB, cap: 64 * GiB, same: true },
    warmup: 0,
    unit: 'bytes',
    fullOnly: false,
    figures: [megabytesPerSecond],
    check: ({ job, report, peer }) => {
      const p: string[] = [];
      expect(p, 'bytes', report.bytes, job.count);
      expect(p, 'peer: bytes sent', peer.bulkSent, job.count);
      return p;
    },
  },
  sendChunks('W4', 'W4 send 64 KiB string chunks', 'send', false),
  sendChunks('W4b', 'W4b send 64 KiB Buffer chunks', 'sendbuf', true),
  {
    id: 'W5',
    title: 'W5 connect + close',
    job: 'connect',
    port: 'close',
    busy: false,
    size: { probe: 6000, cap: 200_000, same: false },
    warmup: 200,
    unit: 'connections',
    fullOnly: false,
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
    size: { probe: 6000, cap: 200_000, same: false },
    warmup: 200,
    unit: 'connections',
    fullOnly: false,
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
    id: 'W7',
    title: 'W7 UDP echo, one 32-byte datagram at a time',
    job: 'udpecho',
    port: 'udp',
    busy: false,
    size: { probe: 10_000, cap: 2_000_000, same: false },
    warmup: 1000,
    unit: 'round trips',
    fullOnly: false,
    quickSkips: ['node'],
    figures: [latency(50), latency(99)],
    check: ({ job, report, peer }) => {
      const p: string[] = [];
      const total = job.count + job.warmup;
      expect(p, 'round trips', report.done, total);
      expect(p, 'latency samples', report.latenciesUs?.length, job.count);
      expect(p, 'peer: datagrams echoed', peer.udpEchoed, total);
      return p;
    },
  },
  {
    id: 'W8',
    title: 'W8 UDP datagrams, 64 of 32 bytes in flight, echoed',
    job: 'udprate',
    port: 'udp',
    busy: false,
    size: { probe: 100_000, cap: 100_000_000, same: false },
    warmup: 0,
    unit: 'datagrams',
    fullOnly: false,
    figures: [perSecond('datagrams/s')],
    check: ({ job, report, peer }) => {
      const p: string[] = [];
      expect(p, 'echoes received', report.done, job.count);
      expect(p, 'peer: datagrams echoed', peer.udpEchoed, job.count);
      return p;
    },
  },
  {
    id: 'W9',
    title: 'W9 HTTP GET, no keep-alive, 100-byte body (node: http.get, agent: false)',
    job: 'httpget',
    port: 'http',
    nodeApi: 'node:http',
    busy: false,
    size: { probe: 2000, cap: 2_000_000, same: false },
    warmup: 100,
    unit: 'requests',
    fullOnly: false,
    figures: [perSecond('requests/s')],
    check: ({ job, report, peer }) => {
      // Each client compared every body with HTTP_BODY and every status with 200.
      const p: string[] = [];
      const total = job.count + job.warmup;
      expect(p, 'requests', report.done, total);
      expect(p, 'peer: HTTP connections', peer.httpConns, total);
      expect(p, 'peer: GET /x requests', peer.httpRequests, total);
      expect(p, 'peer: responses written', peer.httpResponses, total);
      expect(p, 'peer: bad requests', peer.httpBad, 0);
      return p;
    },
  },
  {
    id: 'W10',
    title: "W10 TLS bulk receive(65536), 'buffer' (Lua: LuaSec; node: node:tls)",
    job: 'tlsbulk',
    port: 'tls',
    base: 'node',
    nodeApi: 'node:tls',
    busy: false,
    size: { probe: 256 * MiB, cap: 64 * GiB, same: false },
    warmup: 0,
    unit: 'bytes',
    fullOnly: false,
    figures: [megabytesPerSecond],
    check: ({ job, report, tls }) => {
      const p: string[] = [];
      expect(p, 'bytes', report.bytes, job.count);
      expect(p, 'last bytes', report.text, tlsTail(job.count));
      expect(p, 'server: handshakes', tls?.conns, 1);
      expect(p, 'server: TLS 1.3 AES-256-GCM sessions', tls?.pinned, 1);
      expect(p, 'server: requests', tls?.requests, 1);
      expect(p, 'server: bytes sent', tls?.bytesSent, job.count);
      expect(p, 'server: streams finished', tls?.finished, 1);
      expect(p, 'server: failures', tls?.bad, 0);
      return p;
    },
  },
  {
    id: 'start-up',
    title: 'start-up: import to first loopback connect (Lua, node:net: the connect alone)',
    job: 'startup',
    port: 'service',
    busy: false,
    size: { probe: 0, cap: 0, same: false },
    warmup: 0,
    unit: '',
    fullOnly: false,
    figures: [{ key: 'ms', label: 'ms', better: 'lower', value: (r) => r.seconds * 1000 }],
    check: ({ report, peer }) => {
      const p: string[] = [];
      expect(p, 'connections', report.done, 1);
      expect(p, 'peer: connections', peer.conns, 1);
      return p;
    },
  },
];

/** The load harness (informative, --full only): threads and round trips per thread. */
export const LOAD = { threads: 4, roundTrips: 10000, warmup: 200 } as const;

/** Idle connections held open by this package for the memory row. */
export const IDLE_CONNECTIONS = 1000;

/**
 * Builds the C peer (benchmarks/peer.c) with the machine's `cc` into a temporary
 * directory, and drives its modes: the server every client talks to, the connection
 * loader for W6 and the low-priority spinner for the busy W1 regime. The TLS server of
 * W10 (tls-peer.ts) is started beside it the first time a run needs it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSchedstat, type ThreadTime } from './job.js';
import { type Spawned, start } from './processes.js';
import { TlsPeer } from './tls-peer.js';

/** benchmarks/ in the source tree (this file runs from dist/benchmarks/). */
export const SOURCE_DIR = fileURLToPath(new URL('../../benchmarks/', import.meta.url));

/** Compiles the peer; returns the binary's path. The directory goes when the process exits. */
export function buildPeer(): string {
  const dir = mkdtempSync(join(tmpdir(), 'luasocket-bench-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, 'peer');
  try {
    execFileSync('cc', ['-O2', '-Wall', '-o', bin, join(SOURCE_DIR, 'peer.c')], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`could not build the peer with cc: ${stderr || String(e)}`);
  }
  return bin;
}

/** The peer's counters (see peer.c); `delta` subtracts a snapshot taken before a run. */
export interface PeerStats {
  conns: number;
  closeConns: number;
  echoBytes: number;
  echoLines: number;
  linesSent: number;
  lineBytes: number;
  bulkSent: number;
  sinkBytes: number;
  acks: number;
  badRequests: number;
  /** Datagrams the UDP port echoed, and ones whose echo the kernel did not take. */
  udpEchoed: number;
  udpUnsent: number;
  /** The HTTP port: connections, well-formed GET /x requests, responses written, bad requests. */
  httpConns: number;
  httpRequests: number;
  httpResponses: number;
  httpBad: number;
}

export function delta(after: PeerStats, before: PeerStats): PeerStats {
  const d = { ...after };
  for (const k of Object.keys(d) as (keyof PeerStats)[]) d[k] = after[k] - before[k];
  return d;
}

/** `peer serve`: the one server of a bench run. */
export class PeerServer {
  private tlsPeer: Promise<TlsPeer> | null = null;

  private constructor(
    private readonly bin: string,
    private readonly lifetimeMs: number,
    private readonly proc: Spawned,
    readonly servicePort: number,
    readonly closePort: number,
    readonly udpPort: number,
    readonly httpPort: number,
  ) {}

  static async start(bin: string, lifetimeMs: number): Promise<PeerServer> {
    const proc = start(bin, bin, ['serve'], lifetimeMs, 'pipe');
    const first = await proc.nextLine();
    const m = /^ports (\d+) (\d+) (\d+) (\d+)$/.exec(first);
    if (!m) throw new Error(`peer: unexpected first line '${first}'`);
    return new PeerServer(bin, lifetimeMs, proc, Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]));
  }

  /** The TLS server, started at the first call. */
  tls(): Promise<TlsPeer> {
    this.tlsPeer ??= TlsPeer.start(this.bin, this.lifetimeMs);
    return this.tlsPeer;
  }

  /** The peer's time on and waiting for a CPU so far (it has one thread). */
  cpuTime(): ThreadTime {
    try {
      return parseSchedstat(readFileSync(`/proc/${this.proc.child.pid}/schedstat`, 'utf8'));
    } catch {
      return { runS: Number.NaN, waitS: Number.NaN, slices: Number.NaN };
    }
  }

  async stats(): Promise<PeerStats> {
    const line = this.proc.nextLine();
    this.proc.child.stdin?.write('stats\n');
    return JSON.parse(await line) as PeerStats;
  }

  /** Polls the counters until `done(stats)` holds or `timeoutMs` passes; returns the last. */
  async settle(done: (s: PeerStats) => boolean, timeoutMs = 3000): Promise<PeerStats> {
    const end = performance.now() + timeoutMs;
    for (;;) {
      const s = await this.stats();
      if (done(s) || performance.now() > end) return s;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async stop(): Promise<void> {
    await (await this.tlsPeer?.catch(() => null))?.stop();
    this.proc.child.stdin?.end('quit\n');
    await Promise.race([this.proc.exited, new Promise((r) => setTimeout(r, 2000))]);
    this.proc.kill();
  }
}

export interface LoaderResult {
  connected: number;
  closedByServer: number;
  failed: number;
  timedOut: boolean;
}

/** `peer load`: connects `count` times to a port, at most `inflight` at a time. */
export function startLoader(bin: string, port: number, count: number, inflight: number, seconds: number): Promise<LoaderResult> {
  const proc = start(bin, bin, ['load', String(port), String(count), String(inflight), String(seconds)], (seconds + 5) * 1000);
  return proc.exited.then(() => {
    const last = proc.lines.at(-1);
    if (!last) throw new Error(`loader printed nothing: ${proc.stderr()}`);
    return JSON.parse(last) as LoaderResult;
  });
}

/** `peer spin` x n at nice 19: keeps vCPUs from halting while W1 runs. */
export function startSpinners(bin: string, n: number, seconds: number): { stop: () => void } {
  const procs = Array.from({ length: n }, () => start(bin, bin, ['spin', String(seconds)], (seconds + 5) * 1000));
  return {
    stop: () => {
      for (const p of procs) p.kill();
    },
  };
}

/**
 * Runs one measurement at a time against the peer: a client process doing a workload
 * (W6 with the C loader, W1-busy with the spinner, W10 against the TLS server), the
 * idle-memory probe, or the load harness; checks the outcome against the servers'
 * counters and records it.
 */
import { fileURLToPath } from 'node:url';
import type { ClientId, ClientSpec, Engine } from './clients.js';
import { type CpuUse, type Job, jobArgs, type ListeningLine, type Report, type ThreadTime } from './job.js';
import { delta, type LoaderResult, type PeerServer, type PeerStats, startLoader, startSpinners } from './peer.js';
import { runJson, start } from './processes.js';
import { type TlsPeer, type TlsStats, tlsDelta } from './tls-peer.js';
import { IDLE_CONNECTIONS, LOAD, type Workload } from './workloads.js';

/** One client process doing one workload once. */
export interface RunRecord {
  /** 0 for calibration runs, which are never figures. */
  round: number;
  workload: string;
  client: ClientId;
  count: number;
  /** Duration of the timed part. */
  seconds: number;
  ok: boolean;
  problems: string[];
  figures: Record<string, number>;
  /** This package's runs: the native addon was loaded. */
  addonLoaded?: boolean;
  /** Why the run is not used (e.g. too short: the workload was sized up and rerun). */
  discarded?: string;
  /** Time on and waiting for a CPU: the client's threads (start-up included) and the peer over the run. */
  cpu?: CpuUse & { peer: ThreadTime };
}

/** A child that takes longer than this is killed and its run fails. */
const CHILD_MS = 120_000;
/** W6: connections the loader keeps in flight (below the listen backlog of 32). */
const LOADER_INFLIGHT = 8;
/** W1 busy: low-priority spinning processes. */
const SPINNERS = 1;

export class Runner {
  readonly records: RunRecord[] = [];

  constructor(
    readonly bin: string,
    readonly peer: PeerServer,
    /** Extra arguments for node clients (e.g. --cpu-prof); not for Lua. */
    private readonly nodeArgs: string[] = [],
  ) {}

  private record(r: RunRecord, summary: string): RunRecord {
    this.records.push(r);
    const what = r.ok ? `${summary}  (${r.seconds.toFixed(2)} s)` : `FAILED: ${r.problems.join('; ').slice(0, 300)}`;
    const round = r.round === 0 ? 'probe' : `pair ${r.round}`;
    process.stderr.write(`  ${round.padEnd(7)} ${r.workload.padEnd(9)} ${r.client.padEnd(9)} ${what}\n`);
    return r;
  }

  private argsOf(c: ClientSpec, job: Job): string[] {
    const pre = c.command === process.execPath ? this.nodeArgs : [];
    return [...pre, ...c.args, ...jobArgs(job)];
  }

  /** The port a workload's clients get. */
  private async portOf(w: Workload): Promise<number> {
    switch (w.port) {
      case 'service':
        return this.peer.servicePort;
      case 'close':
        return this.peer.closePort;
      case 'udp':
        return this.peer.udpPort;
      case 'http':
        return this.peer.httpPort;
      case 'tls':
        return (await this.peer.tls()).port;
      case 'none':
        return 0;
    }
  }

  /** Both servers' counters (the TLS server's only for the workload that uses it). */
  private async counters(tls: TlsPeer | null): Promise<Counters> {
    return { peer: await this.peer.stats(), tls: tls ? await tls.stats() : null };
  }

  /** Runs a client once and checks it against the servers' counters. */
  async workload(w: Workload, c: ClientSpec, count: number, round: number): Promise<RunRecord> {
    const port = await this.portOf(w);
    const tls = w.port === 'tls' ? await this.peer.tls() : null;
    // The server the run talks to: its CPU time goes into the record.
    const server = tls ?? this.peer;
    const job: Job = { workload: w.job, port, count, warmup: w.warmup, seed: round + 1 };
    const args = this.argsOf(c, job);
    const before = await this.counters(tls);
    const peerBefore = server.cpuTime();
    const spinners = w.busy ? startSpinners(this.bin, SPINNERS, CHILD_MS / 1000) : null;
    let report: Report;
    let loader: LoaderResult | undefined;
    try {
      if (w.job === 'accept') [report, loader] = await this.acceptRun(c, args, count + w.warmup);
      else report = await runJson<Report>(this.bin, c.command, args, CHILD_MS, c.env);
    } catch (e) {
      report = { ok: false, error: String(e instanceof Error ? e.message : e), seconds: 0, done: 0, bytes: 0, hwmKiB: 0 };
    } finally {
      spinners?.stop();
    }
    const peerAfter = server.cpuTime();
    const peer = {
      runS: peerAfter.runS - peerBefore.runS,
      waitS: peerAfter.waitS - peerBefore.waitS,
      slices: peerAfter.slices - peerBefore.slices,
    };
    let problems = report.ok ? [] : [report.error ?? 'failed'];
    if (report.ok) {
      const problemsAt = (s: Counters) =>
        w.check({
          job,
          report,
          peer: delta(s.peer, before.peer),
          tls: s.tls && before.tls ? tlsDelta(s.tls, before.tls) : undefined,
          loader,
        });
      const after = await settle(
        () => this.counters(tls),
        (s) => problemsAt(s).length === 0,
      );
      problems = problemsAt(after);
    }
    const figures = problems.length ? {} : Object.fromEntries(w.figures.map((f) => [f.key, f.value(report, job)]));
    const first = w.figures[0];
    return this.record(
      {
        round,
        workload: w.id,
        client: c.id,
        count,
        seconds: report.seconds,
        ok: problems.length === 0,
        problems,
        figures,
        addonLoaded: report.addonLoaded,
        // Lua has one thread and reports no others.
        cpu: report.cpu ? { main: report.cpu.main, others: report.cpu.others ?? [], peer } : undefined,
      },
      first ? `${compactNumber(figures[first.key])} ${first.label}` : '',
    );
  }

  /** W6: the client listens, then the C loader connects to it. */
  private async acceptRun(c: ClientSpec, args: string[], total: number): Promise<[Report, LoaderResult]> {
    const proc = start(this.bin, c.command, args, CHILD_MS, 'ignore', c.env);
    const first = JSON.parse(await proc.nextLine()) as ListeningLine & Partial<Report>;
    if (!first.listening) {
      await proc.exited;
      throw new Error(first.error ?? `no listening line: ${proc.stderr()}`);
    }
    const loader = await startLoader(this.bin, first.listening, total, LOADER_INFLIGHT, CHILD_MS / 1000);
    await proc.exited;
    const last = proc.lines.at(-1);
    if (!last || proc.lines.length < 2) throw new Error(`no report: ${proc.stderr().slice(-500)}`);
    return [JSON.parse(last) as Report, loader];
  }

  /** RSS growth for idle open connections with this package, on one engine. */
  async idle(engine: Engine, round: number): Promise<RunRecord> {
    const script = fileURLToPath(new URL('./clients/idle-connections.js', import.meta.url));
    const before = await this.peer.stats();
    let problems: string[] = [];
    let figures: Record<string, number> = {};
    let seconds = 0;
    try {
      type Idle = { ok: boolean; error?: string; connections: number; deltaKiB: number; seconds: number };
      const r = await runJson<Idle>(
        this.bin,
        process.execPath,
        ['--expose-gc', script, String(this.peer.servicePort), String(IDLE_CONNECTIONS)],
        CHILD_MS,
        { LUASOCKET_ENGINE: engine },
      );
      if (!r.ok) throw new Error(r.error);
      seconds = r.seconds;
      const after = await this.peer.settle((p) => p.conns - before.conns >= IDLE_CONNECTIONS + 1);
      if (r.connections !== IDLE_CONNECTIONS) problems.push(`held ${r.connections} connections`);
      if (after.conns - before.conns !== IDLE_CONNECTIONS + 1) problems.push(`peer: ${after.conns - before.conns} connections`);
      figures = { MiB: r.deltaKiB / 1024 };
    } catch (e) {
      problems = [String(e instanceof Error ? e.message : e)];
    }
    if (problems.length) figures = {};
    return this.record(
      { round, workload: 'idle', client: engine, count: IDLE_CONNECTIONS, seconds, ok: problems.length === 0, problems, figures },
      `${compactNumber(figures.MiB)} MiB`,
    );
  }

  /** The load harness (examples/load-harness.ts) against the peer's echo service. */
  async load(engine: Engine, round: number): Promise<RunRecord> {
    const { threads, roundTrips, warmup } = LOAD;
    const harness = fileURLToPath(new URL('../examples/load-harness.js', import.meta.url));
    const args = [harness, '--threads', String(threads), '--round-trips', String(roundTrips), '--warmup', String(warmup)];
    args.push('--port', String(this.peer.servicePort), '--greeting', 'ECHO\\n', '--json');
    const before = await this.peer.stats();
    type Summary = { roundTrips: number; roundTripsPerSecond: number; p50Us: number; p99Us: number; seconds: number };
    let problems: string[] = [];
    let figures: Record<string, number> = {};
    let seconds = 0;
    try {
      const s = await runJson<Summary>(this.bin, process.execPath, args, CHILD_MS, { LUASOCKET_ENGINE: engine });
      seconds = s.seconds;
      const want = threads * (warmup + roundTrips);
      const after = await this.peer.settle((p) => p.echoLines - before.echoLines >= want);
      const d = delta(after, before);
      if (s.roundTrips !== threads * roundTrips) problems.push(`round trips: ${s.roundTrips}`);
      if (d.echoLines !== want) problems.push(`peer: lines echoed ${d.echoLines}, expected ${want}`);
      if (d.conns !== threads) problems.push(`peer: connections ${d.conns}, expected ${threads}`);
      figures = { rate: s.roundTripsPerSecond, p50: s.p50Us, p99: s.p99Us };
    } catch (e) {
      problems = [String(e instanceof Error ? e.message : e)];
    }
    if (problems.length) figures = {};
    return this.record(
      { round, workload: 'load', client: engine, count: threads * roundTrips, seconds, ok: problems.length === 0, problems, figures },
      `${compactNumber(figures.rate)} round trips/s`,
    );
  }
}

interface Counters {
  peer: PeerStats;
  tls: TlsStats | null;
}

/** Reads counters until `done` holds for them or `timeoutMs` passes (a server may lag its client); returns the last. */
async function settle<T>(read: () => Promise<T>, done: (s: T) => boolean, timeoutMs = 3000): Promise<T> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const s = await read();
    if (done(s) || performance.now() > end) return s;
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function compactNumber(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return 'n/a';
  return v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toPrecision(3);
}

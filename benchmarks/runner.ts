/**
 * Runs one measurement at a time against the peer: a client process doing a workload
 * (W6 with the C loader, W1-busy with the spinner), the load harness, or the idle-memory
 * probe; checks the outcome against the peer's counters and records it.
 */
import { fileURLToPath } from 'node:url';
import type { ClientId, ClientSpec } from './clients.js';
import { type Job, jobArgs, type ListeningLine, type Report } from './job.js';
import { delta, type LoaderResult, type PeerServer, startLoader, startSpinners } from './peer.js';
import { runJson, start } from './processes.js';
import { IDLE_CONNECTIONS, LOAD, type Mode, type Workload } from './workloads.js';

/** One client process doing one workload once. */
export interface RunRecord {
  round: number;
  workload: string;
  client: ClientId;
  ok: boolean;
  problems: string[];
  figures: Record<string, number>;
}

/** Per child process, and for the whole run. */
export const LIMITS: Record<Mode, { childMs: number; totalMs: number }> = {
  quick: { childMs: 60_000, totalMs: 10 * 60_000 },
  full: { childMs: 300_000, totalMs: 90 * 60_000 },
};
/** W6: connections the loader keeps in flight (below the listen backlog of 32). */
const LOADER_INFLIGHT = 8;
/** W1 busy: low-priority spinning processes. */
const SPINNERS = 1;

export class Runner {
  readonly records: RunRecord[] = [];
  private readonly deadline: number;

  constructor(
    readonly mode: Mode,
    readonly bin: string,
    readonly peer: PeerServer,
  ) {
    this.deadline = performance.now() + LIMITS[mode].totalMs;
  }

  outOfTime(): boolean {
    return performance.now() > this.deadline;
  }

  private record(r: RunRecord, summary: string): void {
    this.records.push(r);
    const what = r.ok ? summary : `FAILED: ${r.problems.join('; ').slice(0, 300)}`;
    process.stderr.write(`  round ${r.round}  ${r.workload.padEnd(9)} ${r.client.padEnd(10)} ${what}\n`);
  }

  /** Runs a child until its check passes against the peer's counters. */
  async workload(w: Workload, c: ClientSpec, round: number): Promise<void> {
    const [count, warmup] = w.counts[this.mode];
    const port = w.port === 'service' ? this.peer.servicePort : w.port === 'close' ? this.peer.closePort : 0;
    const job: Job = { workload: w.job, port, count, warmup, seed: round };
    const args = [...c.args, ...jobArgs(job)];
    const before = await this.peer.stats();
    const spinners = w.busy ? startSpinners(this.bin, SPINNERS, LIMITS[this.mode].childMs / 1000) : null;
    let report: Report;
    let loader: LoaderResult | undefined;
    try {
      if (w.job === 'accept') [report, loader] = await this.acceptRun(c, args, count + warmup);
      else report = await runJson<Report>(this.bin, c.command, args, LIMITS[this.mode].childMs);
    } catch (e) {
      report = { ok: false, error: String(e instanceof Error ? e.message : e), seconds: 0, done: 0, bytes: 0, hwmKiB: 0 };
    } finally {
      spinners?.stop();
    }
    let problems = report.ok ? [] : [report.error ?? 'failed'];
    if (report.ok) {
      const problemsAt = (s: typeof before) => w.check({ job, report, peer: delta(s, before), loader });
      const after = await this.peer.settle((s) => problemsAt(s).length === 0);
      problems = problemsAt(after);
    }
    const figures = problems.length ? {} : Object.fromEntries(w.figures.map((f) => [f.key, f.value(report, job)]));
    const first = w.figures[0];
    this.record(
      { round, workload: w.id, client: c.id, ok: problems.length === 0, problems, figures },
      first ? `${compactNumber(figures[first.key])} ${first.label}` : '',
    );
  }

  /** W6: the client listens, then the C loader connects to it. */
  private async acceptRun(c: ClientSpec, args: string[], total: number): Promise<[Report, LoaderResult]> {
    const proc = start(this.bin, c.command, args, LIMITS[this.mode].childMs);
    const first = JSON.parse(await proc.nextLine()) as ListeningLine & Partial<Report>;
    if (!first.listening) {
      await proc.exited;
      throw new Error(first.error ?? `no listening line: ${proc.stderr()}`);
    }
    const loader = await startLoader(this.bin, first.listening, total, LOADER_INFLIGHT, LIMITS[this.mode].childMs / 1000);
    await proc.exited;
    const last = proc.lines.at(-1);
    if (!last || proc.lines.length < 2) throw new Error(`no report: ${proc.stderr().slice(-500)}`);
    return [JSON.parse(last) as Report, loader];
  }

  /** The load harness (examples/load-harness.ts) against the peer's echo service. */
  async load(round: number): Promise<void> {
    const { threads, roundTrips, warmup } = LOAD[this.mode];
    const harness = fileURLToPath(new URL('../examples/load-harness.js', import.meta.url));
    const args = [harness, '--threads', String(threads), '--round-trips', String(roundTrips), '--warmup', String(warmup)];
    args.push('--port', String(this.peer.servicePort), '--greeting', 'ECHO\\n', '--json');
    const before = await this.peer.stats();
    type Summary = { roundTrips: number; roundTripsPerSecond: number; p50Us: number; p99Us: number };
    let problems: string[] = [];
    let figures: Record<string, number> = {};
    try {
      const s = await runJson<Summary>(this.bin, process.execPath, args, LIMITS[this.mode].childMs);
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
    this.record(
      { round, workload: 'load', client: 'luasocket', ok: problems.length === 0, problems, figures },
      `${compactNumber(figures.rate)} round trips/s`,
    );
  }

  /** RSS growth for idle open connections with this package. */
  async idle(round: number): Promise<void> {
    const script = fileURLToPath(new URL('./clients/idle-connections.js', import.meta.url));
    const before = await this.peer.stats();
    let problems: string[] = [];
    let figures: Record<string, number> = {};
    try {
      type Idle = { ok: boolean; error?: string; connections: number; deltaKiB: number };
      const r = await runJson<Idle>(
        this.bin,
        process.execPath,
        ['--expose-gc', script, String(this.peer.servicePort), String(IDLE_CONNECTIONS)],
        LIMITS[this.mode].childMs,
      );
      if (!r.ok) throw new Error(r.error);
      const after = await this.peer.settle((p) => p.conns - before.conns >= IDLE_CONNECTIONS + 1);
      if (r.connections !== IDLE_CONNECTIONS) problems.push(`held ${r.connections} connections`);
      if (after.conns - before.conns !== IDLE_CONNECTIONS + 1) problems.push(`peer: ${after.conns - before.conns} connections`);
      figures = { MiB: r.deltaKiB / 1024 };
    } catch (e) {
      problems = [String(e instanceof Error ? e.message : e)];
    }
    if (problems.length) figures = {};
    this.record(
      { round, workload: 'idle', client: 'luasocket', ok: problems.length === 0, problems, figures },
      `${compactNumber(figures.MiB)} MiB`,
    );
  }
}

function compactNumber(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return 'n/a';
  return v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toPrecision(3);
}

/**
 * The measurement plan of one workload: size the runs so that none is shorter than the
 * minimum, then run the clients pair by pair. Round r runs every client once, LuaSocket
 * at one end: odd rounds in column order, even rounds reversed (A B ... B A), so that a
 * slow drift of the machine favours no client. Each round gives one ratio per client
 * (its run over LuaSocket's run of the same round): the pair ratios the verdicts use.
 */
import type { ClientSpec } from './clients.js';
import type { Runner, RunRecord } from './runner.js';
import type { Mode, Workload } from './workloads.js';

export interface Plan {
  mode: Mode;
  /** Rounds, i.e. pairs per client and workload. */
  pairs: number;
  /** No timed run may be shorter than this. */
  minSeconds: number;
  /** Runs are sized for this long (by the fastest client where counts are shared). */
  aimSeconds: number;
}

export const PLANS: Record<Mode, Plan> = {
  quick: { mode: 'quick', pairs: 5, minSeconds: 1, aimSeconds: 1.1 },
  full: { mode: 'full', pairs: 9, minSeconds: 2, aimSeconds: 2.4 },
};

/** A calibration run shorter than this is repeated larger before its rate is trusted. */
const PROBE_MIN_SECONDS = 0.25;
/** A run that came out short is redone larger at most this often. */
const MAX_RESIZES = 2;

export type Counts = Map<string, number>;

/** Rounds a count up to whole 64 KiB chunks for byte workloads. */
function roundCount(w: Workload, n: number): number {
  const k = Math.min(w.size.cap, Math.max(1, Math.ceil(n)));
  return w.unit === 'bytes' ? Math.ceil(k / 65536) * 65536 : k;
}

/** Calibration: each client's rate (units per second) from a probe run or two. */
async function rates(runner: Runner, w: Workload, clients: readonly ClientSpec[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const c of clients) {
    let count = w.size.probe;
    for (let attempt = 0; attempt < 3; attempt++) {
      const r = await runner.workload(w, c, count, 0);
      if (!r.ok || !(r.seconds > 0)) break;
      out.set(c.id, count / r.seconds);
      if (r.seconds >= PROBE_MIN_SECONDS || count >= w.size.cap) break;
      count = roundCount(w, (count * 1.5 * PROBE_MIN_SECONDS) / r.seconds);
    }
  }
  return out;
}

function countsFor(w: Workload, clients: readonly ClientSpec[], rate: Map<string, number>, seconds: number): Counts {
  const fastest = Math.max(0, ...rate.values());
  const counts: Counts = new Map();
  for (const c of clients) {
    const r = w.size.same ? fastest : (rate.get(c.id) ?? fastest);
    counts.set(c.id, roundCount(w, r > 0 ? r * seconds : w.size.probe));
  }
  return counts;
}

/**
 * Runs one workload: calibration, then `plan.pairs` rounds. A run that comes out shorter
 * than the minimum is discarded and redone at once, larger; the larger count holds for
 * the rest of the workload (for every client where counts are shared). Returns the
 * rounds' records.
 */
export async function measurePairs(runner: Runner, w: Workload, clients: readonly ClientSpec[], plan: Plan): Promise<RunRecord[]> {
  const rate = await rates(runner, w, clients);
  const counts = countsFor(w, clients, rate, plan.aimSeconds);
  const tooShort = (r: RunRecord) => r.ok && r.seconds < plan.minSeconds && r.count < w.size.cap;
  const kept: RunRecord[] = [];
  for (let round = 1; round <= plan.pairs; round++) {
    const order = round % 2 === 1 ? clients : [...clients].reverse();
    for (const c of order) {
      let r = await runner.workload(w, c, counts.get(c.id) ?? w.size.probe, round);
      for (let again = 0; tooShort(r) && again < MAX_RESIZES; again++) {
        process.stderr.write(`  ${w.id} ${r.client}: ${r.seconds.toFixed(2)} s is too short; redone larger\n`);
        r.discarded = `shorter than ${plan.minSeconds} s; redone larger`;
        rate.set(r.client, Math.max(rate.get(r.client) ?? 0, r.count / r.seconds));
        for (const [id, n] of countsFor(w, clients, rate, plan.aimSeconds * 1.1)) counts.set(id, Math.max(n, counts.get(id) ?? 0));
        r = await runner.workload(w, c, counts.get(c.id) ?? w.size.probe, round);
      }
      kept.push(r);
    }
  }
  return kept;
}

/** Start-up samples: one fresh process per sample, in the same alternating order. */
export async function measureStartup(runner: Runner, w: Workload, clients: readonly ClientSpec[], plan: Plan): Promise<RunRecord[]> {
  const kept: RunRecord[] = [];
  for (let round = 1; round <= plan.pairs; round++) {
    const order = round % 2 === 1 ? clients : [...clients].reverse();
    for (const c of order) kept.push(await runner.workload(w, c, 1, round));
  }
  return kept;
}

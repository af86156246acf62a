/**
 * The targets (issue #10 for the native engine, issue #9 for the portable one, #11 UDP,
 * #12 HTTP and TLS on both) and their
 * verdicts. A ratio target is judged on the pair ratios of its rows (each round's run of
 * the client over the base client's run of the same round); an absolute one on the
 * client's own samples. The spread is the median's confidence interval (stats.ts):
 * PASS when all of it meets the target, MISS when all of it misses, UNSURE when it
 * straddles the bound. A run that failed its check makes the verdict FAIL.
 */
import type { ClientId } from './clients.js';
import type { RunRecord } from './runner.js';
import { type Spread, spreadOf } from './stats.js';

export interface Target {
  /** `${workload id}/${figure key}`, e.g. 'W2/rate'. */
  row: string;
  client: ClientId;
  /** The ratio's denominator, run in the same round; null for an absolute bound. */
  base: ClientId | null;
  op: '>=' | '<=' | '<';
  bound: number;
  /** Unit of an absolute bound. */
  unit: string;
  /** Where the target comes from. */
  source: string;
}

export type Word = 'PASS' | 'MISS' | 'UNSURE' | 'FAIL' | 'n/a';

export interface Verdict {
  target: Target;
  spread: Spread;
  word: Word;
  /** Runs of the compared clients on this row that failed their check. */
  failedRuns: number;
}

const ratio = (row: string, client: ClientId, base: ClientId, op: Target['op'], bound: number, source: string): Target => ({
  row,
  client,
  base,
  op,
  bound,
  unit: 'x',
  source,
});

const absolute = (row: string, client: ClientId, op: Target['op'], bound: number, unit: string): Target => ({
  row,
  client,
  base: null,
  op,
  bound,
  unit,
  source: '#10',
});

export const TARGETS: readonly Target[] = [
  ratio('W1 idle/median', 'native', 'lua', '<=', 1.3, '#10'),
  ratio('W1 idle/p99', 'native', 'lua', '<=', 2, '#10'),
  ratio('W1 busy/median', 'native', 'lua', '<=', 1.3, '#10'),
  ratio('W1 busy/p99', 'native', 'lua', '<=', 2, '#10'),
  ratio('W2/rate', 'native', 'lua', '>=', 1.5, '#10'),
  ratio('W3/rate', 'native', 'lua', '>=', 1, '#10'),
  ratio('W3a/rate', 'native', 'lua', '>=', 1, '#10'),
  ratio('W4/rate', 'native', 'lua', '>=', 1, '#10'),
  ratio('W5/rate', 'native', 'lua', '>=', 1, '#10'),
  ratio('W6/rate', 'native', 'lua', '>=', 1, '#10'),
  ratio('W2/rss', 'native', 'node', '<=', 1, '#10'),
  ratio('W3/rss', 'native', 'node', '<=', 1, '#10'),
  absolute('start-up/ms', 'native', '<=', 5, 'ms'),
  absolute('idle/MiB', 'native', '<', 10, 'MiB'),
  ratio('W1 idle/median', 'portable', 'lua', '<=', 2, '#9'),
  ratio('W1 busy/median', 'portable', 'lua', '<=', 2, '#9'),
  ratio('W2/rate', 'portable', 'lua', '>=', 1, '#9'),
  ratio('W3/rate', 'portable', 'node', '>=', 1, '#9'),
  ratio('W3a/rate', 'portable', 'node', '>=', 1, '#9'),
  ratio('W4/rate', 'portable', 'node', '>=', 1, '#9'),
  ratio('W5/rate', 'portable', 'node', '>=', 1, '#9'),
  ratio('W6/rate', 'portable', 'node', '>=', 1, '#9'),
  // Issue #11: UDP round-trip latency and datagram rate (native engine against LuaSocket).
  ratio('W7/median', 'native', 'lua', '<=', 1.3, '#11'),
  ratio('W8/rate', 'native', 'lua', '>=', 1.0, '#11'),
  // Issue #12: socket.http requests/s against LuaSocket's socket.http, socket.ssl bulk
  // receive against node:tls, on both engines.
  ratio('W9/rate', 'native', 'lua', '>=', 1.0, '#12'),
  ratio('W9/rate', 'portable', 'lua', '>=', 1.0, '#12'),
  ratio('W10/rate', 'native', 'node', '>=', 0.8, '#12'),
  ratio('W10/rate', 'portable', 'node', '>=', 0.8, '#12'),
];

/**
 * The section of benchmarks/ANALYSIS.md that says where the time goes for a target's row,
 * so that a MISS or UNSURE line can point at the measured reason.
 */
export function analysisSection(t: Target): string {
  const workload = splitRow(t.row)[0];
  if (t.client === 'portable' && !/^W(9|10)$/.test(workload)) return 'Portable engine';
  if (t.row.endsWith('/rss')) return 'Peak RSS of W2 and W3';
  if (workload.startsWith('W1 ')) return 'W1 echo';
  if (workload === 'W7' || workload === 'W8') return 'W7 UDP echo and W8 datagram rate';
  if (workload === 'W9' || workload === 'W10') return 'W9 HTTP GET without keep-alive and W10 TLS bulk receive';
  if (workload === 'start-up') return 'Start-up';
  if (workload === 'idle') return '1,000 idle connections';
  return SECTIONS[workload] ?? workload;
}

const SECTIONS: Record<string, string> = {
  W2: 'W2 lines',
  W3: 'W3 bulk receive(65536)',
  W3a: "W3a receive('*a')",
  W4: 'W4 send 64 KiB chunks',
  W5: 'W5 connect + close',
  W6: 'W6 accept + close',
};

/** The records a verdict may use: timed rounds, not discarded. */
export function usable(records: readonly RunRecord[]): RunRecord[] {
  return records.filter((r) => r.round > 0 && !r.discarded);
}

function splitRow(row: string): [string, string] {
  const at = row.lastIndexOf('/');
  return [row.slice(0, at), row.slice(at + 1)];
}

/** A client's value of a row, per round (passing runs only). */
export function valuesByRound(records: readonly RunRecord[], row: string, client: ClientId): Map<number, number> {
  const [workload, figure] = splitRow(row);
  const out = new Map<number, number>();
  for (const r of usable(records)) {
    const v = r.figures[figure];
    if (r.workload === workload && r.client === client && r.ok && v !== undefined && Number.isFinite(v)) out.set(r.round, v);
  }
  return out;
}

/** Each round's ratio client / base, for the rounds where both passed. */
export function pairRatios(records: readonly RunRecord[], row: string, client: ClientId, base: ClientId): number[] {
  const a = valuesByRound(records, row, client);
  const b = valuesByRound(records, row, base);
  const out: number[] = [];
  for (const [round, v] of a) {
    const w = b.get(round);
    if (w !== undefined && w > 0) out.push(v / w);
  }
  return out;
}

export function failedRuns(records: readonly RunRecord[], row: string, clients: readonly ClientId[]): number {
  const [workload] = splitRow(row);
  return usable(records).filter((r) => r.workload === workload && clients.includes(r.client) && !r.ok).length;
}

function decide(op: Target['op'], bound: number, s: Spread): Word {
  if (s.n === 0) return 'n/a';
  const meets = (v: number) => (op === '>=' ? v >= bound : op === '<=' ? v <= bound : v < bound);
  const worst = op === '>=' ? s.lo : s.hi;
  const best = op === '>=' ? s.hi : s.lo;
  if (meets(worst)) return 'PASS';
  if (!meets(best)) return 'MISS';
  return 'UNSURE';
}

export function judge(records: readonly RunRecord[], targets: readonly Target[] = TARGETS): Verdict[] {
  return targets.map((target) => {
    const samples = target.base
      ? pairRatios(records, target.row, target.client, target.base)
      : [...valuesByRound(records, target.row, target.client).values()];
    const spread = spreadOf(samples);
    const failed = failedRuns(records, target.row, target.base ? [target.client, target.base] : [target.client]);
    const word = failed > 0 ? 'FAIL' : decide(target.op, target.bound, spread);
    return { target, spread, word, failedRuns: failed };
  });
}

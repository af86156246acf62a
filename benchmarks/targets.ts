/**
 * The performance targets, each tied to one row of the table and judged on medians.
 */
import type { ClientId } from './clients.js';
import type { Summary } from './stats.js';
import type { Better } from './workloads.js';

/** One row of results: a figure of a workload, per client. */
export interface Row {
  /** `${workload id}/${figure key}`, e.g. 'W2/rate'. */
  key: string;
  label: string;
  better: Better;
  cells: Partial<Record<ClientId, Summary>>;
  /** Runs that failed their check, per client. */
  failures: Partial<Record<ClientId, number>>;
}

export interface Target {
  row: string;
  /** The clients whose figures the target compares. */
  clients: ClientId[];
  /** Short form for the table, e.g. '>=1.0x Lua'. */
  short: string;
  /** Sentence for the summary. */
  text: string;
  judge: (row: Row) => { value: string; pass: boolean } | null;
}

export interface Verdict {
  target: Target;
  value: string;
  /** null: not measured (a client was left out). */
  pass: boolean | null;
  /** A run of a client this target compares failed its check. */
  failed: boolean;
}

const median = (row: Row, id: ClientId): number | null => {
  const s = row.cells[id];
  return s && Number.isFinite(s.median) ? s.median : null;
};

/** luasocket's median over `base`'s median must be >= k (or <= k for lower-is-better figures). */
function ratio(row: string, base: ClientId, baseName: string, k: number): Target {
  const lowerIsTime = row.includes('/median') || row.includes('/p99');
  const op = lowerIsTime ? '<=' : '>=';
  return {
    row,
    clients: ['luasocket', base],
    short: `${op}${k}x ${baseName}`,
    text: `${row.split('/')[0]} ${lowerIsTime ? 'median latency' : 'throughput'} ${op} ${k}x ${baseName}'s`,
    judge: (r) => {
      const a = median(r, 'luasocket');
      const b = median(r, base);
      if (a === null || b === null) return null;
      const v = a / b;
      return { value: `${v.toFixed(2)}x`, pass: lowerIsTime ? v <= k : v >= k };
    },
  };
}

function fasterThanSynckit(row: string): Target {
  return {
    row,
    clients: ['luasocket', 'synckit'],
    short: 'beats synckit',
    text: `${row.split('/')[0]} faster than the synckit design`,
    judge: (r) => {
      const a = median(r, 'luasocket');
      const b = median(r, 'synckit');
      if (a === null || b === null) return null;
      const pass = r.better === 'higher' ? a > b : a < b;
      return { value: `${(r.better === 'higher' ? a / b : b / a).toFixed(1)}x`, pass };
    },
  };
}

export const TARGETS: readonly Target[] = [
  ratio('W1 idle/median', 'lua', 'Lua', 2.0),
  fasterThanSynckit('W1 idle/median'),
  ratio('W1 busy/median', 'lua', 'Lua', 2.0),
  fasterThanSynckit('W1 busy/median'),
  ratio('W2/rate', 'lua', 'Lua', 1.0),
  ratio('W2/rate', 'synckit', 'synckit', 50),
  ratio('W3/rate', 'lua', 'Lua', 0.8),
  fasterThanSynckit('W3/rate'),
  ratio('W3a/rate', 'lua', 'Lua', 1.0),
  fasterThanSynckit('W3a/rate'),
  ratio('W4/rate', 'lua', 'Lua', 0.8),
  fasterThanSynckit('W4/rate'),
  ratio('W5/rate', 'node', 'node:net', 1.0),
  fasterThanSynckit('W5/rate'),
  ratio('W6/rate', 'node', 'node:net', 1.0),
  fasterThanSynckit('W6/rate'),
  {
    row: 'idle/MiB',
    clients: ['luasocket'],
    short: '<100 MiB',
    text: '1,000 idle connections cost < 100 MiB',
    judge: (r) => {
      const a = median(r, 'luasocket');
      return a === null ? null : { value: `${a.toFixed(1)} MiB`, pass: a < 100 };
    },
  },
];

export function judge(rows: readonly Row[]): Verdict[] {
  return TARGETS.map((target) => {
    const row = rows.find((r) => r.key === target.row);
    const j = row ? target.judge(row) : null;
    const failed = !!row && target.clients.some((id) => (row.failures[id] ?? 0) > 0);
    return { target, value: j?.value ?? 'n/a', pass: j ? j.pass : null, failed };
  });
}

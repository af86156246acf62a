/**
 * The printed results: a Markdown table (per client: the median over the rounds, then
 * the median pair ratio with its interval) with each row's verdicts, then one line per
 * target saying what was measured.
 */
import type { ClientId, ClientSpec } from './clients.js';
import type { RunRecord } from './runner.js';
import { spreadOf } from './stats.js';
import { analysisSection, pairRatios, type Target, type Verdict, valuesByRound } from './targets.js';
import { type Better, WORKLOADS } from './workloads.js';

export interface RowSpec {
  /** `${workload id}/${figure key}`. */
  key: string;
  label: string;
  better: Better;
  /** The client ratios are taken to (LuaSocket, or node:net for memory rows); null: no ratios. */
  base: ClientId | null;
}

/** Three significant digits, with k/M suffixes for large values. */
export function compact(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${(v / 1e3).toPrecision(3)}k`;
  if (a >= 100) return v.toFixed(0);
  return v.toPrecision(3);
}

const times = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)}x` : 'n/a');
/** A client's name in ratio texts; the node column runs node:http or node:tls on some rows. */
function shortName(id: ClientId, row: string): string {
  if (id === 'lua') return 'Lua';
  if (id !== 'node') return id;
  return WORKLOADS.find((w) => row.startsWith(`${w.id}/`))?.nodeApi ?? 'node:net';
}

function cell(records: readonly RunRecord[], row: RowSpec, c: ClientSpec): string {
  const workload = row.key.slice(0, row.key.lastIndexOf('/'));
  const failed = records.filter((r) => r.round > 0 && !r.discarded && r.workload === workload && r.client === c.id && !r.ok).length;
  const values = spreadOf([...valuesByRound(records, row.key, c.id).values()]);
  if (values.n === 0) return failed ? `FAILED x${failed}` : '-';
  let text = compact(values.median);
  const r = row.base && c.id !== row.base ? spreadOf(pairRatios(records, row.key, c.id, row.base)) : null;
  if (r && r.n > 0 && row.base) {
    text += ` ${times(r.median)} [${r.lo.toFixed(2)}-${r.hi.toFixed(2)}]${row.base === 'lua' ? '' : ` ${shortName(row.base, row.key)}`}`;
  } else if (values.n > 1) {
    text += ` [${compact(values.lo)}-${compact(values.hi)}]`;
  }
  // A failed run is never a figure: the cell keeps the others' and says how many failed.
  return failed ? `${text} + FAILED x${failed}` : text;
}

function markdown(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

export function targetText(t: Target): string {
  if (t.base) return `${t.client} ${t.op} ${t.bound}x ${shortName(t.base, t.row)}`;
  return `${t.client} ${t.op} ${t.bound} ${t.unit}`;
}

export function renderTable(
  records: readonly RunRecord[],
  rows: readonly RowSpec[],
  clients: readonly ClientSpec[],
  verdicts: readonly Verdict[],
): string {
  const header = ['Figure', ...clients.map((c) => c.label), 'Targets'];
  const body = rows.map((row) => {
    const mine = verdicts.filter((v) => v.target.row === row.key);
    return [row.label, ...clients.map((c) => cell(records, row, c)), mine.map((v) => `${targetText(v.target)}: ${v.word}`).join('; ')];
  });
  return markdown(header, body);
}

function measured(v: Verdict): string {
  const s = v.spread;
  if (s.n === 0) return 'not measured';
  const f = v.target.base ? times : (x: number) => `${compact(x)} ${v.target.unit}`;
  const what = v.target.base ? `${s.n} pairs` : `${s.n} samples`;
  const interval = s.n > 1 ? `, ${Math.round(100 * s.confidence)}% interval [${f(s.lo)}, ${f(s.hi)}]` : '';
  return `median ${f(s.median)}${interval}, ${what}`;
}

export function renderVerdicts(verdicts: readonly Verdict[], rows: readonly RowSpec[]): string {
  return verdicts
    .map((v) => {
      const label = rows.find((r) => r.key === v.target.row)?.label ?? v.target.row;
      const failed = v.failedRuns ? `; ${v.failedRuns} run(s) failed their check` : '';
      const line = `${v.word.padEnd(6)} ${label}: ${targetText(v.target)} (${v.target.source}): ${measured(v)}${failed}`;
      if (v.word !== 'MISS' && v.word !== 'UNSURE') return line;
      return `${line}\n       why: benchmarks/ANALYSIS.md, section "${analysisSection(v.target)}"`;
    })
    .join('\n');
}

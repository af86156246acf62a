/**
 * The printed results: a Markdown table (median [min-max] over the rounds, and each
 * client's ratio to LuaSocket) with each row's targets, then the target verdicts.
 */
import type { ClientSpec } from './clients.js';
import type { Summary } from './stats.js';
import type { Row, Verdict } from './targets.js';

/** Three significant digits, with k/M suffixes for large values. */
export function compact(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${(v / 1e3).toPrecision(3)}k`;
  if (a >= 100) return v.toFixed(0);
  return v.toPrecision(3);
}

function cell(row: Row, client: ClientSpec, base: Summary | undefined): string {
  const failed = row.failures[client.id];
  const s = row.cells[client.id];
  if (!s) return failed ? `FAILED x${failed}` : '-';
  let text = `${compact(s.median)} [${compact(s.min)}-${compact(s.max)}]`;
  if (base && client.id !== 'lua' && base.median > 0) text += ` ${(s.median / base.median).toFixed(2)}x`;
  // A failed run is never a figure: the cell keeps the others' and says how many failed.
  return failed ? `${text} + FAILED x${failed}` : text;
}

function markdown(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

export function renderTable(rows: readonly Row[], clients: readonly ClientSpec[], verdicts: readonly Verdict[]): string {
  const header = ['Figure', ...clients.map((c) => c.label), 'Targets', 'Result'];
  const body = rows.map((row) => {
    const mine = verdicts.filter((v) => v.target.row === row.key);
    const base = row.failures.lua ? undefined : row.cells.lua;
    return [
      row.label,
      ...clients.map((c) => cell(row, c, base)),
      mine.map((v) => v.target.short).join('; '),
      mine.map((v) => verdictWord(v)).join('; '),
    ];
  });
  return markdown(header, body);
}

export function renderVerdicts(verdicts: readonly Verdict[]): string {
  return verdicts.map((v) => `${v.pass === null ? 'n/a ' : v.pass ? 'PASS' : 'MISS'}  ${v.target.text}: ${v.value}`).join('\n');
}

/** PASS or MISS on the medians; FAIL when a run the target depends on failed its check. */
function verdictWord(v: Verdict): string {
  if (v.failed) return 'FAIL';
  return v.pass === null ? 'n/a' : v.pass ? 'PASS' : 'MISS';
}

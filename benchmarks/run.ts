/**
 * The benchmark: this package side by side with the real LuaSocket 3.1.0 (Lua 5.4),
 * Node's async node:net and a naive synckit design, on the same machine, against the
 * same C peer, in the same run.
 *
 *   npm run bench              quick mode: scaled-down counts, under 2 minutes
 *   npm run bench -- --full    the full counts
 *   options: --rounds N (>= 3), --only W2,W3 (workload ids), --clients lua,luasocket
 *
 * Prints a Markdown table and writes benchmarks/results/<timestamp>.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { CLIENTS, type ClientSpec } from './clients.js';
import { buildPeer, PeerServer, SOURCE_DIR } from './peer.js';
import { LIMITS, Runner, type RunRecord } from './runner.js';
import { summarize } from './stats.js';
import { renderTable, renderVerdicts } from './table.js';
import { judge, type Row } from './targets.js';
import { type Better, IDLE_CONNECTIONS, LOAD, type Mode, WORKLOADS, type Workload } from './workloads.js';

interface Options {
  mode: Mode;
  rounds: number;
  only: Set<string> | null;
  clients: ClientSpec[];
}

function parseArgs(argv: string[]): Options {
  const o: Options = { mode: 'quick', rounds: 3, only: null, clients: [...CLIENTS] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--full') o.mode = 'full';
    else if (a === '--quick') o.mode = 'quick';
    else if (a === '--rounds') o.rounds = Math.max(3, Number(argv[++i]));
    else if (a === '--only') o.only = new Set((argv[++i] ?? '').split(','));
    else if (a === '--clients') {
      const ids = (argv[++i] ?? '').split(',');
      o.clients = CLIENTS.filter((c) => ids.includes(c.id));
    } else throw new Error(`unknown option ${a} (use --full, --rounds N, --only W1,W2, --clients lua,luasocket,node,synckit)`);
  }
  return o;
}

function lineOf(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    return 'unknown';
  }
}

function machine(): Record<string, string | number> {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    lua: lineOf('lua5.4', ['-v']).split(/\s+/).slice(0, 2).join(' '),
    luaSocketPackage: /^Version: (.+)$/m.exec(lineOf('dpkg-query', ['-s', 'lua-socket']))?.[1] ?? 'unknown',
    luasocket: pkg.version,
  };
}

function checkPrerequisites(): void {
  try {
    execFileSync('lua5.4', ['-e', 'require("socket")'], { stdio: 'pipe' });
  } catch {
    throw new Error('the reference needs Lua 5.4 with LuaSocket: apt-get install -y lua5.4 lua-socket');
  }
}

/** Rows in print order: throughput and latency first, then resources. */
function buildRows(records: readonly RunRecord[], workloads: readonly Workload[], mode: Mode): Row[] {
  type RowSpec = { key: string; label: string; better: Better; workload: string; figure: string };
  const specs: RowSpec[] = [];
  const resources: RowSpec[] = [];
  for (const w of workloads) {
    for (const f of w.figures) {
      const spec = { key: `${w.id}/${f.key}`, label: `${w.title}: ${f.label}`, better: f.better, workload: w.id, figure: f.key };
      (f.key === 'rss' || w.job === 'startup' ? resources : specs).push(spec);
    }
  }
  const load = loadRows(mode).map((r) => ({ ...r, workload: 'load' }));
  const idle = {
    key: 'idle/MiB',
    label: `${IDLE_CONNECTIONS} idle connections: RSS growth MiB`,
    better: 'lower' as const,
    workload: 'idle',
    figure: 'MiB',
  };
  return [...specs, ...load, ...resources, idle]
    .map((spec) => {
      const mine = records.filter((r) => r.workload === spec.workload);
      const row: Row = { key: spec.key, label: spec.label, better: spec.better, cells: {}, failures: {} };
      for (const id of new Set(mine.map((r) => r.client))) {
        const runs = mine.filter((r) => r.client === id);
        const failures = runs.filter((r) => !r.ok).length;
        if (failures) row.failures[id] = failures;
        const values = runs.filter((r) => r.ok).map((r) => r.figures[spec.figure] as number);
        if (values.length) row.cells[id] = summarize(values);
      }
      return row;
    })
    .filter((row) => Object.keys(row.cells).length + Object.keys(row.failures).length > 0);
}

function loadRows(mode: Mode): { key: string; label: string; better: Better; figure: string }[] {
  const title = `load: ${LOAD[mode].threads} threads echo (piscina)`;
  return [
    { key: 'load/rate', label: `${title}: round trips/s`, better: 'higher', figure: 'rate' },
    { key: 'load/p50', label: `${title}: p50 us`, better: 'lower', figure: 'p50' },
    { key: 'load/p99', label: `${title}: p99 us`, better: 'lower', figure: 'p99' },
  ];
}

function describeCounts(mode: Mode, workloads: readonly Workload[]): string {
  const n = (v: number) => v.toLocaleString('en-US');
  const size = (v: number) => (v >= 2 ** 20 ? `${n(v / 2 ** 20)} MiB` : `${n(v)} bytes`);
  const parts = workloads
    .filter((w) => w.unit)
    .map((w) => {
      const [count, warmup] = w.counts[mode];
      const what = w.unit === 'bytes' ? size(count) : `${n(count)} ${w.unit}`;
      return `${w.busy ? 'W1 busy' : w.id.replace(' idle', '')} ${what}${warmup ? ` (+${n(warmup)} warm-up)` : ''}`;
    });
  const { threads, roundTrips } = LOAD[mode];
  parts.push(`load ${threads} threads x ${n(roundTrips)} round trips`);
  // W1 runs idle and busy with the same counts.
  return parts.filter((p) => !p.startsWith('W1 busy')).join('; ');
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  checkPrerequisites();
  const t0 = performance.now();
  const workloads = WORKLOADS.filter((w) => !o.only || o.only.has(w.id) || o.only.has(w.id.split(' ')[0] as string));
  const withLoad = !o.only || o.only.has('load');
  const withIdle = !o.only || o.only.has('idle');
  console.log(`luasocket benchmark, ${o.mode} mode, ${o.rounds} interleaved rounds`);
  console.log(`counts: ${describeCounts(o.mode, workloads)}`);
  if (o.mode === 'quick') console.log('quick mode scales the counts down; `npm run bench -- --full` runs the full counts');
  const bin = buildPeer();
  const peer = await PeerServer.start(bin, LIMITS[o.mode].totalMs + 60_000);
  const bench = new Runner(o.mode, bin, peer);
  try {
    for (let round = 1; round <= o.rounds && !bench.outOfTime(); round++) {
      process.stderr.write(`round ${round}/${o.rounds}\n`);
      // The client order rotates each round so that no client always runs first.
      const clients = o.clients.map((_, i) => o.clients[(i + round - 1) % o.clients.length] as ClientSpec);
      for (const w of workloads) {
        for (const c of clients) {
          if (bench.outOfTime()) break;
          await bench.workload(w, c, round);
        }
      }
      if (withLoad && o.clients.some((c) => c.id === 'luasocket')) await bench.load(round);
      if (withIdle && o.clients.some((c) => c.id === 'luasocket')) await bench.idle(round);
    }
  } finally {
    await peer.stop();
  }
  const rows = buildRows(bench.records, workloads, o.mode);
  const verdicts = judge(rows).filter((v) => rows.some((r) => r.key === v.target.row));
  const seconds = (performance.now() - t0) / 1000;
  const info = machine();
  console.log('');
  console.log(
    `${new Date().toISOString().slice(0, 10)}, ${info.cpus} vCPU (${info.cpuModel}), Linux ${info.kernel}, Node ${info.node}, ${info.lua}, lua-socket ${info.luaSocketPackage}`,
  );
  console.log('cells: median [min-max] over the rounds, then the ratio to LuaSocket (for us rows a time ratio: lower is better)');
  console.log('');
  console.log(renderTable(rows, o.clients, verdicts));
  console.log('');
  console.log(renderVerdicts(verdicts));
  const failures = bench.records.filter((r) => !r.ok);
  if (failures.length) console.log('\nA failed run did not do what the peer says it should have: it is an error, never a figure.');
  for (const f of failures) console.log(`FAILED round ${f.round} ${f.workload} ${f.client}: ${f.problems.join('; ')}`);
  const dir = `${SOURCE_DIR}results`;
  mkdirSync(dir, { recursive: true });
  const file = `${dir}/${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  const counts = Object.fromEntries(workloads.map((w) => [w.id, { count: w.counts[o.mode][0], warmup: w.counts[o.mode][1] }]));
  writeFileSync(
    file,
    `${JSON.stringify({ date: new Date().toISOString(), mode: o.mode, rounds: o.rounds, seconds, machine: info, counts, load: LOAD[o.mode], rows, verdicts: verdicts.map((v) => ({ target: v.target.text, value: v.value, pass: v.pass, failed: v.failed })), runs: bench.records }, null, 2)}\n`,
  );
  console.log(`\n${bench.records.length} runs in ${seconds.toFixed(0)} s; results written to ${file}`);
  return failures.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(2);
  },
);

/**
 * The benchmark: this package (native and portable engines) side by side with the real
 * LuaSocket 3.1.0 (Lua 5.4) and Node's async node:net, against the same C peer, in the
 * same run, compared pair by pair (see pairs.ts and targets.ts). W9 (HTTP) compares
 * socket.http with LuaSocket's socket.http and node:http; W10 (TLS) compares socket.ssl
 * with LuaSec and node:tls, against a node:tls server in a process of its own.
 *
 *   npm run bench                       quick mode: 5 pairs per workload, runs >= 1 s
 *   npm run bench -- --full             the README's figures: 9 pairs, runs >= 2 s
 *   npm run bench -- --profile W3       where the time goes (profile.ts)
 *   options: --pairs N (>= 5), --only W2,W3,start-up,idle,load, --clients lua,native,portable,node
 *
 * Prints a Markdown report on stdout (progress on stderr) and writes
 * benchmarks/results/<timestamp>.json with every run.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { CLIENT_IDS, CLIENTS, type ClientSpec, type Engine } from './clients.js';
import { provenance, renderProvenance } from './header.js';
import { measurePairs, measureStartup, PLANS, type Plan } from './pairs.js';
import { buildPeer, PeerServer, SOURCE_DIR } from './peer.js';
import { profile } from './profile.js';
import { Runner, type RunRecord } from './runner.js';
import { type RowSpec, renderTable, renderVerdicts } from './table.js';
import { judge, usable } from './targets.js';
import { IDLE_CONNECTIONS, LOAD, type Mode, WORKLOADS, type Workload } from './workloads.js';

interface Options {
  plan: Plan;
  only: Set<string> | null;
  clients: ClientSpec[];
}

const USAGE = 'options: --full, --pairs N (>= 5), --only W1,W2,...,start-up,idle,load, --clients lua,native,portable,node, --profile W3';

function parseArgs(argv: string[]): Options {
  let mode: Mode = 'quick';
  let pairs: number | null = null;
  let only: Set<string> | null = null;
  let ids: string[] = CLIENT_IDS;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--full') mode = 'full';
    else if (a === '--quick') mode = 'quick';
    else if (a === '--pairs') pairs = Math.max(5, Math.trunc(Number(argv[++i])) || 5);
    else if (a === '--only') only = new Set((argv[++i] ?? '').split(','));
    else if (a === '--clients') ids = (argv[++i] ?? '').split(',');
    else throw new Error(`unknown option ${a} (${USAGE})`);
  }
  // LuaSocket is every ratio's base: it always runs.
  const clients = CLIENTS.filter((c) => c.id === 'lua' || ids.includes(c.id));
  return { plan: { ...PLANS[mode], pairs: pairs ?? PLANS[mode].pairs }, only, clients };
}

function checkPrerequisites(workloads: readonly Workload[]): void {
  try {
    execFileSync('lua5.4', ['-e', 'require("socket")'], { stdio: 'pipe' });
  } catch {
    throw new Error('the reference needs Lua 5.4 with LuaSocket: apt-get install -y lua5.4 lua-socket');
  }
  if (!workloads.some((w) => w.job === 'tlsbulk')) return;
  try {
    execFileSync('lua5.4', ['-e', 'require("ssl")'], { stdio: 'pipe' });
  } catch {
    throw new Error("W10's Lua column is LuaSec: apt-get install -y lua-sec (or leave W10 out with --only)");
  }
}

function selected(o: Options, id: string): boolean {
  return !o.only || o.only.has(id) || o.only.has(id.split(' ')[0] as string);
}

/** Rows in print order: throughput and latency, then resources. */
function rowsOf(workloads: readonly Workload[], withIdle: boolean, withLoad: boolean): RowSpec[] {
  const main: RowSpec[] = [];
  const resources: RowSpec[] = [];
  for (const w of workloads) {
    for (const f of w.figures) {
      const row = { key: `${w.id}/${f.key}`, label: `${w.title}: ${f.label}`, better: f.better };
      if (f.key === 'rss') resources.push({ ...row, base: 'node' });
      else if (w.job === 'startup') resources.push({ ...row, base: null });
      else main.push({ ...row, base: w.base ?? 'lua' });
    }
  }
  if (withLoad) {
    const title = `load: ${LOAD.threads} threads echo (piscina)`;
    main.push({ key: 'load/rate', label: `${title}: round trips/s`, better: 'higher', base: null });
    main.push({ key: 'load/p50', label: `${title}: p50 us`, better: 'lower', base: null });
    main.push({ key: 'load/p99', label: `${title}: p99 us`, better: 'lower', base: null });
  }
  if (withIdle)
    resources.push({ key: 'idle/MiB', label: `${IDLE_CONNECTIONS} idle connections: RSS growth MiB`, better: 'lower', base: null });
  return [...main, ...resources];
}

function engines(clients: readonly ClientSpec[]): Engine[] {
  return clients.flatMap((c) => (c.engine ? [c.engine] : []));
}

/** Lines under the verdicts: what the reader must know to trust (or not) the figures. */
function notes(records: readonly RunRecord[], plan: Plan): string[] {
  const out: string[] = [];
  const timed = usable(records).filter((r) => r.ok && !['start-up', 'idle', 'load'].includes(r.workload));
  const shortest = timed.reduce<RunRecord | null>((m, r) => (!m || r.seconds < m.seconds ? r : m), null);
  if (shortest)
    out.push(
      `shortest timed run: ${shortest.seconds.toFixed(2)} s (${shortest.workload}, ${shortest.client}); minimum ${plan.minSeconds} s`,
    );
  const short = timed.filter((r) => r.seconds < plan.minSeconds);
  for (const r of short)
    out.push(
      `SHORT: pair ${r.round} ${r.workload} ${r.client} lasted ${r.seconds.toFixed(2)} s (count ${r.count}, at its cap or after resizing)`,
    );
  const resized = new Set(records.filter((r) => r.discarded).map((r) => r.workload));
  if (resized.size) out.push(`sized up and rerun after a short run: ${[...resized].join(', ')}`);
  if (records.some((r) => r.client === 'portable' && r.addonLoaded === true)) {
    out.push(
      'PORTABLE COLUMN: the child ran with LUASOCKET_ENGINE=portable but still loaded the native addon: this package does not (yet) honour the variable, so the column measured the native engine.',
    );
  }
  const failures = usable(records).filter((r) => !r.ok);
  if (failures.length) out.push('A failed run did not do what the peer says it should have: it is an error, never a figure.');
  for (const f of failures) out.push(`FAILED pair ${f.round} ${f.workload} ${f.client}: ${f.problems.join('; ')}`);
  return out;
}

async function bench(o: Options): Promise<number> {
  const { plan } = o;
  const workloads = WORKLOADS.filter((w) => selected(o, w.id) && (plan.mode === 'full' || !w.fullOnly || o.only?.has(w.id)));
  checkPrerequisites(workloads);
  const info = provenance();
  const t0 = performance.now();
  const withIdle = selected(o, 'idle') && engines(o.clients).length > 0;
  const withLoad = (plan.mode === 'full' ? selected(o, 'load') : !!o.only?.has('load')) && engines(o.clients).length > 0;
  process.stderr.write(`luasocket benchmark, ${plan.mode} mode: ${plan.pairs} pairs per workload, runs >= ${plan.minSeconds} s\n`);
  const bin = buildPeer();
  const peer = await PeerServer.start(bin, 6 * 3600_000);
  const runner = new Runner(bin, peer);
  try {
    for (const w of workloads) {
      process.stderr.write(`${w.id}: ${w.title}\n`);
      const skip = plan.mode === 'quick' ? (w.quickSkips ?? []) : [];
      const clients = o.clients.filter((c) => !skip.includes(c.id));
      if (w.job === 'startup') await measureStartup(runner, w, clients, plan);
      else await measurePairs(runner, w, clients, plan);
    }
    if (withIdle) for (let round = 1; round <= plan.pairs; round++) for (const e of engines(o.clients)) await runner.idle(e, round);
    if (withLoad) for (let round = 1; round <= 3; round++) for (const e of engines(o.clients)) await runner.load(e, round);
  } finally {
    await peer.stop();
  }
  const records = runner.records;
  const rows = rowsOf(workloads, withIdle, withLoad);
  const verdicts = judge(records).filter(
    (v) => rows.some((r) => r.key === v.target.row) && o.clients.some((c) => c.id === v.target.client),
  );
  const seconds = (performance.now() - t0) / 1000;
  const planText =
    `${plan.mode} mode, ${plan.pairs} pairs per workload in alternating order (A B ... B A), every timed run >= ${plan.minSeconds} s, ` +
    'sized by calibration runs: W2, W3 and W3a do the same count for every client (sized by the fastest), ' +
    `the others a count per client from its own rate${plan.mode === 'quick' ? '; quick mode leaves node:net out of W1 (no target there)' : ''}`;
  console.log('### luasocket benchmark\n');
  console.log(renderProvenance(info, planText));
  console.log(
    '\nCells: the median over the pairs, then the median of the pair ratios (each run over the LuaSocket run of the same pair; ' +
      'memory rows over node:net, W10 over node:tls) with its interval: the order-statistics confidence interval of the median, ' +
      '94% for 5 pairs (min to max), 96% for 9. For us and MiB rows lower is better. A verdict is PASS when the whole ' +
      'interval meets the target, MISS when none of it does, UNSURE when it straddles the bound.\n',
  );
  console.log(renderTable(records, rows, o.clients, verdicts));
  console.log('\n```text');
  console.log(renderVerdicts(verdicts, rows));
  for (const n of notes(records, plan)) console.log(n);
  console.log('```');
  const dir = `${SOURCE_DIR}results`;
  mkdirSync(dir, { recursive: true });
  const file = `${dir}/${info.date.replace(/[:.]/g, '-')}-${plan.mode}.json`;
  const verdictJson = verdicts.map((v) => ({ ...v.target, word: v.word, failedRuns: v.failedRuns, spread: v.spread }));
  writeFileSync(file, `${JSON.stringify({ provenance: info, plan, seconds, rows, verdicts: verdictJson, runs: records }, null, 2)}\n`);
  console.log(`\n${records.length} runs in ${seconds.toFixed(0)} s; every run is in ${file}`);
  return usable(records).some((r) => !r.ok) ? 1 : 0;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--profile');
  if (at >= 0) return profile(argv.filter((_, i) => i !== at));
  return bench(parseArgs(argv));
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(2);
  },
);

/**
 * Where the time goes, for one workload:
 *  1. plain runs of this package and of LuaSocket doing the same job, with each thread's
 *     time on a CPU and waiting for one (/proc schedstat), and the peer's;
 *  2. a run under `node --cpu-prof` (Node 20 writes one profile per thread: the caller
 *     and its I/O worker): the functions with the most self time, per thread;
 *  3. with --perf, `perf record` of both clients: on-CPU samples per thread, native code
 *     and kernel included (what --cpu-prof shows as one JS frame or as "(idle)");
 *  4. with --syscalls, `strace -f -c` of both: system calls per unit of work.
 *
 *   npm run bench -- --profile W3 [--engine native|portable] [--seconds 2] [--top 15]
 *                                 [--syscalls] [--perf] [--keep DIR]
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { client, type Engine } from './clients.js';
import type { ThreadTime } from './job.js';
import { measurePairs, PLANS } from './pairs.js';
import { buildPeer, PeerServer } from './peer.js';
import { Runner, type RunRecord } from './runner.js';
import { have, perfThreads, renderThreads, syscallCounts } from './tracers.js';
import { WORKLOADS, type Workload } from './workloads.js';

const USAGE = 'npm run bench -- --profile W3 [--engine native|portable] [--seconds 2] [--top 15] [--syscalls] [--perf] [--keep DIR]';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function (ms), largest first. */
export function selfTimes(p: CpuProfile): { name: string; ms: number }[] {
  const byNode = new Map(p.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const f = byNode.get(id)?.callFrame;
    if (!f) return;
    const where = f.url ? ` ${basename(f.url)}:${f.lineNumber + 1}` : '';
    const name = `${f.functionName || '(anonymous)'}${where}`;
    totals.set(name, (totals.get(name) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  });
  return [...totals].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms);
}

interface ProfileOptions {
  workload: Workload;
  engine: Engine;
  seconds: number;
  top: number;
  syscalls: boolean;
  perf: boolean;
  keep: string | null;
}

function parse(argv: string[]): ProfileOptions {
  const value = (flag: string): string | undefined => {
    const at = argv.indexOf(flag);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const flags = new Set(['--engine', '--seconds', '--top', '--keep']);
  const id = argv.find((a, i) => !a.startsWith('--') && !flags.has(argv[i - 1] ?? '')) ?? 'W3';
  const workload = WORKLOADS.find((w) => w.id === id || w.id.split(' ')[0] === id);
  if (!workload || workload.job === 'startup') throw new Error(`unknown workload ${id}; one of ${WORKLOADS.map((w) => w.id).join(', ')}`);
  const engine = value('--engine') ?? 'native';
  if (engine !== 'native' && engine !== 'portable') throw new Error('--engine native|portable');
  return {
    workload,
    engine,
    seconds: Number(value('--seconds') ?? 2),
    top: Number(value('--top') ?? 15),
    syscalls: argv.includes('--syscalls'),
    perf: argv.includes('--perf'),
    keep: value('--keep') ?? null,
  };
}

function printProfiles(dir: string, title: string, top: number): void {
  // Files are CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile; thread 0 is the caller.
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort()) {
    const tid = file.split('.')[4];
    const thread = tid === '0' ? 'calling thread' : `worker thread ${tid}`;
    const times = selfTimes(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile);
    const total = times.reduce((n, t) => n + t.ms, 0);
    console.log(`\n${title}, ${thread}: ${total.toFixed(0)} ms sampled`);
    for (const t of times.slice(0, top))
      console.log(`  ${((100 * t.ms) / total).toFixed(1).padStart(5)}%  ${t.ms.toFixed(1).padStart(8)} ms  ${t.name}`);
  }
}

/**
 * Plain (unprofiled) runs of the same job: wall time, and per thread the time on a CPU,
 * the time runnable but waiting for one, and how often it was scheduled in, in all and
 * per unit of work. Client threads count over the process's life (start-up included),
 * the peer over the run.
 */
function cpuTable(w: Workload, runs: RunRecord[]): string {
  const unit = w.unit === 'bytes' ? 'MiB' : w.unit.replace(/s$/, '');
  const units = (r: RunRecord) => (w.unit === 'bytes' ? r.count / 2 ** 20 : r.count + w.warmup);
  const sum = (ts: ThreadTime[]) =>
    ts.reduce((a, x) => ({ runS: a.runS + x.runS, waitS: a.waitS + x.waitS, slices: a.slices + x.slices }), ZERO);
  const lines = [
    `${'client'.padEnd(9)} ${'wall s'.padStart(7)}  ${'thread'.padEnd(22)} ${'CPU s'.padStart(7)} ${'queued s'.padStart(8)} ${'runs'.padStart(8)}   per ${unit}: CPU us, runs`,
  ];
  for (const r of runs) {
    const c = r.cpu;
    if (!c) continue;
    const [busiest, ...rest] = c.others;
    const rows: [string, ThreadTime | undefined][] = [
      ['main thread', c.main],
      ['busiest other thread', busiest],
      [`other ${rest.length} threads`, rest.length ? sum(rest) : undefined],
      [w.port === 'tls' ? 'TLS server (main thr.)' : 'peer (C, 1 thread)', c.peer],
    ];
    let first = true;
    for (const [name, t] of rows) {
      if (!t) continue;
      const n = units(r);
      const per = `${((t.runS * 1e6) / n).toFixed(2).padStart(9)} ${(t.slices / n).toFixed(3).padStart(8)}`;
      const head = first ? `${r.client.padEnd(9)} ${r.seconds.toFixed(3).padStart(7)}` : ' '.repeat(17);
      lines.push(
        `${head}  ${name.padEnd(22)} ${t.runS.toFixed(3).padStart(7)} ${t.waitS.toFixed(3).padStart(8)} ${String(t.slices).padStart(8)}   ${per}`,
      );
      first = false;
    }
  }
  return lines.join('\n');
}

const ZERO: ThreadTime = { runS: 0, waitS: 0, slices: 0 };

export async function profile(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(USAGE);
    return 0;
  }
  const o = parse(argv);
  const w = o.workload;
  const dir = o.keep ?? mkdtempSync(join(tmpdir(), 'luasocket-prof-'));
  mkdirSync(dir, { recursive: true });
  const bin = buildPeer();
  const peer = await PeerServer.start(bin, 3600_000);
  try {
    // Size the run as the bench would, for --seconds, from the package's own rate.
    const sizing = new Runner(bin, peer);
    const base = client(o.engine);
    const plan = { ...PLANS.quick, pairs: 1, minSeconds: 0.8 * o.seconds, aimSeconds: o.seconds };
    const [sized] = await measurePairs(sizing, { ...w, size: { ...w.size, same: false } }, [base], plan);
    if (!sized?.ok) throw new Error(`the sizing run failed: ${sized?.problems.join('; ')}`);
    const lua = await sizing.workload(w, client('lua'), sized.count, 1);
    console.log(`${w.title}: ${sized.count} ${w.unit} per run\n`);
    console.log(cpuTable(w, [sized, lua]));
    const profiled = new Runner(bin, peer, ['--cpu-prof', '--cpu-prof-dir', dir]);
    const run = await profiled.workload(w, base, sized.count, 1);
    if (!run.ok) throw new Error(`the profiled run failed: ${run.problems.join('; ')}`);
    console.log(`\nprofiled run (slower than the plain one): ${run.seconds.toFixed(3)} s`);
    printProfiles(dir, `${w.title}, luasocket ${o.engine}`, o.top);
    if (o.perf) {
      if (!have('perf')) throw new Error('--perf needs perf (apt-get install -y linux-perf)');
      for (const id of [o.engine, 'lua'] as const) {
        const threads = await perfThreads(sizing, w, id, sized.count, dir, o.top);
        const main = Math.min(...threads.map((t) => t.tid));
        console.log(renderThreads(`perf, ${w.id}, ${id === 'lua' ? 'LuaSocket' : `luasocket ${id}`}`, threads, main));
      }
    }
    if (o.syscalls) {
      if (!have('strace')) throw new Error('--syscalls needs strace (apt-get install -y strace)');
      const count = Math.max(1, Math.round(sized.count / 4));
      const lua = await syscallCounts(sizing, w, 'lua', count, dir);
      const mine = await syscallCounts(sizing, w, o.engine, count, dir);
      const scale = w.unit === 'bytes' ? count / 2 ** 20 : count;
      const perUnit = w.unit === 'bytes' ? 'MiB' : w.unit.replace(/s$/, '');
      console.log(`\nsystem calls per ${perUnit} (strace -f -c, ${count} ${w.unit}; all threads, start-up included):`);
      console.log(`  ${'syscall'.padEnd(18)} ${'LuaSocket'.padStart(10)} ${`luasocket ${o.engine}`.padStart(18)}`);
      const most = (n: string) => Math.max(lua.get(n) ?? 0, mine.get(n) ?? 0);
      const names = [...new Set([...lua.keys(), ...mine.keys()])].sort((a, b) => most(b) - most(a));
      for (const name of names.slice(0, o.top)) {
        const f = (m: Map<string, number>) => ((m.get(name) ?? 0) / scale).toFixed(2);
        console.log(`  ${name.padEnd(18)} ${f(lua).padStart(10)} ${f(mine).padStart(18)}`);
      }
    }
    if (o.keep) console.log(`\nprofiles kept in ${dir} (open them in Chrome DevTools > Performance)`);
  } finally {
    await peer.stop();
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  }
  return 0;
}

// Also runnable on its own: node dist/benchmarks/profile.js W3 [options].
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  profile(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(2);
    },
  );
}

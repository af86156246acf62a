/**
 * Where the time goes: runs one workload with this package's client under
 * `node --cpu-prof` (Node 20 writes one profile per thread: the caller and its I/O
 * worker) and prints, per thread, the functions with the most self time. With
 * --syscalls it also counts the system calls of this package and of LuaSocket doing the
 * same job (strace -f -c), per unit of work.
 *
 *   npm run bench -- --profile W3 [--engine native|portable] [--seconds 2] [--top 15]
 *                                 [--syscalls] [--keep DIR]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { client, type Engine } from './clients.js';
import { measurePairs, PLANS } from './pairs.js';
import { buildPeer, PeerServer } from './peer.js';
import { Runner, type RunRecord } from './runner.js';
import { WORKLOADS, type Workload } from './workloads.js';

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

/** Wall time and CPU time per thread of plain (unprofiled) runs of the same job. */
function cpuTable(w: Workload, runs: RunRecord[]): string {
  const lines = ['client      wall s   rate        main thread CPU s   other threads CPU s (busiest first)   peer CPU s'];
  for (const r of runs) {
    const c = r.cpu;
    const rate = w.unit === 'bytes' ? `${(r.count / 1e6 / r.seconds).toFixed(0)} MB/s` : `${(r.count / r.seconds).toFixed(0)}/s`;
    const others = c ? c.othersS.slice(0, 3).join(' ') || '0' : '?';
    lines.push(
      `${r.client.padEnd(10)} ${r.seconds.toFixed(3).padStart(7)}   ${rate.padEnd(11)} ${String(c?.mainS ?? '?').padStart(17)}   ${others.padEnd(37)} ${String(c?.peerS ?? '?').padStart(10)}`,
    );
  }
  lines.push('(CPU over the whole client process, start-up and connect included; 10 ms ticks)');
  return lines.join('\n');
}

/** strace -f -c of one run: calls per syscall, divided by the job's units. */
async function syscallCounts(runner: Runner, w: Workload, id: 'lua' | Engine, count: number, dir: string): Promise<Map<string, number>> {
  const out = join(dir, `strace-${id}.txt`);
  const base = client(id);
  const traced = { ...base, command: 'strace', args: ['-f', '-c', '-o', out, base.command, ...base.args] };
  const r = await runner.workload(w, traced, count, 1);
  if (!r.ok) throw new Error(`the traced ${id} run failed: ${r.problems.join('; ')}`);
  const calls = new Map<string, number>();
  for (const line of readFileSync(out, 'utf8').split('\n')) {
    // % time, seconds, usecs/call, calls, [errors], syscall
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$/.exec(line);
    if (m && m[2] !== 'total') calls.set(m[2] as string, Number(m[1]));
  }
  return calls;
}

export async function profile(argv: string[]): Promise<number> {
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
    const plan = { ...PLANS.quick, pairs: 1, minSeconds: 0, aimSeconds: o.seconds };
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
    if (o.syscalls) {
      if (!haveStrace()) throw new Error('--syscalls needs strace (apt-get install -y strace)');
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

/** Is strace available (for --syscalls)? */
function haveStrace(): boolean {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

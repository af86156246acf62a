/**
 * Looking below JavaScript for `--profile`: `perf record` (on-CPU samples per thread,
 * native code and kernel included, JS functions named through --perf-basic-prof) and
 * `strace -f -c` (system calls per unit of work). Each wraps one client run.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type ClientSpec, client } from './clients.js';
import type { Runner, RunRecord } from './runner.js';
import type { Workload } from './workloads.js';

export function have(tool: 'perf' | 'strace'): boolean {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A client run under another program (`tool args... command args...`). */
function wrapped(base: ClientSpec, tool: string, toolArgs: string[], nodeArgs: string[]): ClientSpec {
  const node = base.command === process.execPath;
  return { ...base, command: tool, args: [...toolArgs, base.command, ...(node ? nodeArgs : []), ...base.args] };
}

async function traced(runner: Runner, w: Workload, c: ClientSpec, count: number): Promise<RunRecord> {
  const r = await runner.workload(w, c, count, 1);
  if (!r.ok) throw new Error(`the traced ${c.id} run failed: ${r.problems.join('; ')}`);
  return r;
}

/** System calls per syscall name over one run (all threads, start-up included). */
export async function syscallCounts(
  runner: Runner,
  w: Workload,
  id: ClientSpec['id'],
  count: number,
  dir: string,
): Promise<Map<string, number>> {
  const out = join(dir, `strace-${id}.txt`);
  await traced(runner, w, wrapped(client(id), 'strace', ['-f', '-c', '-o', out], []), count);
  const calls = new Map<string, number>();
  for (const line of readFileSync(out, 'utf8').split('\n')) {
    // % time, seconds, usecs/call, calls, [errors], syscall
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$/.exec(line);
    if (m && m[2] !== 'total') calls.set(m[2] as string, Number(m[1]));
  }
  return calls;
}

export interface ThreadSamples {
  tid: number;
  /** Share of all samples of the process, percent. */
  share: number;
  /** Of that: in the kernel, in JIT-compiled JavaScript (--perf-basic-prof names them "JS:"). */
  kernel: number;
  js: number;
  top: { symbol: string; share: number }[];
}

/**
 * On-CPU samples (cpu-clock, so it works in VMs without hardware counters) of one run,
 * per thread, busiest first: the top symbols with their share of all the process's samples.
 */
export async function perfThreads(
  runner: Runner,
  w: Workload,
  id: ClientSpec['id'],
  count: number,
  dir: string,
  top: number,
): Promise<ThreadSamples[]> {
  const data = join(dir, `perf-${id}.data`);
  const before = new Set(readdirSync('/tmp').filter((f) => /^perf-\d+\.map$/.test(f)));
  const tool = wrapped(client(id), 'perf', ['record', '-q', '-e', 'cpu-clock', '-F', '1999', '-o', data, '--'], ['--perf-basic-prof']);
  try {
    await traced(runner, w, tool, count);
    const report = execFileSync('perf', ['report', '-i', data, '--no-children', '--sort', 'pid,sym', '--stdio', '-g', 'none'], {
      encoding: 'utf8',
      maxBuffer: 64 * 2 ** 20,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const threads = new Map<number, ThreadSamples>();
    for (const line of report.split('\n')) {
      // "  18.99%  23852:node  [.] v8::internal::relaxed_memcpy"
      const m = /^\s*([\d.]+)%\s+(\d+):\S*\s+\[([.k])\]\s+(.*)$/.exec(line);
      if (!m) continue;
      const tid = Number(m[2]);
      const share = Number(m[1]);
      const symbol = (m[4] as string).trim();
      const t = threads.get(tid) ?? { tid, share: 0, kernel: 0, js: 0, top: [] };
      t.share += share;
      if (m[3] === 'k') t.kernel += share;
      else if (symbol.startsWith('JS:')) t.js += share;
      if (t.top.length < top) t.top.push({ symbol, share });
      threads.set(tid, t);
    }
    return [...threads.values()].sort((a, b) => b.share - a.share);
  } finally {
    // --perf-basic-prof leaves /tmp/perf-<pid>.map behind.
    for (const f of readdirSync('/tmp')) if (/^perf-\d+\.map$/.test(f) && !before.has(f)) rmSync(join('/tmp', f), { force: true });
  }
}

export function renderThreads(title: string, threads: ThreadSamples[], mainTid: number): string {
  const lines: string[] = [];
  for (const t of threads.filter((x) => x.share >= 3)) {
    const role = t.tid === mainTid ? 'main thread' : 'another thread';
    const split = `kernel ${t.kernel.toFixed(1)}%, JIT JavaScript ${t.js.toFixed(1)}%, other user code ${(t.share - t.kernel - t.js).toFixed(1)}%`;
    lines.push(`\n${title}, ${role} (tid ${t.tid}): ${t.share.toFixed(1)}% of the process's on-CPU samples (${split})`);
    for (const s of t.top) lines.push(`  ${s.share.toFixed(2).padStart(6)}%  ${s.symbol.slice(0, 110)}`);
  }
  return lines.join('\n');
}

/**
 * Where the time goes: runs one workload with this package's client under
 * `node --cpu-prof` (every thread: the caller and its I/O worker) and prints the
 * functions with the most self time, per thread.
 *
 *   npm run build && node dist/benchmarks/profile.js W2 [--full] [--top 15]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { client } from './clients.js';
import { buildPeer, PeerServer } from './peer.js';
import { LIMITS, Runner } from './runner.js';
import { type Mode, WORKLOADS } from './workloads.js';

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
function selfTimes(p: CpuProfile): { name: string; ms: number }[] {
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

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const id = argv.find((a) => !a.startsWith('--') && !/^\d+$/.test(a)) ?? 'W2';
  const mode: Mode = argv.includes('--full') ? 'full' : 'quick';
  const topAt = argv.indexOf('--top');
  const top = topAt >= 0 ? Number(argv[topAt + 1]) : 15;
  const w = WORKLOADS.find((x) => x.id === id);
  if (!w) throw new Error(`unknown workload ${id}; one of ${WORKLOADS.map((x) => x.id).join(', ')}`);
  const dir = mkdtempSync(join(tmpdir(), 'luasocket-prof-'));
  const bin = buildPeer();
  const peer = await PeerServer.start(bin, LIMITS[mode].totalMs);
  try {
    const runner = new Runner(mode, bin, peer);
    const base = client('luasocket');
    await runner.workload(w, { ...base, args: ['--cpu-prof', '--cpu-prof-dir', dir, ...base.args] }, 1);
    const run = runner.records[0];
    if (!run?.ok) throw new Error(`the run failed: ${run?.problems.join('; ')}`);
    // Files are CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile; thread 0 is the caller.
    for (const file of readdirSync(dir).sort()) {
      const thread = file.split('.')[4] === '0' ? 'calling thread' : `worker thread ${file.split('.')[4]}`;
      const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
      const times = selfTimes(profile);
      const total = times.reduce((n, t) => n + t.ms, 0);
      console.log(`\n${w.title}, luasocket client, ${thread}: ${total.toFixed(0)} ms sampled`);
      for (const t of times.slice(0, top))
        console.log(`  ${((100 * t.ms) / total).toFixed(1).padStart(5)}%  ${t.ms.toFixed(1).padStart(8)} ms  ${t.name}`);
    }
  } finally {
    await peer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);

/**
 * The TLS server of W10 (tls-server.ts) as the harness drives it: a self-signed
 * certificate made with the openssl command into a temporary directory, the server
 * started through `peer exec` (it dies with the harness), its counters read over stdin.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSchedstat, type ThreadTime } from './job.js';
import { type Spawned, start } from './processes.js';
import type { TlsStats } from './tls-server.js';

export type { TlsStats } from './tls-server.js';

/** A P-256 key and a self-signed certificate for CN=localhost (the clients do not verify it). */
function selfSigned(dir: string): { key: string; cert: string } {
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  args.push('-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost');
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`W10 needs the openssl command to make its certificate (apt-get install -y openssl): ${stderr || String(e)}`);
  }
  return { key, cert };
}

export function tlsDelta(after: TlsStats, before: TlsStats): TlsStats {
  const d = { ...after };
  for (const k of Object.keys(d) as (keyof TlsStats)[]) d[k] = after[k] - before[k];
  return d;
}

export class TlsPeer {
  private constructor(
    private readonly proc: Spawned,
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(bin: string, lifetimeMs: number): Promise<TlsPeer> {
    const dir = mkdtempSync(join(tmpdir(), 'luasocket-bench-tls-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    const { key, cert } = selfSigned(dir);
    const script = fileURLToPath(new URL('./tls-server.js', import.meta.url));
    const proc = start(bin, process.execPath, [script, key, cert], lifetimeMs, 'pipe');
    const first = await proc.nextLine();
    const m = /^port (\d+)$/.exec(first);
    if (!m) throw new Error(`TLS server: unexpected first line '${first}'`);
    return new TlsPeer(proc, Number(m[1]), dir);
  }

  /** The server's main thread (where node:tls encrypts) on and waiting for a CPU so far. */
  cpuTime(): ThreadTime {
    try {
      return parseSchedstat(readFileSync(`/proc/${this.proc.child.pid}/schedstat`, 'utf8'));
    } catch {
      return { runS: Number.NaN, waitS: Number.NaN, slices: Number.NaN };
    }
  }

  async stats(): Promise<TlsStats> {
    const line = this.proc.nextLine();
    this.proc.child.stdin?.write('stats\n');
    return JSON.parse(await line) as TlsStats;
  }

  async stop(): Promise<void> {
    this.proc.child.stdin?.end('quit\n');
    await Promise.race([this.proc.exited, new Promise((r) => setTimeout(r, 2000))]);
    this.proc.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

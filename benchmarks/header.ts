/**
 * Where a result comes from: the command, the commit, the date and the machine, as a
 * Markdown block the README can quote verbatim.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function output(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    return '';
  }
}

export interface Provenance {
  command: string;
  commit: string;
  /** Uncommitted changes to tracked files outside benchmarks/results. */
  dirty: boolean;
  date: string;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  lua: string;
  luaSocketPackage: string;
  version: string;
  loadAverage: number[];
}

/** How this run was started, as a user would type it. */
function commandLine(): string {
  const args = process.argv.slice(2).join(' ');
  if (process.env.npm_lifecycle_event === 'bench') return `npm run bench${args ? ` -- ${args}` : ''}`;
  return `node dist/benchmarks/run.js${args ? ` ${args}` : ''}`;
}

export function provenance(): Provenance {
  const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string };
  return {
    command: commandLine(),
    commit: output('git', ['rev-parse', 'HEAD']) || 'unknown',
    dirty: output('git', ['status', '--porcelain', '--untracked-files=no']).length > 0,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    lua: output('lua5.4', ['-v']).split(/\s+/).slice(0, 2).join(' ') || 'unknown',
    luaSocketPackage: /^Version: (.+)$/m.exec(output('dpkg-query', ['-s', 'lua-socket']))?.[1] ?? 'unknown',
    version: pkg.version,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export function renderProvenance(p: Provenance, plan: string): string {
  return [
    `- command: \`${p.command}\``,
    `- commit: \`${p.commit}\`${p.dirty ? ' (with uncommitted changes)' : ''}, luasocket ${p.version}`,
    `- date: ${p.date}`,
    `- machine: ${p.cpuModel}, ${p.cores} cores, ${p.memoryGiB} GiB, ${p.kernel}; load average at start ${p.loadAverage.join(' ')}`,
    `- software: Node ${p.node}, ${p.lua}, lua-socket ${p.luaSocketPackage} (Debian package)`,
    `- plan: ${plan}`,
  ].join('\n');
}

/**
 * Child processes of a bench run. Every child is started through `peer exec`, which
 * makes the kernel kill it if the harness dies (PR_SET_PDEATHSIG), and every child has a
 * deadline after which it is killed. On a normal exit or a signal, the harness kills
 * whatever is still running.
 */
import { type ChildProcess, spawn } from 'node:child_process';

const live = new Set<ChildProcess>();

function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

export interface Spawned {
  child: ChildProcess;
  /** Resolves with the exit code (null if killed) once the process ended. */
  exited: Promise<number | null>;
  /** Every complete stdout line so far. */
  lines: string[];
  stderr: () => string;
  /** Resolves with the next stdout line (rejects if the process ends first). */
  nextLine: () => Promise<string>;
  kill: () => void;
}

/**
 * Starts `command args` so that it dies with the harness (`launcher` is the peer binary,
 * whose `exec` mode sets that up) and is killed after `timeoutMs`.
 */
export function start(
  launcher: string,
  command: string,
  args: string[],
  timeoutMs: number,
  stdin: 'pipe' | 'ignore' = 'ignore',
  env: Record<string, string> = {},
): Spawned {
  const child = spawn(launcher, ['exec', command, ...args], { stdio: [stdin, 'pipe', 'pipe'], env: { ...process.env, ...env } });
  live.add(child);
  const lines: string[] = [];
  const waiters: { resolve: (l: string) => void; reject: (e: Error) => void }[] = [];
  let partial = '';
  let err = '';
  let ended = false;
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    partial += chunk;
    for (let lf = partial.indexOf('\n'); lf >= 0; lf = partial.indexOf('\n')) {
      const line = partial.slice(0, lf);
      partial = partial.slice(lf + 1);
      lines.push(line);
      waiters.shift()?.resolve(line);
    }
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    if (err.length < 64 * 1024) err += chunk;
  });
  const timer = setTimeout(() => {
    err += `\n[killed after ${timeoutMs} ms]`;
    child.kill('SIGKILL');
  }, timeoutMs);
  const exited = new Promise<number | null>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      live.delete(child);
      ended = true;
      for (const w of waiters.splice(0)) w.reject(new Error(`${command} ended: ${err.trim().slice(-500)}`));
      resolve(code);
    });
    child.on('error', (e) => {
      err += String(e);
    });
  });
  let consumed = 0;
  const nextLine = (): Promise<string> => {
    if (consumed < lines.length) return Promise.resolve(lines[consumed++] as string);
    if (ended) return Promise.reject(new Error(`${command} ended: ${err.trim().slice(-500)}`));
    consumed++;
    return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
  };
  return { child, exited, lines, stderr: () => err, nextLine, kill: () => child.kill('SIGKILL') };
}

/** Runs a child to completion and returns its last stdout line parsed as JSON. */
export async function runJson<T>(
  launcher: string,
  command: string,
  args: string[],
  timeoutMs: number,
  env: Record<string, string> = {},
): Promise<T> {
  const p = start(launcher, command, args, timeoutMs, 'ignore', env);
  const code = await p.exited;
  const last = p.lines.at(-1);
  if (last === undefined) throw new Error(`${command} ${args.join(' ')} printed nothing (exit ${code}): ${p.stderr().trim().slice(-800)}`);
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`${command} ${args.join(' ')}: bad output '${last.slice(0, 200)}' (exit ${code}): ${p.stderr().trim().slice(-800)}`);
  }
}

/**
 * Helpers shared by the interop tests: finding the real LuaSocket, running Lua (or node)
 * peers as child processes, and the byte-stream generator and checksum that both sides
 * compute identically (lua-peer.lua has the same two functions in Lua).
 *
 * Child processes and a blocking test thread: the test thread blocks inside luasocket
 * calls, so a child's stdout is only read while no such call is in progress (await
 * `line()` before the blocking work, `exit()` after it). Children print little (a port
 * line, a result line), so their output always fits in the pipe while we are blocked.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { xorshiftBlock } from '../helpers/xorshift.js';

/** The Lua interpreter to use (override with LUA=...). */
export const LUA = process.env.LUA ?? 'lua5.4';

/** The repository's test/interop/ directory (Lua scripts and JSON are not compiled). */
export const interopDir = fileURLToPath(new URL('../../../test/interop/', import.meta.url));

/** This directory inside dist/ (compiled helpers such as neutral-peer.js). */
export const distDir = fileURLToPath(new URL('./', import.meta.url));

export type LuaStatus = { ok: true } | { ok: false; reason: string };

let cached: LuaStatus | null = null;

/** Whether `lua5.4` with LuaSocket and dkjson can run here. */
export function luaStatus(): LuaStatus {
  if (cached) return cached;
  const r = spawnSync(LUA, ['-e', 'require"socket" require"dkjson"'], { encoding: 'utf8', timeout: 10000 });
  if (r.error) cached = { ok: false, reason: `${LUA} not found` };
  else if (r.status !== 0) cached = { ok: false, reason: `${LUA} cannot load "socket" and "dkjson"` };
  else cached = { ok: true };
  return cached;
}

/** The one line every interop file shows when it cannot run. */
export function skipTitle(status: LuaStatus): string {
  const why = status.ok ? '' : status.reason;
  return `interop tests skipped: ${why} (install lua5.4, lua-socket and lua-dkjson to run them)`;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A child process whose stdout is read line by line (asynchronously). */
export class Child {
  readonly proc: ChildProcess;
  private out = '';
  private err = '';
  private consumed = 0;
  private exited: Exit | null = null;
  private readonly wakers = new Set<() => void>();

  constructor(command: string, args: string[], cwd = interopDir) {
    this.proc = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout?.setEncoding('latin1');
    this.proc.stderr?.setEncoding('latin1');
    this.proc.stdout?.on('data', (d: string) => {
      this.out += d;
      this.wake();
    });
    this.proc.stderr?.on('data', (d: string) => {
      this.err += d;
    });
    this.proc.on('error', (e) => {
      this.err += String(e);
      this.exited ??= { code: null, signal: null, stdout: this.out, stderr: this.err };
      this.wake();
    });
    this.proc.on('close', (code, signal) => {
      this.exited = { code, signal, stdout: this.out, stderr: this.err };
      this.wake();
    });
  }

  /** A Lua script from test/interop/. */
  static lua(script: string, args: string[]): Child {
    return new Child(LUA, [script, ...args]);
  }

  /** A compiled node script from this directory in dist/. */
  static node(script: string, args: string[]): Child {
    return new Child(process.execPath, [fileURLToPath(new URL(script, import.meta.url)), ...args]);
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }

  /** Resolves with the first value `take` gives (an Error rejects), or rejects after `ms`. */
  private until<T>(take: () => T | Error | undefined, ms: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const v = take();
        if (v === undefined) return;
        this.wakers.delete(check);
        clearTimeout(timer);
        if (v instanceof Error) reject(v);
        else resolve(v);
      };
      const timer = setTimeout(() => {
        this.wakers.delete(check);
        reject(new Error(`${what}: nothing within ${ms} ms; stderr: ${this.err.slice(-2000)}`));
      }, ms);
      this.wakers.add(check);
      check();
    });
  }

  /** The next line of stdout (without its newline). */
  line(ms = 10000): Promise<string> {
    return this.until(
      () => {
        const nl = this.out.indexOf('\n', this.consumed);
        if (nl >= 0) {
          const l = this.out.slice(this.consumed, nl);
          this.consumed = nl + 1;
          return l;
        }
        if (this.exited) return new Error(`child exited before printing a line; stderr: ${this.err.slice(-2000)}`);
        return undefined;
      },
      ms,
      'child line',
    );
  }

  /** Waits for the process to end (kills it after `ms`). */
  async exit(ms = 20000): Promise<Exit> {
    try {
      return await this.until(() => this.exited ?? undefined, ms, 'child exit');
    } catch (e) {
      this.kill();
      throw e;
    }
  }

  /** Stops the child if it is still running (it is ours: killed by its own pid). */
  kill(): void {
    if (this.exited === null && this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }

  /** Lines printed after the ones already taken by line(). */
  rest(): string[] {
    return this.out
      .slice(this.consumed)
      .split('\n')
      .filter((l) => l.length > 0);
  }
}

// ------------------------------------------------------------------ stream generator

const BLOCK = 65536;
let baseBlock: Buffer | null = null;

/** 64 KiB of xorshift32 bytes, seed 0x12345678 (identical in lua-peer.lua). */
function base(): Buffer {
  baseBlock ??= xorshiftBlock(0x12345678, BLOCK);
  return baseBlock;
}

/** The test stream of `length` bytes: 64 KiB blocks, each starting with its index (u32 LE). */
export function generate(length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  const b = base();
  for (let off = 0, k = 0; off < length; off += BLOCK, k++) {
    const n = Math.min(BLOCK, length - off);
    b.copy(out, off, 0, n);
    const head = Buffer.alloc(4);
    head.writeUInt32LE(k);
    head.copy(out, off, 0, Math.min(4, n));
  }
  return out;
}

/**
 * FNV-1a over 32-bit little-endian words (trailing bytes count as one word each), as an
 * 8-digit hex string. Order-sensitive, so lost, duplicated or reordered data shows up.
 */
export function checksum(data: Uint8Array): string {
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let h = 0x811c9dc5;
  const words = b.length >>> 2;
  for (let i = 0; i < words; i++) h = Math.imul(h ^ b.readUInt32LE(i * 4), 16777619) >>> 0;
  for (let i = words * 4; i < b.length; i++) h = Math.imul(h ^ (b[i] as number), 16777619) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** Every byte value 0..255 in order, `times` times, alternately forward and backward. */
export function allBytes(times = 1): Buffer {
  const out = Buffer.alloc(256 * times);
  for (let k = 0; k < times; k++) for (let i = 0; i < 256; i++) out[k * 256 + i] = k % 2 === 0 ? i : 255 - i;
  return out;
}

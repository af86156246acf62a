/**
 * The differential check's TypeScript half: the interpreter of a sequence for this
 * package (diff-runner.lua is the same interpreter for the real LuaSocket), and the
 * normalisation and comparison of the two records.
 */
import * as socket from '../../src/index.js';
import { LuaError, type TcpSocket } from '../../src/index.js';
import { bytesOf, encodeBytes, isDataSpec } from './diff-data.js';

/** A socket object of any kind (tcp, udp, unixstream, unixdgram): it has a class and close(). */
interface SocketObject {
  readonly class: string;
  close(): unknown;
  setencoding?(e: 'latin1'): unknown;
}

function isSocketObject(v: unknown): v is SocketObject {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.class === 'string' && typeof o.close === 'function';
}

/** A socket path in the peer's temp directory: {"path": NAME[, "len": N]} (see README). */
interface PathSpec {
  path: string;
  len?: number;
}

function isPathSpec(v: unknown): v is PathSpec {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as PathSpec).path === 'string' && !('peer' in v);
}

function socketPath(dir: string, v: PathSpec): string {
  const p = `${dir}/${v.path}`;
  return v.len === undefined ? p : p + 'x'.repeat(Math.max(0, v.len - p.length));
}

/** One step of a sequence (see differential/README.md). */
export interface Step {
  /** A method (with "on") or a module function ("socket.connect", "tostring"). */
  call?: string;
  on?: string;
  args?: unknown[];
  /** Variable name(s) for the return values. */
  as?: string | string[];
  /** An object field to read ("class"). */
  get?: string;
  /** A neutral-peer action; the other fields are its parameters. */
  peer?: string;
  /** Expected (normalised) return values, checked on both runs. */
  expect?: unknown[];
  expectError?: string;
  /** Both runs must take between these many seconds. */
  within?: [number, number];
  /** 1-based positions of return values whose value may differ (only their type is compared). */
  vary?: number[];
  /** A returned port 0 is shown as 0, not "<port>" (to see that a socket is not bound). */
  zeroPort?: boolean;
  /**
   * On the portable engine this step answers differently, for a reason the README lists:
   * there the (normalised) result must be `ret` (or the raised `error`) instead of LuaSocket's.
   */
  portable?: { ret?: unknown[]; error?: string; why: string };
  note?: string;
  [k: string]: unknown;
}

export interface Sequence {
  name: string;
  description?: string;
  steps: Step[];
  /** The sequence checks a kernel mechanism the portable engine does not have: not run there (the reason, as the README gives it). */
  portableSkip?: string;
}

export interface RunRecord {
  i: number;
  t?: number;
  ret?: unknown[];
  error?: string;
  peer?: Record<string, unknown>;
}

export interface Run {
  peerPort: number;
  /** The neutral peer's variables: dir, unixpeer, dgrampeer, udppeer, udp6peer, udpdead. */
  vars?: Record<string, unknown>;
  records: RunRecord[];
}

const OBJ = (v: SocketObject, names: Map<object, string>) => ({ obj: v.class, var: names.get(v) ?? null });

function recordValue(v: unknown, names: Map<object, string>): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return encodeBytes(Buffer.from(v, 'latin1'));
  if (Buffer.isBuffer(v)) return encodeBytes(v);
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  if (isSocketObject(v)) return OBJ(v, names);
  if (Array.isArray(v)) return v.map((x) => recordValue(x, names));
  if (typeof v === 'function') return '<function>';
  if (typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = recordValue(x, names);
    return o;
  }
  return `<${typeof v}>`;
}

/** A blocking line-oriented control connection to the neutral peer (this package's own socket). */
class Control {
  private readonly c: TcpSocket;
  constructor(port: number) {
    const [c, err] = socket.connect('127.0.0.1', port);
    if (!c) throw new Error(`neutral peer control: ${err}`);
    c.settimeout(20);
    this.c = c.setencoding('latin1');
  }
  ask(cmd: Record<string, unknown>): Record<string, unknown> {
    const s = this.c.send(`${JSON.stringify(cmd)}\n`);
    if (s[0] === null) throw new Error(`neutral peer control: ${s[1]}`);
    const [line, err] = this.c.receive();
    if (line === null) throw new Error(`neutral peer control: ${err}`);
    return JSON.parse(line) as Record<string, unknown>;
  }
  close(): void {
    this.c.close();
  }
}

/** Runs `seq` on this package against the neutral peer at `ctlPort`/`peerPort`. */
export function runSequence(seq: Sequence, ctlPort: number, peerPort: number): Run {
  const vars = new Map<string, unknown>([['peer', peerPort]]);
  const names = new Map<object, string>();
  const opened = new Set<SocketObject>();
  const ctl = new Control(ctlPort);
  const { ok: _ok, ...peerVars } = ctl.ask({ peer: 'vars' });
  for (const [k, v] of Object.entries(peerVars)) vars.set(k, v);
  const dir = String(peerVars.dir);

  const adopt = (v: unknown) => {
    if (isSocketObject(v) && !opened.has(v)) {
      v.setencoding?.('latin1');
      opened.add(v);
    }
  };
  // A variable a failed step did not set reads as nil, as in Lua (diff-runner.lua checks
  // the names: LuaSocket's run is the one that must complete).
  const variable = (name: string): unknown => {
    if (!vars.has(name)) return null;
    return vars.get(name);
  };
  const resolve = (v: unknown): unknown => {
    if (typeof v === 'string' && v.startsWith('$')) return variable(v.slice(1));
    if (isDataSpec(v)) return bytesOf(v).toString('latin1');
    if (isPathSpec(v)) return socketPath(dir, v);
    if (Array.isArray(v)) {
      // Lua reads a list up to its first nil.
      const out: unknown[] = [];
      for (const x of v) {
        const r = resolve(x);
        if (r === null || r === undefined) break;
        out.push(r);
      }
      return out;
    }
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
    return v;
  };
  const substitute = (v: unknown): unknown => {
    if (typeof v === 'string' && v.startsWith('$')) return variable(v.slice(1));
    if (isPathSpec(v)) return socketPath(dir, v);
    if (Array.isArray(v)) return v.map(substitute);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x)]));
    return v;
  };
  const store = (as: string | string[], values: unknown[]) => {
    (typeof as === 'string' ? [as] : as).forEach((name, i) => {
      const v = values[i] ?? null;
      vars.set(name, v);
      if (isSocketObject(v)) names.set(v, name);
    });
  };
  // What Lua raises for a missing method or function (or a nil object): the runner's chunk
  // calls `o:NAME(...)` or `socket.A.B(...)`, so these are the messages a user sees.
  const luaFail = (msg: string) => () => {
    throw new LuaError(msg);
  };
  const target = (step: Step): ((...a: unknown[]) => unknown) => {
    const call = step.call as string;
    if (step.on !== undefined) {
      const obj = variable(step.on) as Record<string, unknown> | null;
      if (obj === null || typeof obj !== 'object')
        return luaFail(`attempt to index a ${obj === null ? 'nil' : typeof obj} value (local 'o')`);
      if (call === 'tostring') return () => [String(obj)];
      const m = obj[call];
      if (typeof m !== 'function') return luaFail(`attempt to call a nil value (method '${call}')`);
      return (...a) => m.apply(obj, a);
    }
    const parts = call.split('.');
    let f: unknown = { socket };
    for (const [k, part] of parts.entries()) {
      const next: unknown = (f as Record<string, unknown>)[part];
      if (next === undefined || next === null) {
        const what = k === parts.length - 1 ? 'call' : 'index';
        return luaFail(`attempt to ${what} a nil value (field '${part}')`);
      }
      f = next;
    }
    if (typeof f !== 'function') return luaFail(`attempt to call a ${typeof f} value (field '${parts[parts.length - 1]}')`);
    return f as (...a: unknown[]) => unknown;
  };

  const records: RunRecord[] = [];
  try {
    seq.steps.forEach((step, k) => {
      const i = k + 1;
      if (step.peer !== undefined) {
        records.push({ peer: ctl.ask(substitute(step) as Record<string, unknown>), i });
        return;
      }
      if (step.get !== undefined) {
        const obj = variable(step.on as string) as Record<string, unknown> | null;
        if (obj === null) records.push({ error: `attempt to index a nil value (local 'o')`, i });
        else records.push({ ret: [recordValue(obj[step.get], names)], i });
        return;
      }
      const fn = target(step);
      const args = (step.args ?? []).map(resolve);
      const t0 = performance.now();
      let out: unknown;
      let error: string | undefined;
      try {
        out = fn(...args);
      } catch (e) {
        if (!(e instanceof LuaError)) throw new Error(`step ${i} (${step.call}): ${String(e)}`);
        error = e.message;
      }
      const t = (performance.now() - t0) / 1000;
      if (error !== undefined) {
        records.push({ t, error, i });
        return;
      }
      const values = Array.isArray(out) ? (out as unknown[]) : [out];
      for (const v of values) adopt(v);
      for (const v of values) if (Array.isArray(v)) v.forEach(adopt);
      if (step.as !== undefined) store(step.as, values);
      records.push({ t, ret: values.map((v) => recordValue(v, names)), i });
    });
    ctl.ask({ peer: 'stop' });
  } finally {
    for (const s of opened) s.close();
    ctl.close();
  }
  return { peerPort, vars: peerVars, records };
}

// ------------------------------------------------------------------ normalisation

/** Where each call returns a port: its 0-based position (getsockname's is a string in 3.1.0). */
const PORT_AT: Record<string, { at: number; length: number }> = {
  getsockname: { at: 1, length: 3 },
  getpeername: { at: 1, length: 3 },
  receivefrom: { at: 2, length: 3 },
};

/**
 * A port as the record shows it: the name of the peer's port it is, or "<port>"; 0 (not
 * bound) stays 0 when the step asks (`"zeroPort": true`). Only a
 * remote port (getpeername, receivefrom) can be one of the peer's UDP ports; a local one
 * that happens to have the same number is not.
 */
function portName(p: number, run: Run, remote: boolean, zero: boolean): string | number {
  if (p === 0 && zero) return 0;
  if (p === run.peerPort) return '$peer';
  if (remote) for (const name of ['udppeer', 'udp6peer', 'udpdead']) if (run.vars?.[name] === p) return `$${name}`;
  return '<port>';
}

/** Every string under the run's temp directory, with the directory written "$dir". */
function unDir(v: unknown, dir: string | undefined): unknown {
  if (!dir) return v;
  if (typeof v === 'string') return v.startsWith(`${dir}/`) ? `$dir${v.slice(dir.length)}` : v;
  if (Array.isArray(v)) return v.map((x) => unDir(x, dir));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unDir(x, dir)]));
  return v;
}

/**
 * Removes what legitimately differs between two runs or between the implementations:
 * ports and descriptors (different each run), socket paths (a temp directory per run),
 * object addresses, an object's age, the port type of getsockname (a string in 3.1.0, a
 * number here), and the values of positions a step marks as `vary`. Error messages are
 * compared as they are (a module function names itself as Lua prints it: 'connect').
 */
export function normalise(step: Step, rec: RunRecord, run: Run): RunRecord {
  const dir = typeof run.vars?.dir === 'string' ? run.vars.dir : undefined;
  const out: RunRecord = { ...rec };
  delete out.t;
  if (out.error !== undefined) {
    out.error = unDir(out.error, dir) as string;
  }
  if (out.peer) out.peer = unDir(out.peer, dir) as Record<string, unknown>;
  if (out.ret) {
    const ret = unDir([...out.ret], dir) as unknown[];
    const port = step.call ? PORT_AT[step.call] : undefined;
    if (port && ret.length === port.length) {
      const v = ret[port.at];
      const p = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
      ret[port.at] = typeof p === 'number' ? portName(p, run, step.call !== 'getsockname', step.zeroPort === true) : p;
    }
    if (step.call === 'getfd' && typeof ret[0] === 'number' && ret[0] >= 0) ret[0] = '<fd>';
    if (step.call === 'tostring' && typeof ret[0] === 'string') ret[0] = ret[0].replace(/0x[0-9a-f]+$/, '0x…');
    if (step.call === 'getstats' && typeof ret[2] === 'number' && ret[2] >= 0) ret[2] = '<age>';
    for (const pos of step.vary ?? []) if (pos <= ret.length) ret[pos - 1] = `<${typeof ret[pos - 1]}>`;
    out.ret = ret;
  }
  return out;
}

/** Whether two durations agree within the tolerance (seconds). */
export function closeInTime(a: number, b: number): boolean {
  return Math.abs(a - b) <= 0.25 + 0.25 * Math.max(a, b);
}

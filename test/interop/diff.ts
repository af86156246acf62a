/**
 * The differential check's TypeScript half: the interpreter of a sequence for this
 * package (diff-runner.lua is the same interpreter for the real LuaSocket), and the
 * normalisation and comparison of the two records.
 */
import * as socket from '../../src/index.js';
import { LuaError, TcpSocket } from '../../src/index.js';
import { bytesOf, encodeBytes, isDataSpec } from './diff-data.js';

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
  note?: string;
  [k: string]: unknown;
}

export interface Sequence {
  name: string;
  description?: string;
  steps: Step[];
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
  records: RunRecord[];
}

const OBJ = (v: TcpSocket, names: Map<object, string>) => ({ obj: v.class, var: names.get(v) ?? null });

function recordValue(v: unknown, names: Map<object, string>): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return encodeBytes(Buffer.from(v, 'latin1'));
  if (Buffer.isBuffer(v)) return encodeBytes(v);
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  if (v instanceof TcpSocket) return OBJ(v, names);
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
  const opened = new Set<TcpSocket>();
  const ctl = new Control(ctlPort);

  const adopt = (v: unknown) => {
    if (v instanceof TcpSocket && !opened.has(v)) {
      v.setencoding('latin1');
      opened.add(v);
    }
  };
  const variable = (name: string): unknown => {
    if (!vars.has(name)) throw new Error(`unknown variable $${name}`);
    return vars.get(name);
  };
  const resolve = (v: unknown): unknown => {
    if (typeof v === 'string' && v.startsWith('$')) return variable(v.slice(1));
    if (isDataSpec(v)) return bytesOf(v).toString('latin1');
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
    if (Array.isArray(v)) return v.map(substitute);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x)]));
    return v;
  };
  const store = (as: string | string[], values: unknown[]) => {
    (typeof as === 'string' ? [as] : as).forEach((name, i) => {
      const v = values[i] ?? null;
      vars.set(name, v);
      if (v instanceof TcpSocket) names.set(v, name);
    });
  };
  const target = (step: Step): ((...a: unknown[]) => unknown) => {
    const call = step.call as string;
    if (step.on !== undefined) {
      const obj = variable(step.on) as Record<string, unknown>;
      if (call === 'tostring') return () => [String(obj)];
      const m = obj[call];
      if (typeof m !== 'function') throw new Error(`no method ${call} on $${step.on}`);
      return (...a) => m.apply(obj, a);
    }
    let f: unknown = { socket };
    for (const part of call.split('.')) f = (f as Record<string, unknown>)[part];
    if (typeof f !== 'function') throw new Error(`no function ${call}`);
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
        const obj = variable(step.on as string) as Record<string, unknown>;
        records.push({ ret: [recordValue(obj[step.get], names)], i });
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
  return { peerPort, records };
}

// ------------------------------------------------------------------ normalisation

const NAME_CALLS = new Set(['getsockname', 'getpeername']);

/**
 * Removes what legitimately differs between two runs or between the implementations:
 * ports and descriptors (different each run), object addresses, an object's age, the
 * port type of getsockname (a string in 3.1.0, a number here), the spelling of a module
 * function's name in argument errors ('connect' vs 'socket.connect'), and the values of
 * positions a step marks as `vary`.
 */
export function normalise(step: Step, rec: RunRecord, peerPort: number): RunRecord {
  const out: RunRecord = { ...rec };
  delete out.t;
  if (out.error !== undefined) out.error = out.error.replace(/to '(?:socket\.)?(?:core\.)?(?:dns\.)?([\w]+)'/, "to '$1'");
  if (out.ret) {
    const ret = [...out.ret];
    if (step.call && NAME_CALLS.has(step.call) && ret.length === 3) {
      const p = typeof ret[1] === 'string' && /^\d+$/.test(ret[1]) ? Number(ret[1]) : ret[1];
      ret[1] = typeof p === 'number' ? (p === peerPort ? '$peer' : '<port>') : p;
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

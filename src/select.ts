/**
 * socket.select (LuaSocket's select.c, spec 7.1). Readiness is read from shared memory
 * (the worker publishes data, EOF, pending connections and settled connects there), so
 * select never calls select(2) and has no FD_SETSIZE limit. Results are arrays in
 * LuaSocket's order: dirty objects first (recvt order, duplicates kept), then ready
 * objects by ascending descriptor; `list.indexOf(obj) + 1` is LuaSocket's `t[obj]`.
 */
import { ABSENT, arg, argError, checkNumber, LuaError, luaTypeName } from './args.js';
import { type Engine, WorkerDeadError } from './engine.js';
import { native } from './native.js';
import { SETTLE_MS } from './protocol.js';
import { TcpSocket } from './tcp.js';

/** Anything select accepts: our sockets, or objects with LuaSocket's getfd/dirty methods. */
export interface Selectable {
  getfd(): unknown;
  dirty?: () => unknown;
}

export type SelectResult<T> = [T[], T[]] | [T[], T[], 'timeout'];

interface Entry<T> {
  v: T;
  fd: number;
}

function readSet<T>(t: unknown, n: number): Entry<T>[] {
  if (t === ABSENT || t === null || t === undefined) return [];
  if (typeof t !== 'object' || t instanceof Uint8Array || typeof (t as Selectable).getfd === 'function') {
    throw argError(n, 'socket.select', `table expected, got ${luaTypeName(t)}`);
  }
  const list = t as ArrayLike<unknown>;
  const out: Entry<T>[] = [];
  for (let i = 0; ; i++) {
    const v = list[i];
    if (v === null || v === undefined) break;
    if (typeof v === 'number' || typeof v === 'boolean') throw new LuaError(`attempt to index a ${typeof v} value`);
    if (typeof v !== 'object' && typeof v !== 'function') continue;
    const getfd = (v as Partial<Selectable>).getfd;
    if (typeof getfd !== 'function') continue;
    const r: unknown = getfd.call(v);
    const fd = Array.isArray(r) ? r[0] : r;
    if (typeof fd === 'number' && fd >= 0) out.push({ v: v as T, fd });
  }
  return out;
}

function isDirty(v: unknown): boolean {
  const d = (v as Partial<Selectable>).dirty;
  if (typeof d !== 'function') return false;
  const r: unknown = d.call(v);
  const b = Array.isArray(r) ? r[0] : r;
  return b !== null && b !== undefined && b !== false;
}

/** One representative per descriptor (the later element wins), in ascending fd order. */
function byFd<T>(entries: Entry<T>[]): Entry<T>[] {
  const m = new Map<number, Entry<T>>();
  for (const e of entries) m.set(e.fd, e);
  return [...m.values()].sort((a, b) => a.fd - b.fd);
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** How often select looks again at descriptors of objects that are not this package's. */
const FOREIGN_POLL_MS = 2;
/** select(…, 0) over connections the worker reads: how long bytes may be in flight unseen. */
const READ_GRACE_MS = 2;

export function select<T extends Selectable>(recvt?: T[] | null, sendt?: T[] | null, timeout?: number | null): SelectResult<T>;
export function select<T extends Selectable>(...args: unknown[]): SelectResult<T> {
  const reads = readSet<T>(arg(args, 0), 1);
  const writes = readSet<T>(arg(args, 1), 2);
  const t = arg(args, 2);
  const seconds = t === ABSENT || t === null || t === undefined ? -1 : checkNumber(t, 3, 'socket.select');

  const dirty: T[] = [];
  const pollReads: Entry<T>[] = [];
  for (const e of reads) {
    if (isDirty(e.v)) dirty.push(e.v);
    else pollReads.push(e);
  }
  const rset = byFd(pollReads.filter((e) => !dirty.includes(e.v)));
  const wset = byFd(writes);

  let eng: Engine | null = null;
  const state = (v: T) => {
    if (!(v instanceof TcpSocket)) return null;
    const s = v.selectState();
    eng ??= s.engine;
    return s;
  };
  // Objects that are not this package's sockets (LuaSocket allows any object with getfd)
  // are polled on their descriptor.
  const foreign = (e: Entry<T>, events: number) =>
    !(e.v instanceof TcpSocket) && native !== null && (native.poll(e.fd, events, 0) & (events | 8 | 16)) !== 0;
  // Listening servers (kernel accept queue) and foreign objects have no wake word.
  const hasForeign = [...rset, ...wset].some((e) => !(e.v instanceof TcpSocket) || e.v.wakeEngine() === null);
  const ready = (): [T[], T[]] => [
    rset.filter((e) => state(e.v)?.readable === true || foreign(e, 1)).map((e) => e.v),
    wset.filter((e) => state(e.v)?.writable === true || foreign(e, 4)).map((e) => e.v),
  ];

  let [r, w] = ready();
  if (dirty.length > 0 || r.length > 0 || w.length > 0) return [[...dirty, ...r], w];
  if (seconds === 0) {
    // LuaSocket asks the kernel: if it already has an event the worker has not
    // published yet, give the worker a moment to catch up.
    // Between the worker's read(2) and its publishing the bytes there is a short window in
    // which neither the kernel nor the ring shows them: a connection the worker reads gets a
    // brief grace too.
    const ahead = rset.find((x) => x.v instanceof TcpSocket && x.v.kernelAhead());
    const pick = ahead ?? rset.find((x) => x.v instanceof TcpSocket && x.v.wakeEngine() !== null);
    const eAhead = pick ? (pick.v as unknown as TcpSocket).wakeEngine() : null;
    if (eAhead && !eAhead.isDead()) {
      eAhead.waitUntil(
        () => {
          [r, w] = ready();
          return r.length > 0 || w.length > 0;
        },
        performance.now() + (ahead ? SETTLE_MS : READ_GRACE_MS),
      );
      if (r.length > 0 || w.length > 0) return [r, w];
    }
    return [[], [], 'timeout'];
  }
  const deadline = seconds < 0 ? Number.POSITIVE_INFINITY : performance.now() + seconds * 1000;
  const e = eng as Engine | null;
  if (hasForeign) {
    // Descriptors without a wake word: look again every few milliseconds (a wake word
    // event ends the slice at once).
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) return [[], [], 'timeout'];
      const slice = Math.min(left, FOREIGN_POLL_MS);
      if (e) {
        try {
          e.waitUntil(() => false, performance.now() + slice);
        } catch (err) {
          if (!(err instanceof WorkerDeadError)) throw err;
          Atomics.wait(sleeper, 0, 0, slice);
        }
      } else Atomics.wait(sleeper, 0, 0, slice);
      [r, w] = ready();
      if (r.length > 0 || w.length > 0) return [r, w];
    }
  }
  if (e === null) {
    // Nothing this thread's worker could make ready: just sleep out the timeout.
    if (deadline === Number.POSITIVE_INFINITY) for (;;) Atomics.wait(sleeper, 0, 0);
    const left = deadline - performance.now();
    if (left > 0) Atomics.wait(sleeper, 0, 0, left);
    return [[], [], 'timeout'];
  }
  try {
    e.waitUntil(() => {
      [r, w] = ready();
      return r.length > 0 || w.length > 0;
    }, deadline);
  } catch (err) {
    // The worker died: ready() moves its sockets to a fresh one; wait on with what is left.
    if (!(err instanceof WorkerDeadError)) throw err;
    [r, w] = ready();
    if (r.length === 0 && w.length === 0) {
      const left = deadline === Number.POSITIVE_INFINITY ? null : Math.max(0, deadline - performance.now()) / 1000;
      return select(arg(args, 0) as T[] | null, arg(args, 1) as T[] | null, left);
    }
  }
  if (r.length > 0 || w.length > 0) return [r, w];
  return [[], [], 'timeout'];
}

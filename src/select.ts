/**
 * socket.select (LuaSocket's select.c, spec 7.1). Readiness comes from each object's engine
 * handle (shared memory the worker publishes, or the kernel where only it can tell), so
 * select never calls select(2) and has no FD_SETSIZE limit. Results are arrays in
 * LuaSocket's order: dirty objects first (recvt order, duplicates kept), then ready
 * objects by ascending descriptor; `list.indexOf(obj) + 1` is LuaSocket's `t[obj]`.
 */
import { ABSENT, arg, argError, checkNumber, LuaError, luaTypeName } from './args.js';
import { engine } from './engine/index.js';
import type { Readiness } from './engine/types.js';
import { WorkerDeadError, type WorkerLink } from './engine/worker-link.js';
import { SocketObject } from './object.js';
import { SETTLE_MS } from './protocol.js';

/** Anything select accepts: our sockets, or objects with LuaSocket's getfd/dirty methods. */
export interface Selectable {
  getfd(): unknown;
  dirty?: () => unknown;
}

export type SelectResult<T> = [T[], T[]] | [T[], T[], 'timeout'];

interface Entry<T> {
  v: T;
  fd: number;
  /** Where it is listed among ready objects (its descriptor, for objects not of this package). */
  order: number;
}

function fdOf(v: object): number {
  const getfd = (v as Partial<Selectable>).getfd;
  if (typeof getfd !== 'function') return -1;
  const r: unknown = getfd.call(v);
  const fd = Array.isArray(r) ? r[0] : r;
  return typeof fd === 'number' ? fd : -1;
}

function readSet<T>(t: unknown, n: number): Entry<T>[] {
  if (t === ABSENT || t === null || t === undefined) return [];
  if (typeof t !== 'object' || t instanceof Uint8Array || typeof (t as Selectable).getfd === 'function') {
    throw argError(n, 'select', `table expected, got ${luaTypeName(t)}`);
  }
  const list = t as ArrayLike<unknown>;
  const out: Entry<T>[] = [];
  for (let i = 0; ; i++) {
    const v = list[i];
    if (v === null || v === undefined) break;
    if (typeof v === 'number' || typeof v === 'boolean') throw new LuaError(`attempt to index a ${typeof v} value`);
    if (typeof v !== 'object' && typeof v !== 'function') continue;
    // Our objects take part while they have a socket, even one whose descriptor the engine cannot show.
    if (v instanceof SocketObject) {
      const r = v.readiness();
      if (r !== null) out.push({ v: v as T, fd: fdOf(v), order: r.order });
      continue;
    }
    const fd = fdOf(v);
    if (fd >= 0) out.push({ v: v as T, fd, order: fd });
  }
  return out;
}

function isDirty(v: unknown): boolean {
  if (v instanceof SocketObject) return v.selectDirty();
  const d = (v as Partial<Selectable>).dirty;
  if (typeof d !== 'function') return false;
  const r: unknown = d.call(v);
  const b = Array.isArray(r) ? r[0] : r;
  return b !== null && b !== undefined && b !== false;
}

/** One representative per descriptor (the later element wins), in LuaSocket's order (ascending descriptor). */
function byFd<T>(entries: Entry<T>[]): Entry<T>[] {
  const m = new Map<unknown, Entry<T>>();
  for (const e of entries) m.set(e.fd >= 0 ? e.fd : e.v, e);
  return [...m.values()].sort((a, b) => a.order - b.order);
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** How often select looks again at objects whose readiness only polling can tell. */
const POLL_SLICE_MS = 2;
/** select(…, 0) over connections the worker reads: how long bytes may be in flight unseen. */
const READ_GRACE_MS = 2;

export function select<T extends Selectable>(recvt?: T[] | null, sendt?: T[] | null, timeout?: number | null): SelectResult<T>;
export function select<T extends Selectable>(...args: unknown[]): SelectResult<T> {
  const reads = readSet<T>(arg(args, 0), 1);
  const writes = readSet<T>(arg(args, 1), 2);
  const t = arg(args, 2);
  const seconds = t === ABSENT || t === null || t === undefined ? -1 : checkNumber(t, 3, 'select');

  const dirty: T[] = [];
  const pollReads: Entry<T>[] = [];
  for (const e of reads) {
    if (isDirty(e.v)) dirty.push(e.v);
    else pollReads.push(e);
  }
  const rset = byFd(pollReads.filter((e) => !dirty.includes(e.v)));
  const wset = byFd(writes);

  // The link to wait on (any live one among the objects), and whether some readiness
  // has no wake word at all (listeners, connections not read yet, foreign objects).
  let link: WorkerLink | null = null;
  let polled = false;
  const state = (v: T): Readiness | null => {
    if (!(v instanceof SocketObject)) return null;
    const s = v.readiness();
    if (s?.link && !s.link.isDead()) link ??= s.link;
    else polled = true;
    return s;
  };
  const foreign = (e: Entry<T>, events: 1 | 4) => !(e.v instanceof SocketObject) && engine.pollFd(e.fd, events);
  const ready = (): [T[], T[]] => [
    rset.filter((e) => state(e.v)?.readable === true || foreign(e, 1)).map((e) => e.v),
    wset.filter((e) => state(e.v)?.writable === true || foreign(e, 4)).map((e) => e.v),
  ];

  let [r, w] = ready();
  if (dirty.length > 0 || r.length > 0 || w.length > 0) return [[...dirty, ...r], w];
  polled ||= [...rset, ...wset].some((e) => !(e.v instanceof SocketObject));
  const anyReady = () => {
    [r, w] = ready();
    return r.length > 0 || w.length > 0;
  };
  if (seconds === 0) {
    // LuaSocket asks the kernel: if it already has an event the worker has not published
    // yet, give the worker a moment to catch up. Between the worker's read(2) and its
    // publishing the bytes, neither the kernel nor the ring shows them: a connection the
    // worker reads gets a brief grace too.
    const ahead = rset.some((x) => x.v instanceof SocketObject && x.v.kernelAhead());
    const l = link as WorkerLink | null;
    if (l?.waitUntil(anyReady, performance.now() + (ahead ? SETTLE_MS : READ_GRACE_MS))) return [r, w];
    return [[], [], 'timeout'];
  }
  const deadline = seconds < 0 ? Number.POSITIVE_INFINITY : performance.now() + seconds * 1000;
  try {
    if (link === null && waitKernel(rset, wset, anyReady, deadline)) return [r, w];
    if (waitReady(link, polled, anyReady, deadline)) return [r, w];
  } catch (err) {
    // The worker died: readiness moves its sockets to a fresh one; wait on with what is left.
    if (!(err instanceof WorkerDeadError)) throw err;
    if (anyReady()) return [r, w];
    const left = deadline === Number.POSITIVE_INFINITY ? null : Math.max(0, deadline - performance.now()) / 1000;
    return select(arg(args, 0) as T[] | null, arg(args, 1) as T[] | null, left);
  }
  return [[], [], 'timeout'];
}

/** Longest single wait in poll(2): process.exit never waits on a system call for longer. */
const KERNEL_SLICE_MS = 100;

/**
 * When only the kernel can tell (no object behind a wake word: datagram sockets,
 * listeners, connections not read yet, descriptors of other libraries), waits in poll(2)
 * on all of them, as LuaSocket's select does. False when that cannot be done (an object
 * without a descriptor, or an engine without poll): waitReady then looks periodically.
 */
function waitKernel<T>(rset: Entry<T>[], wset: Entry<T>[], anyReady: () => boolean, deadline: number): boolean {
  const all = [...rset, ...wset];
  if (all.length === 0 || all.some((e) => e.fd < 0)) return false;
  const fds = Int32Array.from(all, (e) => e.fd);
  const events = Int32Array.from(all, (_, i) => (i < rset.length ? 1 : 4));
  for (;;) {
    const now = performance.now();
    const left = Math.floor(deadline - now);
    if (left <= 0) return anyReady();
    if (!engine.waitFds(fds, events, Math.min(left, KERNEL_SLICE_MS))) return false;
    if (anyReady()) return true;
    // The kernel reports something no object counts as ready (an invalid descriptor):
    // looking periodically instead keeps this from spinning.
    if (performance.now() - now < 1) return false;
  }
}

/**
 * Waits until `anyReady()` or `deadline`. Readiness behind a wake word is waited for on the
 * link; readiness only polling can tell is looked at again every few milliseconds (a wake
 * word event ends the slice at once).
 */
function waitReady(link: WorkerLink | null, polled: boolean, anyReady: () => boolean, deadline: number): boolean {
  if (link !== null && !polled) return link.waitUntil(anyReady, deadline);
  for (;;) {
    const left = deadline - performance.now();
    if (left <= 0) return false;
    const slice = polled ? Math.min(left, POLL_SLICE_MS) : Math.min(left, 2147483647);
    if (link !== null) link.waitUntil(() => false, performance.now() + slice);
    else Atomics.wait(sleeper, 0, 0, slice);
    if (anyReady()) return true;
  }
}

/**
 * What LuaSocket's two datagram kinds share (udp.c and unixdgram.c are near copies): the
 * receive size rule, data arguments, close / dirty / gettimeout, and
 * select's view. One datagram per call: receive(n) returns at most n bytes of the next
 * datagram and the kernel discards the rest; receive(0) consumes a datagram and returns
 * "". An object without a socket (never made, closed, setfd(-1)) reads as LuaSocket's
 * IO_CLOSED: receive returns "" and send 'refused'.
 */
import { totalmem } from 'node:os';
import { ABSENT, arg, argError, checkNumber, luaTypeName, numberToLuaString } from './args.js';
import type { Encoding } from './buffer.js';
import { fromBytes, sliceAs, toBytes } from './codec.js';
import type { DatagramHandle, DatagramRead, Engine, Owner, Readiness, SockAddress } from './engine/types.js';
import { WorkerDeadError } from './engine/worker-link.js';
import { type Data, type Ok, SocketObject } from './object.js';

/** LuaSocket's UDP_DATAGRAMSIZE / UNIXDGRAM_DATAGRAMSIZE: receive's default size. */
export const DATAGRAM_SIZE = 8192;

const EMPTY = Buffer.alloc(0);

let scratch = Buffer.allocUnsafe(65536);
/** Views of the first n bytes of `scratch`, by n: a datagram size repeats, a view need not be made anew. */
let views: Buffer[] = [];

/** `s` in `encoding`, written into a buffer reused by the next call (Buffer.from for large strings). */
function encodeScratch(s: string, encoding: Encoding): Buffer {
  const latin1 = encoding === 'latin1';
  // Each char is at most 3 UTF-8 bytes (a surrogate pair: 4 bytes for 2 chars).
  if (s.length * (latin1 ? 1 : 3) > scratch.length) {
    if (s.length * 3 > 1 << 20) return toBytes(s, encoding);
    scratch = Buffer.allocUnsafe(1 << 20);
    views = [];
  }
  const n = scratch.write(s, 0, latin1 ? 'latin1' : 'utf8');
  if (n > 4096) return scratch.subarray(0, n);
  let v = views[n];
  if (v === undefined) {
    v = scratch.subarray(0, n);
    views[n] = v;
  }
  return v;
}

/** (A function, so that TypeScript does not narrow `this` away.) */
function isDatagramObject(o: unknown): boolean {
  return o instanceof DatagramObject;
}

export abstract class DatagramObject<D extends Data = string> extends SocketObject<D, DatagramHandle> {
  protected readonly owner: Owner = { tm: this.tm, stats: { received: 0, sent: 0 } };

  constructor(
    protected readonly engine: Engine,
    kind: string,
    handle: DatagramHandle | null,
  ) {
    super(kind);
    this.handle = handle;
  }

  // ---------------------------------------------------------------- arguments

  /**
   * luaL_checklstring: a string, bytes, or a number as its text. A string is encoded into
   * memory the next call reuses: a datagram call hands it to the engine at once.
   */
  protected dataArg(args: ArrayLike<unknown>, i: number, fname: string): Buffer {
    const d = arg(args, i);
    if (typeof d === 'string') return encodeScratch(d, this.encoding);
    if (d instanceof Uint8Array) return toBytes(d, this.encoding);
    if (typeof d === 'number') return Buffer.from(numberToLuaString(d));
    throw argError(i + 1, fname, `string expected, got ${luaTypeName(d)}`);
  }

  /**
   * receive's size, `(size_t) luaL_optnumber(L, 2, 8192)`: a fraction is truncated; a
   * negative size (huge as a size_t) or one no allocation could hold is 'out of memory'.
   */
  protected sizeArg(args: ArrayLike<unknown>, fname: string): number | null {
    const v = arg(args, 0);
    if (v === ABSENT || v === null || v === undefined) return DATAGRAM_SIZE;
    const n = Math.trunc(checkNumber(v, 1, fname));
    return n >= 0 && n <= totalmem() ? n : null;
  }

  /** Bytes in the object's encoding (a copy for 'buffer'). */
  protected decode(b: Buffer): D {
    return fromBytes(b, this.encoding, b.buffer) as D;
  }

  /** The bytes of a receive (in memory the handle reuses at its next call), in the object's encoding. */
  protected decodeRead(r: { buf: Buffer; start: number; end: number }): D {
    return sliceAs(r.buf, r.start, r.end, this.encoding) as D;
  }

  // ---------------------------------------------------------------- receive

  /**
   * One datagram of at most `size` bytes from `h`, LuaSocket's way: an I/O error, or a
   * worker that died (the portable engine's socket went with it), is a failure.
   */
  protected read(h: DatagramHandle, size: number, wantFrom: boolean): DatagramRead {
    try {
      return h.receive(size, this.tm, wantFrom);
    } catch (e) {
      if (e instanceof WorkerDeadError) return { err: 'closed' };
      throw e;
    }
  }

  receive(size?: number | string | null): [D] | [null, string] {
    if (!isDatagramObject(this)) this.check('receive');
    // biome-ignore lint/complexity/noArguments: tells Lua's "no value" from nil without a rest array on the hot path
    const n = size === undefined && arguments.length === 0 ? DATAGRAM_SIZE : this.sizeArg(arguments, 'receive');
    if (n === null) return [null, 'out of memory'];
    this.tm.markStart();
    const h = this.socket();
    if (h === null) return [this.decode(EMPTY)];
    const r = this.read(h, n, false);
    return 'err' in r ? [null, r.err] : [this.decodeRead(r)];
  }

  /** One datagram to the connected peer (`to` null) or to `to`, with LuaSocket's results. */
  protected transmit(data: Uint8Array, to: SockAddress | null): [number] | [null, string] {
    this.tm.markStart();
    const h = this.handle;
    if (h === null || !h.open) return [null, 'refused'];
    let r: number | string;
    try {
      r = to === null ? h.send(data, this.tm) : h.sendto(data, to, this.tm);
    } catch (e) {
      if (!(e instanceof WorkerDeadError)) throw e;
      r = 'refused';
    }
    return typeof r === 'number' ? [r] : [null, r];
  }

  // ---------------------------------------------------------------- state

  close(): Ok {
    this.check('close');
    this.handle?.close();
    this.handle = null;
    return [1];
  }

  /** Always false: a datagram object has no input buffer. */
  dirty(): [false] {
    this.check('dirty');
    return [false];
  }

  gettimeout(): [number, number] {
    return this.timeouts('gettimeout');
  }

  /** Sets how received data comes back (see SocketObject); subclasses return themselves typed for it. */
  protected setEncodingTo(encoding: Encoding): void {
    this.applyEncoding(encoding);
  }

  // ---------------------------------------------------------------- select support

  /** @internal */
  override readiness(): Readiness | null {
    return this.socket()?.readiness() ?? null;
  }

  /** @internal for select(…, 0): a datagram the kernel holds that the worker has not moved yet. */
  override kernelAhead(): boolean {
    return this.socket()?.kernelAhead() ?? false;
  }

  protected isDirty(): boolean {
    return false;
  }
}

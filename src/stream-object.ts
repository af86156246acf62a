/**
 * The methods every stream object shares (LuaSocket's buffer.c meth_* and the common
 * socket methods): receive with its patterns, prefixes and partials, send with string.sub
 * ranges, statistics, dirty, shutdown and close. TCP and unix streams extend
 * this; the engine handle underneath does the I/O.
 */
import {
  ABSENT,
  argError,
  checkNumber,
  checkOption,
  checkString,
  arg as getArg,
  luaToNumber,
  luaTypeName,
  numberToLuaString,
} from './args.js';
import type { Received, Stream } from './buffer.js';
import { fromBytes, sendBytes, sliceAs, toBytes } from './codec.js';
import type { DataHandle, Engine, Owner, Stats } from './engine/types.js';
import { WorkerDeadError } from './engine/worker-link.js';
import { errText } from './errors.js';
import { type Data, type Fail, type Ok, SocketObject } from './object.js';
import type { Timeout } from './timeout.js';

export type Pattern = '*l' | '*a' | number | string;
export type ReceiveResult<D extends Data> = [D] | [null, string, D];
export type SendResult = [number] | [null, string, number];
export type StatsResult = [number, number, number];

const EMPTY = Buffer.alloc(0);

export abstract class StreamObject<D extends Data = string, H extends DataHandle = DataHandle> extends SocketObject<D, H> {
  /** The receive side, once started; it outlives close() so buffered input stays readable. */
  protected stream: Stream | null = null;
  /** shutdown('receive'/'both') was called: once the buffer is empty, reads see the end of the stream. */
  #readShut = false;
  protected readonly stats: Stats = { received: 0, sent: 0 };
  /** What the engine handle shares with this object (engine/types.ts Owner). */
  protected readonly owner: Owner = { tm: this.tm, stats: this.stats };
  #birth = performance.now();

  constructor(
    protected readonly engine: Engine,
    kind: string,
    handle: H | null,
  ) {
    super(kind);
    this.handle = handle;
  }

  /** The stream to read from, started on first use (null: nothing to read from, 'closed'). */
  protected input(): Stream | null {
    if (this.stream) return this.stream;
    const s = this.handle?.reader(this.tm) ?? null;
    if (s && this.#readShut) s.readShut = true;
    this.stream = s;
    return s;
  }

  // ---------------------------------------------------------------- receive

  /**
   * receive([pattern [, prefix [, maxsize]]]). `maxsize` is upstream LuaSocket's bound on
   * what one '*l' or '*a' call may accumulate (PR #463, after 3.1.0): past it the call
   * fails with 'oversized' and the partial holds exactly `maxsize` bytes.
   */
  receive(pattern?: Pattern | null, prefix?: string | Uint8Array | null, maxsize?: number | null): ReceiveResult<D> {
    // The common call, receive() / receive('*l') on a client, goes straight to the line reader.
    if ((pattern === '*l' || pattern === undefined) && prefix === undefined && maxsize === undefined && this.kind === 'client') {
      const s = this.input();
      if (s !== null) {
        this.tm.markStart();
        const end = s.lineEnd();
        if (end >= 0) {
          const data = sliceAs(s.rx, s.windowStart(), end, this.encoding) as D;
          s.consume(end - s.windowStart() + 1);
          return [data];
        }
        return this.finish(s, s.receiveLine(EMPTY));
      }
    }
    // biome-ignore lint/complexity/noArguments: tells Lua's "no value" from nil without a rest array on the hot path
    return this.receiveChecked(arguments.length, pattern, prefix, maxsize);
  }

  protected decode(b: Buffer, shared: ArrayBufferLike | null): D {
    return fromBytes(b, this.encoding, shared) as D;
  }

  /** Decodes a result (which may still view the ring), then lets the worker reuse the space. */
  private finish(s: Stream, r: Received): ReceiveResult<D> {
    const out: ReceiveResult<D> = r.ok
      ? [this.decode(r.data, s.sab)]
      : [null, this.errorText(r.err, 'receive'), this.decode(r.partial, s.sab)];
    s.release();
    return out;
  }

  private receiveChecked(argc: number, pat: unknown, p: unknown, ms: unknown): ReceiveResult<D> {
    this.check('receive', 'client');
    let prefix: Buffer;
    if (p === null || p === undefined) prefix = EMPTY;
    else if (p instanceof Uint8Array) prefix = toBytes(p, this.encoding);
    else prefix = toBytes(checkString(p, 2, 'receive'), this.encoding);
    let max = Number.POSITIVE_INFINITY;
    if (ms !== null && ms !== undefined) {
      // Checked before any I/O, so a bad call leaves the stream untouched.
      max = Math.trunc(checkNumber(ms, 3, 'receive'));
      if (!(max >= 1)) throw argError(3, 'receive', 'maxsize must be at least 1');
      if (prefix.length >= max) throw argError(2, 'receive', 'prefix must be shorter than maxsize');
      const n = typeof pat === 'number' || typeof pat === 'string' ? luaToNumber(pat) : null;
      if (n !== null && n > max) throw argError(1, 'receive', 'pattern larger than maxsize');
    }
    this.tm.markStart();
    const num = typeof pat === 'number' ? pat : typeof pat === 'string' && pat[0] !== '*' ? luaToNumber(pat) : null;
    let mode: 'line' | 'all' | 'count';
    let wanted = 0;
    if (num !== null) {
      if (!(num >= 0)) throw argError(1, 'receive', 'invalid receive pattern');
      mode = 'count';
      wanted = Math.trunc(num);
    } else {
      const s = pat === null || pat === undefined ? '*l' : checkString(argc === 0 ? ABSENT : pat, 1, 'receive');
      if (s.startsWith('*l')) mode = 'line';
      else if (s.startsWith('*a')) mode = 'all';
      else throw argError(1, 'receive', 'invalid receive pattern');
    }
    try {
      const s = this.input();
      if (!s) {
        if (mode === 'count' && prefix.length > 0 && prefix.length >= wanted) return [this.decode(prefix, null)];
        return [null, 'closed', this.decode(prefix, null)];
      }
      return this.finish(
        s,
        mode === 'line' ? s.receiveLine(prefix, max) : mode === 'all' ? s.receiveAll(prefix, max) : s.receiveCount(wanted, prefix),
      );
    } catch (e) {
      if (e instanceof WorkerDeadError) return [null, 'closed', this.decode(prefix, null)];
      throw e;
    }
  }

  // ---------------------------------------------------------------- send

  send(data: string | Uint8Array | number, i?: number | string | null, j?: number | string | null): SendResult {
    this.check('send', 'client');
    const d: unknown = data;
    let bytes: Buffer;
    if (typeof d === 'string' || d instanceof Uint8Array) bytes = sendBytes(d, this.encoding);
    else if (typeof d === 'number') bytes = Buffer.from(numberToLuaString(d));
    // biome-ignore lint/complexity/noArguments: tells Lua's "no value" from nil without a rest array on the hot path
    else throw argError(1, 'send', `string expected, got ${arguments.length === 0 ? 'no value' : luaTypeName(d)}`);
    const size = bytes.length;
    let start = i === undefined || i === null ? 1 : toCLong(checkNumber(i, 2, 'send'));
    let end = j === undefined || j === null ? -1 : toCLong(checkNumber(j, 3, 'send'));
    this.tm.markStart();
    if (start < 0) start = size + start + 1;
    if (end < 0) end = size + end + 1;
    if (start < 1) start = 1;
    if (end > size) end = size;
    if (start > end) return [start - 1];
    const h = this.handle;
    if (h === null) return [null, 'closed', start - 1];
    // A pending error (the peer reset) is taken by the first call that meets it, as in the kernel.
    const pending = this.stream?.takeError() ?? 0;
    if (pending) return [null, this.errorText(pending, 'send'), start - 1];
    let sent: number;
    let err: number;
    try {
      [sent, err] = h.send(start === 1 && end === size ? bytes : bytes.subarray(start - 1, end), this.tm);
    } catch (e) {
      if (!(e instanceof WorkerDeadError)) throw e;
      return [null, 'closed', start - 1];
    }
    this.stats.sent += sent;
    if (err) return [null, this.errorText(err, 'send'), start - 1 + sent];
    return [start - 1 + sent];
  }

  // ---------------------------------------------------------------- state

  close(): Ok {
    this.check('close');
    this.handle?.close();
    this.handle = null;
    return [1];
  }

  dirty(): [boolean] {
    this.check('dirty');
    return [this.isDirty()];
  }

  protected isDirty(): boolean {
    return this.kind === 'client' && this.stream !== null && this.stream.dirty();
  }

  /**
   * What accept does once the listener is checked, for TCP and unix alike: `client`, a fresh
   * client object of the listener's class, gets `listener`'s next connection; a worker that
   * died during the wait reads as 'closed'.
   */
  protected acceptInto<C extends StreamObject<D, H>>(listener: { accept(tm: Timeout, owner: Owner): H | string }, client: C): [C] | Fail {
    client.encoding = this.encoding;
    let r: H | string;
    try {
      r = listener.accept(this.tm, client.owner);
    } catch (e) {
      if (!(e instanceof WorkerDeadError)) throw e;
      r = 'closed';
    }
    if (typeof r === 'string') return [null, r];
    client.handle = r;
    return [client];
  }

  /** LuaSocket's text for an ErrCode a data call ended with (TLS objects say 'wantread'/'wantwrite'). */
  protected errorText(code: number, _op: 'receive' | 'send'): string {
    return errText(code);
  }

  getstats(): StatsResult {
    this.check('getstats', 'client');
    return [this.stats.received, this.stats.sent, (performance.now() - this.#birth) / 1000];
  }

  setstats(received?: number | null, sent?: number | null, age?: number | null): Ok;
  setstats(...args: unknown[]): Ok {
    this.check('setstats', 'client');
    const r = getArg(args, 0);
    const s = getArg(args, 1);
    if (r !== ABSENT && r !== null && r !== undefined) this.stats.received = Math.trunc(checkNumber(r, 1, 'setstats'));
    if (s !== ABSENT && s !== null && s !== undefined) this.stats.sent = Math.trunc(checkNumber(s, 2, 'setstats'));
    const age = luaToNumber(getArg(args, 2));
    if (age !== null) this.#birth = performance.now() - age * 1000;
    return [1];
  }

  shutdown(how?: 'both' | 'send' | 'receive'): Ok;
  shutdown(...args: unknown[]): Ok {
    this.check('shutdown', 'client');
    const how = checkOption(getArg(args, 0), 1, 'shutdown', ['both', 'send', 'receive'] as const, 'both');
    this.handle?.shutdown(how);
    // Reads go on with what is queued, then see the end; what arrives later is still read.
    if (how !== 'send') {
      this.#readShut = true;
      if (this.stream) this.stream.readShut = true;
    }
    return [1];
  }
}

/** C's conversion of a double to long, as toCInt's (object.ts) to int. */
function toCLong(x: number): number {
  return Number.isFinite(x) && Math.abs(x) < 2 ** 63 ? Math.trunc(x) : -(2 ** 63);
}

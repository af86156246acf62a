/**
 * The TCP object (LuaSocket's tcp.c): one class whose kind moves master -> client or
 * master -> server, the method-per-kind rules of spec 2.2, and every method's argument
 * checks and result shapes.
 *
 * Descriptors: the caller keeps its own descriptor of each OS socket (created or dup'ed
 * through the native helper) for control calls that need no I/O (getsockname,
 * getpeername, options, shutdown, getfd). The I/O worker owns a second descriptor of the
 * same socket for the actual traffic. So a socket the worker has already torn down (peer
 * reset) still answers like the kernel does, and a descriptor number never goes stale.
 */
import { constants as osConstants } from 'node:os';
import {
  ABSENT,
  arg,
  argError,
  checkNumber,
  checkOption,
  checkString,
  LuaError,
  luaToNumber,
  luaTypeName,
  numberToLuaString,
  optNumber,
} from './args.js';
import { type Encoding, type Received, Stream, sendOn, waitReadable, waitWritable } from './buffer.js';
import { type Engine, engine, WorkerDeadError } from './engine.js';
import { errnoText, errText } from './errors.js';
import { type Candidate, familyName, requireNative, resolve } from './inet.js';
import { type NativeFamily, type NativeGuard, native } from './native.js';
import { type GetResult, getOption, type OptionValue, type SetResult, setOption } from './options.js';
import { Layout } from './protocol.js';
import { dupReclaiming, reclaimDescriptors } from './reclaim.js';
import { Timeout } from './timeout.js';

export type Kind = 'master' | 'client' | 'server';

/** What select needs to know of an object (see also wakeEngine()). */
export interface Readiness {
  dirty: boolean;
  readable: boolean;
  writable: boolean;
  engine: Engine | null;
}
export type Pattern = '*l' | '*a' | number | string;
export type Data = string | Buffer;

/** Results, as arrays of Lua return values (nil = null). */
export type Ok = [1];
export type Fail = [null, string];
export type ReceiveResult<D extends Data> = [D] | [null, string, D];
export type SendResult = [number] | [null, string, number];
export type NameResult = [string, number, 'inet' | 'inet6' | 'unspec'] | [null, string];
export type StatsResult = [number, number, number];

type ObjectFamily = 0 | NativeFamily;

let objectCount = 0;

/** The LuaSocket TCP object. `D` is the type received data comes back as. */
export class TcpSocket<D extends Data = string> {
  #kind: Kind;
  #fd = -1;
  #family: ObjectFamily;
  #stream: Stream | null = null;
  #eng: Engine | null = null;
  readonly #tm = new Timeout();
  #birth = performance.now();
  #stats = { received: 0, sent: 0 };
  #encoding: Encoding = 'utf8';
  readonly #addr: string;

  /** Closes the OS socket if this object is garbage-collected unclosed, as LuaSocket does. */
  #guard: NativeGuard | null = null;

  /** @internal use socket.tcp(), tcp4(), tcp6(), connect() or bind(). */
  constructor(kind: Kind, family: ObjectFamily, fd: number) {
    this.#kind = kind;
    this.#family = family;
    this.#fd = fd;
    objectCount += 1;
    this.#addr = `0x${(0x55d0c0000000 + objectCount * 0x40).toString(16)}`;
    this.#rearm();
  }

  /** The GC guard will close nothing (the object was closed, or is being re-pointed). */
  #disarm(): void {
    if (this.#guard) native?.disarm(this.#guard);
    this.#guard = null;
  }

  /** Points the GC guard at the current descriptor and I/O channel. */
  #rearm(): void {
    this.#disarm();
    const n = native;
    if (!n) return;
    const channel = this.#stream?.id ?? 0;
    if (this.#fd < 0 && channel === 0) return;
    this.#guard = n.guard(this.#fd, channel > 0 && this.#eng ? this.#eng.token : 0, channel);
  }

  /** LuaSocket's class name, e.g. 'tcp{client}'. */
  get class(): string {
    return `tcp{${this.#kind}}`;
  }

  toString(): string {
    return `${this.class}: ${this.#addr}`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  // ---------------------------------------------------------------- checks

  /** LuaSocket's class check: `kind` null accepts any TCP object. */
  #check(fname: string, kind: Kind | null): void {
    if (!(#kind in this)) throw new LuaError(`calling '${fname}' on bad self (${kind ? `tcp{${kind}}` : 'tcp{any}'} expected)`);
    if (kind !== null && this.#kind !== kind) throw new LuaError(`calling '${fname}' on bad self (tcp{${kind}} expected)`);
  }

  #engine(): Engine {
    this.#eng ??= engine();
    return this.#eng;
  }

  // ---------------------------------------------------------------- encoding

  /**
   * How received data comes back: 'utf8' (default) strings, 'latin1' strings with one
   * char per byte (Lua's model: every byte round-trips), or 'buffer' for Buffers.
   * String arguments (send data, prefixes) are encoded the same way ('buffer': UTF-8).
   * Returns this object, typed for the new encoding. Not part of LuaSocket.
   */
  setencoding<E extends Encoding>(encoding: E): TcpSocket<E extends 'buffer' ? Buffer : string> {
    if (encoding !== 'utf8' && encoding !== 'latin1' && encoding !== 'buffer') {
      throw argError(1, 'setencoding', `invalid option '${String(encoding)}'`);
    }
    this.#encoding = encoding;
    return this as unknown as TcpSocket<E extends 'buffer' ? Buffer : string>;
  }

  getencoding(): Encoding {
    return this.#encoding;
  }

  #bytes(v: string | Uint8Array): Buffer {
    if (typeof v !== 'string') return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    return Buffer.from(v, this.#encoding === 'latin1' ? 'latin1' : 'utf8');
  }

  #decode(b: Buffer, sab: SharedArrayBuffer | null): D {
    if (this.#encoding === 'buffer') return (b.buffer === sab ? Buffer.from(b) : b) as D;
    if (b.length > MAX_STRING_BYTES) return Buffer.from(b) as D;
    return b.toString(this.#encoding === 'latin1' ? 'latin1' : 'utf8') as D;
  }

  // ---------------------------------------------------------------- sockets

  /** Closes the caller's descriptor and forgets the I/O side (buffered input stays). */
  #dropIo(): void {
    if (this.#stream) {
      this.#stream.detach();
      this.#engine().post({ op: 'close', id: this.#stream.id });
    }
  }

  #closeFd(): void {
    if (this.#fd >= 0) requireNative().close(this.#fd);
    this.#fd = -1;
  }

  /** A fresh OS socket of `family` (LuaSocket's inet_trysocket). Returns an error text or null. */
  #newSocket(family: NativeFamily): string | null {
    this.#dropIo();
    this.#stream = null;
    this.#closeFd();
    let fd = requireNative().socket(family);
    if ((fd === -EMFILE || fd === -ENFILE) && reclaimDescriptors()) fd = requireNative().socket(family);
    if (fd < 0) return errnoText(-fd);
    this.#fd = fd;
    this.#rearm();
    return null;
  }

  // ---------------------------------------------------------------- bind / listen

  bind(address: string, port: string | number): Ok | Fail;
  bind(...args: unknown[]): Ok | Fail {
    return this.#bind('bind', args);
  }

  #bind(fname: string, args: unknown[]): Ok | Fail {
    this.#check(fname, 'master');
    const address = checkString(arg(args, 0), 1, fname);
    const port = checkString(arg(args, 1), 2, fname);
    const err = this.trybind(address, port, this.#family);
    return err === null ? [1] : [null, err];
  }

  /** Alias of bind, as in LuaSocket. */
  setsockname(address: string, port: string | number): Ok | Fail;
  setsockname(...args: unknown[]): Ok | Fail {
    return this.#bind('setsockname', args);
  }

  /** @internal LuaSocket's inet_trybind; `hint` is the resolver family. */
  trybind(address: string, port: string, hint: ObjectFamily): string | null {
    const r = resolve(address === '*' ? null : address, port, hint, true);
    if (!r.ok) return r.err;
    let err: string | null = 'no info on address';
    let current = this.#family;
    for (const c of r.list) {
      if (current !== c.family || this.#fd < 0) {
        err = this.#newSocket(c.family);
        if (err) continue;
        current = c.family;
      }
      const errno = requireNative().bind(this.#fd, c.family, c.address, c.port);
      err = errno === 0 ? null : errnoText(errno);
      if (err === null) {
        this.#family = current;
        break;
      }
    }
    return err;
  }

  listen(backlog?: number | string | null): Ok | Fail;
  listen(...args: unknown[]): Ok | Fail {
    this.#check('listen', 'master');
    const backlog = Math.trunc(optNumber(arg(args, 0), 1, 'listen', 32));
    const n = requireNative();
    const fd = this.#fd;
    if (fd < 0) return [null, errnoText(n.constants.EBADF)];
    // The caller listens and accepts itself: the kernel's queue, with this backlog, is
    // the only accept queue, as in LuaSocket (see protocol.ts).
    const errno = n.listen(fd, backlog | 0);
    if (errno) return [null, errnoText(errno)];
    // Accepted connections need the I/O worker: start it now, not when descriptors may be short.
    this.#engine();
    this.#kind = 'server';
    return [1];
  }

  // ---------------------------------------------------------------- accept

  accept(): [TcpSocket<D>] | Fail {
    this.#check('accept', 'server');
    this.#tm.markStart();
    if (this.#fd < 0) return [null, 'closed'];
    const n = requireNative();
    let reclaimed = false;
    for (;;) {
      const c = n.accept(this.#fd);
      if (c >= 0) {
        const client = new TcpSocket<D>('client', this.#family, c);
        client.#encoding = this.#encoding;
        return [client];
      }
      const errno = -c;
      if (errno === n.constants.EAGAIN || errno === ECONNABORTED) {
        if (this.#tm.immediate || !waitReadable(this.#fd, this.#tm.waitDeadline())) return [null, 'timeout'];
        continue;
      }
      // Out of descriptors: unreachable sockets may still hold some; collect and retry once.
      if ((errno === EMFILE || errno === ENFILE) && !reclaimed && reclaimDescriptors()) {
        reclaimed = true;
        continue;
      }
      return [null, errnoText(errno)];
    }
  }

  /**
   * Hands this connection to the I/O worker, which reads it into a ring from now on. Done
   * at the first receive (or select on it), so connect/accept + close never involve the
   * worker: until then the bytes wait in the kernel, where LuaSocket keeps them too.
   */
  #startStream(): Stream | null {
    const workerFd = dupReclaiming(this.#fd);
    if (workerFd < 0) return null;
    const eng = this.#engine();
    const id = eng.newId();
    const sab = new SharedArrayBuffer(Layout.total);
    const stream = new Stream(id, sab, eng, this.#tm, this.#stats);
    stream.fd = this.#fd;
    stream.onMigrate = (fresh) => {
      this.#eng = fresh;
      this.#rearm();
    };
    this.#stream = stream;
    eng.post({ op: 'adopt', id, sab, fd: workerFd });
    this.#rearm();
    return stream;
  }

  // ---------------------------------------------------------------- connect

  connect(address: string, port: string | number): Ok | Fail;
  connect(...args: unknown[]): Ok | Fail {
    return this.#connect('connect', args);
  }

  #connect(fname: string, args: unknown[]): Ok | Fail {
    this.#check(fname, null);
    const address = checkString(arg(args, 0), 1, fname);
    const port = checkString(arg(args, 1), 2, fname);
    return this.tryconnect(address, port);
  }

  /** Alias of connect, as in LuaSocket. */
  setpeername(address: string, port: string | number): Ok | Fail;
  setpeername(...args: unknown[]): Ok | Fail {
    return this.#connect('setpeername', args);
  }

  /** @internal LuaSocket's meth_connect after the argument checks. */
  tryconnect(address: string, port: string): Ok | Fail {
    try {
      return this.#tryconnect(address, port);
    } catch (e) {
      if (e instanceof WorkerDeadError) return [null, 'closed'];
      throw e;
    } finally {
      // The class changes whatever the outcome, so a pending connect can be polled.
      this.#kind = 'client';
    }
  }

  /**
   * LuaSocket's inet_tryconnect. connect(2) is issued on the caller's own descriptor, so
   * a repeated connect gets the kernel's own answer for the socket's state (spec 6.6:
   * in progress, confirmed, already connected, the pending error, closed).
   */
  #tryconnect(address: string, port: string): Ok | Fail {
    this.#tm.markStart();
    const r = resolve(address, port, this.#family, false, this.#tm.waitDeadline());
    if (!r.ok) return [null, r.err];
    let err = 'no info on address';
    let current = this.#family;
    for (const c of r.list) {
      this.#tm.markStart();
      if (current !== c.family || this.#fd < 0) {
        const e = this.#newSocket(c.family);
        if (e) {
          err = e;
          continue;
        }
        current = c.family;
      }
      const res = this.#attempt(c);
      // Stop at success, or after the first address when not blocking (upstream #99).
      if (res === null || this.#tm.immediate) {
        this.#family = current;
        return res === null ? [1] : [null, res];
      }
      err = res;
    }
    return [null, err];
  }

  /** One connection attempt on the current socket: null on success, else the error text. */
  #attempt(c: Candidate): string | null {
    const n = requireNative();
    const errno = n.connect(this.#fd, c.family, c.address, c.port);
    if (errno === 0) return null;
    if (errno !== n.constants.EINPROGRESS) return errnoText(errno);
    if (this.#tm.immediate || !waitWritable(this.#fd, this.#tm.waitDeadline())) return 'timeout';
    // Reading the pending error consumes it, as LuaSocket's zero-length recv does.
    const e = n.getSocketError(this.#fd);
    return e === 0 ? null : errnoText(Math.abs(e));
  }

  // ---------------------------------------------------------------- close & state

  close(): Ok {
    this.#check('close', null);
    this.#disarm();
    this.#dropIo();
    this.#closeFd();
    return [1];
  }

  dirty(): [boolean] {
    this.#check('dirty', null);
    return [this.#isDirty()];
  }

  #isDirty(): boolean {
    return this.#kind === 'client' && this.#stream !== null && this.#stream.dirty();
  }

  getfd(): [number] {
    this.#check('getfd', null);
    return [this.#fd];
  }

  /** Replaces the stored descriptor without closing the old one (returns no values). */
  setfd(fd: number): [];
  setfd(...args: unknown[]): [] {
    this.#check('setfd', null);
    const fd = toCInt(checkNumber(arg(args, 0), 1, 'setfd'));
    // LuaSocket does not close the old descriptor; the adopted one is now this object's.
    this.#fd = fd < 0 ? -1 : fd;
    this.#rearm();
    return [];
  }

  getfamily(): ['inet4' | 'inet6'] {
    this.#check('getfamily', null);
    return [this.#family === 6 ? 'inet6' : 'inet4'];
  }

  #name(which: 'getsockname' | 'getpeername'): NameResult {
    this.#check(which, null);
    const n = requireNative();
    if (this.#fd < 0) return [null, errnoText(n.constants.EBADF)];
    const r = n[which](this.#fd);
    if (typeof r === 'number') return [null, errnoText(r)];
    // The family word is the object's recorded family, as in LuaSocket (spec 6.9).
    return [r[0], r[1], this.#family === 0 ? 'unspec' : familyName(this.#family)];
  }

  getsockname(): NameResult {
    return this.#name('getsockname');
  }

  getpeername(): NameResult {
    return this.#name('getpeername');
  }

  getoption(name: string): GetResult;
  getoption(...args: unknown[]): GetResult {
    this.#check('getoption', null);
    const name = checkString(arg(args, 0), 1, 'getoption');
    return getOption(this.#fd, name, errnoText);
  }

  setoption(name: string, value?: OptionValue | Record<string, unknown>): SetResult;
  setoption(...args: unknown[]): SetResult {
    this.#check('setoption', null);
    const name = checkString(arg(args, 0), 1, 'setoption');
    return setOption(this.#fd, name, arg(args, 1));
  }

  settimeout(value?: number | string | null, mode?: string | null): Ok;
  settimeout(...args: unknown[]): Ok {
    this.#check('settimeout', null);
    const t = optNumber(arg(args, 0), 1, 'settimeout', -1);
    const m = arg(args, 1);
    const mode = m === ABSENT || m === null || m === undefined ? 'b' : checkString(m, 2, 'settimeout');
    switch (mode[0]) {
      case 'b':
        this.#tm.block = t;
        break;
      case 't':
      case 'r':
        this.#tm.total = t;
        break;
      default:
        throw argError(2, 'settimeout', 'invalid timeout mode');
    }
    return [1];
  }

  gettimeout(): [number, number] {
    this.#check('gettimeout', null);
    return [this.#tm.block, this.#tm.total];
  }

  getstats(): StatsResult {
    this.#check('getstats', 'client');
    return [this.#stats.received, this.#stats.sent, (performance.now() - this.#birth) / 1000];
  }

  setstats(received?: number | null, sent?: number | null, age?: number | null): Ok;
  setstats(...args: unknown[]): Ok {
    this.#check('setstats', 'client');
    const r = arg(args, 0);
    const s = arg(args, 1);
    if (r !== ABSENT && r !== null && r !== undefined) this.#stats.received = Math.trunc(checkNumber(r, 1, 'setstats'));
    if (s !== ABSENT && s !== null && s !== undefined) this.#stats.sent = Math.trunc(checkNumber(s, 2, 'setstats'));
    const age = luaToNumber(arg(args, 2));
    if (age !== null) this.#birth = performance.now() - age * 1000;
    return [1];
  }

  shutdown(how?: 'both' | 'send' | 'receive'): Ok;
  shutdown(...args: unknown[]): Ok {
    this.#check('shutdown', 'client');
    const how = checkOption(arg(args, 0), 1, 'shutdown', ['both', 'send', 'receive'] as const, 'both');
    if (this.#fd < 0) return [1];
    if (how === 'receive') {
      // Not passed to the kernel: the worker would take the empty reads that may follow
      // SHUT_RD for the end of the stream, while LuaSocket (observed) can still read what
      // arrives afterwards. Reading simply goes on.
      return [1];
    }
    // Sends went straight to the kernel, so the FIN follows every byte already sent.
    requireNative().shutdown(this.#fd, how === 'send' || this.#stream !== null ? 1 : 2);
    if (how === 'both' && this.#stream) this.#stream.readShut = true;
    return [1];
  }

  // ---------------------------------------------------------------- data

  /**
   * The stream to read from, started on first use. null when there is nothing to read
   * from: no socket, or a socket that is not connected (the kernel would answer 'closed';
   * a connect still in progress is waited for per the timeout rules first).
   */
  #io(): Stream | null {
    if (this.#stream) return this.#stream;
    if (this.#fd < 0) return null;
    const n = requireNative();
    // Bytes (or the end) already queued, or a live connection: read it through the worker.
    // (A connection whose both ends closed may no longer have a peer name, yet hold bytes.)
    if ((n.poll(this.#fd, 1, 0) & 1) === 0 && typeof n.getpeername(this.#fd) === 'number') {
      // Not connected: if an attempt is still pending, wait for it as recv would.
      if (this.#tm.immediate || (n.poll(this.#fd, 4, 0) & 4) !== 0) return null;
      if (!waitWritable(this.#fd, this.#tm.waitDeadline()) || typeof n.getpeername(this.#fd) === 'number') return null;
    }
    return this.#startStream();
  }

  /**
   * receive([pattern [, prefix [, maxsize]]]). `maxsize` is upstream LuaSocket's bound on
   * what one '*l' or '*a' call may accumulate (PR #463, after 3.1.0): past it the call
   * fails with 'oversized' and the partial holds exactly `maxsize` bytes.
   */
  receive(pattern?: Pattern | null, prefix?: string | Uint8Array | null, maxsize?: number | null): ReceiveResult<D> {
    // The common call, receive() / receive('*l') on a client, goes straight to the line reader.
    if (
      (pattern === '*l' || pattern === undefined) &&
      prefix === undefined &&
      maxsize === undefined &&
      #kind in this &&
      this.#kind === 'client'
    ) {
      const s = this.#io();
      if (s !== null) {
        this.#tm.markStart();
        const end = s.lineEnd();
        if (end >= 0) return [this.#decodeRing(s, end)];
        return this.#finish(s, s.receiveLine(EMPTY));
      }
    }
    // biome-ignore lint/complexity/noArguments: tells Lua's "no value" from nil without a rest array on the hot path
    return this.#receive(arguments.length, pattern, prefix, maxsize);
  }

  /** Decodes the line that ends at ring offset `end` (found by Stream.lineEnd) and consumes it. */
  #decodeRing(s: Stream, end: number): D {
    const start = s.windowStart();
    const enc = this.#encoding;
    const data = (
      enc === 'buffer'
        ? Buffer.from(s.rx.subarray(start, end))
        : enc === 'utf8'
          ? utf8Slice.call(s.rx, start, end)
          : latin1Slice.call(s.rx, start, end)
    ) as D;
    s.consume(end - start + 1);
    return data;
  }

  /** Decodes a result (which may still view the ring), then lets the worker reuse the space. */
  #finish(s: Stream, r: Received): ReceiveResult<D> {
    const out: ReceiveResult<D> = r.ok ? [this.#decode(r.data, s.sab)] : [null, errText(r.err), this.#decode(r.partial, s.sab)];
    s.release();
    return out;
  }

  #receive(argc: number, pat: unknown, p: unknown, ms: unknown): ReceiveResult<D> {
    this.#check('receive', 'client');
    let prefix: Buffer;
    if (p === null || p === undefined) prefix = EMPTY;
    else if (p instanceof Uint8Array) prefix = this.#bytes(p);
    else prefix = this.#bytes(checkString(p, 2, 'receive'));
    let max = Number.POSITIVE_INFINITY;
    if (ms !== null && ms !== undefined) {
      // Checked before any I/O, so a bad call leaves the stream untouched.
      max = Math.trunc(checkNumber(ms, 3, 'receive'));
      if (!(max >= 1)) throw argError(3, 'receive', 'maxsize must be at least 1');
      if (prefix.length >= max) throw argError(2, 'receive', 'prefix must be shorter than maxsize');
      const n = typeof pat === 'number' || typeof pat === 'string' ? luaToNumber(pat) : null;
      if (n !== null && n > max) throw argError(1, 'receive', 'pattern larger than maxsize');
    }
    this.#tm.markStart();
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
    const s = this.#io();
    if (!s) {
      if (mode === 'count' && prefix.length > 0 && prefix.length >= wanted) return [this.#decode(prefix, null)];
      return [null, 'closed', this.#decode(prefix, null)];
    }
    try {
      return this.#finish(
        s,
        mode === 'line' ? s.receiveLine(prefix, max) : mode === 'all' ? s.receiveAll(prefix, max) : s.receiveCount(wanted, prefix),
      );
    } catch (e) {
      if (e instanceof WorkerDeadError) return [null, 'closed', this.#decode(prefix, null)];
      throw e;
    }
  }

  send(data: string | Uint8Array | number, i?: number | string | null, j?: number | string | null): SendResult {
    this.#check('send', 'client');
    const d: unknown = data;
    let bytes: Buffer;
    if (typeof d === 'string') bytes = this.#bytes(d);
    else if (d instanceof Uint8Array) bytes = this.#bytes(d);
    else if (typeof d === 'number') bytes = Buffer.from(numberToLuaString(d));
    // biome-ignore lint/complexity/noArguments: tells Lua's "no value" from nil without a rest array on the hot path
    else throw argError(1, 'send', `string expected, got ${arguments.length === 0 ? 'no value' : luaTypeName(d)}`);
    const size = bytes.length;
    let start = i === undefined || i === null ? 1 : toCLong(checkNumber(i, 2, 'send'));
    let end = j === undefined || j === null ? -1 : toCLong(checkNumber(j, 3, 'send'));
    this.#tm.markStart();
    if (start < 0) start = size + start + 1;
    if (end < 0) end = size + end + 1;
    if (start < 1) start = 1;
    if (end > size) end = size;
    if (start > end) return [start - 1];
    if (this.#fd < 0) return [null, 'closed', start - 1];
    const [sent, err] = sendOn(this.#fd, bytes.subarray(start - 1, end), this.#tm, this.#stats);
    if (err) return [null, errText(err), start - 1 + sent];
    return [start - 1 + sent];
  }

  // ---------------------------------------------------------------- select support

  /** Does the kernel report this socket readable (data, EOF, or a pending connection)? */
  #kernelReadable(): boolean {
    return this.#fd >= 0 && (requireNative().poll(this.#fd, 1, 0) & 1) !== 0;
  }

  /**
   * @internal for select: the engine whose wake word signals this object's readability
   * (a connection the worker reads), or null when only the kernel can tell (servers,
   * connections not read yet, masters).
   */
  wakeEngine(): Engine | null {
    return this.#fd >= 0 && this.#kind === 'client' && this.#stream !== null ? this.#eng : null;
  }

  /** @internal for select: would the kernel wake a reader that shared memory does not show yet? */
  kernelAhead(): boolean {
    if (this.#fd < 0 || this.#eng === null || this.#eng.isDead()) return false;
    if (this.#kind !== 'client' || this.#stream === null) return false;
    return this.#kernelReadable();
  }

  /** @internal readiness for socket.select. */
  selectState(): Readiness & { fd: number } {
    return { fd: this.#fd, ...this.#readiness() };
  }

  #readiness(): Readiness {
    const eng = this.#eng;
    if (this.#fd < 0) return { dirty: this.#isDirty(), readable: false, writable: false, engine: eng };
    if (this.#kind === 'server') {
      // The kernel's accept queue is the truth: a pending connection makes it readable.
      return { dirty: false, readable: this.#kernelReadable(), writable: false, engine: eng };
    }
    const s = this.#stream;
    if (s?.orphaned()) s.migrate();
    const n = requireNative();
    const writable = this.#fd >= 0 && (n.poll(this.#fd, 4, 0) & (4 | 8 | 16)) !== 0;
    if (s === null) {
      // Not read by the worker (yet): the kernel's answer is the whole truth.
      return { dirty: false, readable: this.#kernelReadable(), writable, engine: eng };
    }
    return { dirty: s.dirty(), readable: s.osReadable(), writable, engine: eng };
  }
}

const { ECONNABORTED, EMFILE, ENFILE } = osConstants.errno;

/**
 * C's conversions of a double, as LuaSocket's casts do them on x86-64: values out of range
 * (and NaN, infinities) become the type's minimum.
 */
function toCInt(x: number): number {
  return Number.isFinite(x) && x > -2147483649 && x < 2147483648 ? Math.trunc(x) : -2147483648;
}

function toCLong(x: number): number {
  return Number.isFinite(x) && Math.abs(x) < 2 ** 63 ? Math.trunc(x) : -(2 ** 63);
}

const EMPTY = Buffer.alloc(0);
/** Buffer's own decoders, without toString's argument handling (hot path of receive). */
type Slice = (this: Buffer, start: number, end: number) => string;
const proto = Buffer.prototype as unknown as { utf8Slice?: Slice; latin1Slice?: Slice };
const utf8Slice: Slice =
  proto.utf8Slice ??
  function (this: Buffer, a: number, b: number) {
    return this.toString('utf8', a, b);
  };
const latin1Slice: Slice =
  proto.latin1Slice ??
  function (this: Buffer, a: number, b: number) {
    return this.toString('latin1', a, b);
  };
const MAX_STRING_BYTES = 0x1fffffe8;

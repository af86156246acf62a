/**
 * The unix-domain stream object (LuaSocket 3.1.0's unixstream.c): unixstream{master},
 * {client} and {server}, with TCP's stream methods (the same buffer code: every receive
 * pattern, send ranges, shutdown, statistics) and paths for addresses. 3.1.0's own rules:
 * any failed bind or connect closes the socket, a failed listen keeps it, and the kind
 * has no gettimeout, getoption, getpeername or getfamily (calling one fails as calling a
 * missing method does).
 */
import { arg, checkString, optNumber } from './args.js';
import type { Encoding } from './buffer.js';
import { toBytes } from './codec.js';
import type { Engine, UnixStreamHandle } from './engine/types.js';
import { WorkerDeadError } from './engine/worker-link.js';
import type { Data, Fail, Ok } from './object.js';
import { type SetResult, setOption } from './options.js';
import { type Pattern, type ReceiveResult, StreamObject } from './stream-object.js';
import { pathArg, pathText } from './unix-path.js';

export type UnixStreamKind = 'master' | 'client' | 'server';
/** A value for setoption: a boolean, or linger's `{ on, timeout }`. */
export type UnixOptionArgument = boolean | { on: boolean; timeout: number } | null;

/** unixstream.c's setoption table. */
const SET_OPTIONS = ['keepalive', 'reuseaddr', 'linger'] as const;

export class UnixStream<D extends Data = string> extends StreamObject<D, UnixStreamHandle> {
  protected readonly group = 'unixstream';
  declare protected kind: UnixStreamKind;

  /** @internal use socket.unix() or socket.unix.stream(). */
  constructor(engine: Engine, kind: UnixStreamKind, handle: UnixStreamHandle | null) {
    super(engine, kind, handle);
  }

  /** @internal socket.unix.stream(): a master with a socket, or LuaSocket's text. */
  static open(engine: Engine): [UnixStream] | [null, string] {
    const obj = new UnixStream(engine, 'master', null);
    const h = engine.unixStream(obj.owner);
    if (typeof h === 'string') return [null, h];
    obj.handle = h;
    return [obj];
  }

  /** Returns this object, typed for the new encoding (see SocketObject). Not part of LuaSocket. */
  setencoding<E extends Encoding>(encoding: E): UnixStream<E extends 'buffer' ? Buffer : string> {
    this.applyEncoding(encoding);
    return this as unknown as UnixStream<E extends 'buffer' ? Buffer : string>;
  }

  protected adoptFd(fd: number): UnixStreamHandle {
    return this.engine.unixStreamFromFd(fd, this.owner);
  }

  // ---------------------------------------------------------------- bind / listen / accept

  bind(path: string): Ok | Fail;
  bind(...args: unknown[]): Ok | Fail {
    return this.#bind('bind', args);
  }

  /** Alias of bind, as in LuaSocket. */
  setsockname(path: string): Ok | Fail;
  setsockname(...args: unknown[]): Ok | Fail {
    return this.#bind('setsockname', args);
  }

  #bind(fname: string, args: unknown[]): Ok | Fail {
    this.check(fname, 'master');
    const a = pathArg(args, 0, fname, this.encoding);
    if (typeof a === 'string') return [null, a];
    const h = this.socket();
    if (h === null) return [null, 'Bad file descriptor'];
    const err = h.bind(a);
    return err === null ? [1] : this.destroyed(err);
  }

  listen(backlog?: number | string | null): Ok | Fail;
  listen(...args: unknown[]): Ok | Fail {
    this.check('listen', 'master');
    const backlog = Math.trunc(optNumber(arg(args, 0), 1, 'listen', 32));
    const h = this.socket();
    if (h === null) return [null, 'Bad file descriptor'];
    const err = h.listen(backlog | 0);
    if (err) return [null, err];
    this.kind = 'server';
    return [1];
  }

  accept(): [UnixStream<D>] | Fail {
    this.check('accept', 'server');
    this.tm.markStart();
    const h = this.socket();
    if (h === null) return [null, 'closed'];
    return this.acceptInto(h, new UnixStream<D>(this.engine, 'client', null));
  }

  // ---------------------------------------------------------------- connect

  connect(path: string): Ok | Fail;
  connect(...args: unknown[]): Ok | Fail {
    return this.#connect('connect', args);
  }

  /** Alias of connect, as in LuaSocket. */
  setpeername(path: string): Ok | Fail;
  setpeername(...args: unknown[]): Ok | Fail {
    return this.#connect('setpeername', args);
  }

  #connect(fname: string, args: unknown[]): Ok | Fail {
    this.check(fname, 'master');
    const a = pathArg(args, 0, fname, this.encoding);
    if (typeof a === 'string') return [null, a];
    this.tm.markStart();
    const h = this.socket();
    if (h === null) return [null, 'closed'];
    let err: string | null;
    try {
      err = h.connect(a, this.tm);
    } catch (e) {
      if (!(e instanceof WorkerDeadError)) throw e;
      err = 'closed';
    }
    if (err !== null) return this.destroyed(err);
    this.kind = 'client';
    return [1];
  }

  // ---------------------------------------------------------------- receive, names, options

  override receive(_pattern?: Pattern | null, prefix?: string | Uint8Array | null, _maxsize?: number | null): ReceiveResult<D> {
    // A connect that 3.1.0 took for a success into a full backlog left the socket
    // unconnected: recv(2) there fails with EINVAL, keeping the prefix as the partial.
    if (this.kind === 'client' && this.handle?.unconnected === true && this.handle.open) {
      this.check('receive', 'client');
      const p = prefix === null || prefix === undefined ? Buffer.alloc(0) : toBytes(prefix, this.encoding);
      return [null, 'Invalid argument', this.decode(p, null)];
    }
    // biome-ignore lint/complexity/noArguments: keeps Lua's "no value" for the argument checks
    return super.receive.apply(this, arguments as unknown as [Pattern, string, number]);
  }

  getsockname(): [D] | [null, string] {
    this.check('getsockname');
    const h = this.socket();
    if (h === null) return [null, 'Bad file descriptor'];
    const r = h.name();
    return typeof r === 'string' ? [null, r] : [pathText<D>(r, this.encoding)];
  }

  setoption(name: string, value?: UnixOptionArgument | Record<string, unknown>): SetResult;
  setoption(...args: unknown[]): SetResult {
    this.check('setoption');
    return setOption(this.socket(), checkString(arg(args, 0), 1, 'setoption'), arg(args, 1), SET_OPTIONS);
  }

  // ---------------------------------------------------------------- select support

  /** @internal */
  override readiness() {
    return this.socket()?.readiness() ?? null;
  }

  /** @internal */
  override kernelAhead(): boolean {
    return this.kind === 'client' && this.handle !== null && this.handle.kernelAhead();
  }
}

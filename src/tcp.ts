/**
 * The TCP object (LuaSocket's tcp.c): one class whose kind moves master -> client or
 * master -> server, the method-per-kind rules of spec 2.2, and the TCP-only methods
 * (bind, listen, accept, connect, names, options). The stream methods live in
 * stream-object.ts; the system calls or worker round trips behind them in the engine.
 */
import { arg, checkString, optNumber } from './args.js';
import type { Encoding } from './buffer.js';
import type { Engine, Family, InetAddress, Readiness, StreamHandle } from './engine/types.js';
import { WorkerDeadError } from './engine/worker-link.js';
import { errText } from './errors.js';
import { type FamilyName, familyName, type InetEndpoint, tryBind, tryConnect } from './inet.js';
import type { Data, Fail, Ok } from './object.js';
import { type GetResult, getOption, type SetResult, setOption } from './options.js';
import { StreamObject } from './stream-object.js';

export type Kind = 'master' | 'client' | 'server';
export type NameResult = [string, number, FamilyName | 'unspec'] | [null, string];
/** A value for setoption: a boolean, a number, or linger's `{ on, timeout }`. */
export type OptionArgument = boolean | number | string | { on: boolean; timeout: number } | null;

/** The LuaSocket TCP object. `D` is the type received data comes back as. */
export class TcpSocket<D extends Data = string> extends StreamObject<D, StreamHandle> implements InetEndpoint {
  protected readonly group = 'tcp';
  declare protected kind: Kind;
  /** The recorded family (LuaSocket's `family` field): 0 for a tcp() that never had a socket. */
  family: 0 | Family;

  /** @internal use socket.tcp(), tcp4(), tcp6(), connect() or bind(). */
  constructor(engine: Engine, kind: Kind, family: 0 | Family, handle: StreamHandle | null) {
    super(engine, kind, handle);
    this.family = family;
  }

  /** Returns this object, typed for the new encoding (see SocketObject). Not part of LuaSocket. */
  setencoding<E extends Encoding>(encoding: E): TcpSocket<E extends 'buffer' ? Buffer : string> {
    this.applyEncoding(encoding);
    return this as unknown as TcpSocket<E extends 'buffer' ? Buffer : string>;
  }

  protected adoptFd(fd: number): StreamHandle {
    return this.engine.fromFd(fd, this.owner);
  }

  /**
   * @internal ssl.wrap: the connection moves to a TLS session; this object keeps no socket
   * (LuaSec sets its descriptor to -1). Returns the handle (now the session's) or LuaSocket's text.
   */
  handOver(): StreamHandle | string {
    const h = this.handle;
    if (h === null) return 'closed';
    this.handle = null;
    return h;
  }

  // ---------------------------------------------------------------- InetEndpoint

  /** @internal */
  hasSocket(): boolean {
    return this.handle?.open === true;
  }

  /** @internal a fresh OS socket of `family` (LuaSocket's inet_trysocket). */
  renew(family: Family): string | null {
    this.handle?.close();
    this.handle = null;
    this.stream = null;
    const h = this.engine.stream(family, this.owner);
    if (typeof h === 'string') return h;
    this.handle = h;
    return null;
  }

  /** @internal */
  bindTo(address: InetAddress): string | null {
    return (this.handle as StreamHandle).bind(address);
  }

  // ---------------------------------------------------------------- bind / listen

  bind(address: string, port: string | number): Ok | Fail;
  bind(...args: unknown[]): Ok | Fail {
    return this.bindChecked('bind', args);
  }

  /** Alias of bind, as in LuaSocket. */
  setsockname(address: string, port: string | number): Ok | Fail;
  setsockname(...args: unknown[]): Ok | Fail {
    return this.bindChecked('setsockname', args);
  }

  private bindChecked(fname: string, args: unknown[]): Ok | Fail {
    this.check(fname, 'master');
    const address = checkString(arg(args, 0), 1, fname);
    const port = checkString(arg(args, 1), 2, fname);
    const err = tryBind(this.engine, this, address, port, this.family);
    return err === null ? [1] : [null, err];
  }

  /** @internal socket.connect's local bind, with the resolver family of its `family` argument. */
  trybind(address: string, port: string, hint: 0 | Family): string | null {
    return tryBind(this.engine, this, address, port, hint);
  }

  listen(backlog?: number | string | null): Ok | Fail;
  listen(...args: unknown[]): Ok | Fail {
    this.check('listen', 'master');
    const backlog = Math.trunc(optNumber(arg(args, 0), 1, 'listen', 32));
    if (this.handle === null) return [null, 'Bad file descriptor'];
    const err = this.handle.listen(backlog | 0);
    if (err) return [null, err];
    this.kind = 'server';
    return [1];
  }

  // ---------------------------------------------------------------- accept

  accept(): [TcpSocket<D>] | Fail {
    this.check('accept', 'server');
    this.tm.markStart();
    if (this.handle === null) return [null, 'closed'];
    return this.acceptInto(this.handle, new TcpSocket<D>(this.engine, 'client', this.family, null));
  }

  // ---------------------------------------------------------------- connect

  connect(address: string, port: string | number): Ok | Fail;
  connect(...args: unknown[]): Ok | Fail {
    return this.connectChecked('connect', args);
  }

  /** Alias of connect, as in LuaSocket. */
  setpeername(address: string, port: string | number): Ok | Fail;
  setpeername(...args: unknown[]): Ok | Fail {
    return this.connectChecked('setpeername', args);
  }

  private connectChecked(fname: string, args: unknown[]): Ok | Fail {
    this.check(fname);
    const address = checkString(arg(args, 0), 1, fname);
    const port = checkString(arg(args, 1), 2, fname);
    return this.tryconnect(address, port);
  }

  /** @internal LuaSocket's meth_connect after the argument checks. */
  tryconnect(address: string, port: string): Ok | Fail {
    try {
      const err = tryConnect(this.engine, this, address, port, this.tm, (c) => (this.handle as StreamHandle).connect(c, this.tm));
      return err === null ? [1] : [null, err];
    } catch (e) {
      if (e instanceof WorkerDeadError) return [null, 'closed'];
      throw e;
    } finally {
      // The class changes whatever the outcome, so a pending connect can be polled.
      this.kind = 'client';
    }
  }

  // ---------------------------------------------------------------- names, options, family

  gettimeout(): [number, number] {
    return this.timeouts('gettimeout');
  }

  getfamily(): ['inet4' | 'inet6'] {
    this.check('getfamily');
    return [this.family === 6 ? 'inet6' : 'inet4'];
  }

  private name(fname: 'getsockname' | 'getpeername'): NameResult {
    this.check(fname);
    if (this.handle === null) return [null, 'Bad file descriptor'];
    const r = this.handle.name(fname === 'getsockname' ? 'sock' : 'peer');
    if (typeof r === 'string') return [null, r];
    // The family word is the object's recorded family, as in LuaSocket (spec 6.9).
    return [r.address, r.port, this.family === 0 ? 'unspec' : familyName(this.family)];
  }

  getsockname(): NameResult {
    return this.name('getsockname');
  }

  getpeername(): NameResult {
    return this.name('getpeername');
  }

  getoption(name: string): GetResult;
  getoption(...args: unknown[]): GetResult {
    this.check('getoption');
    const name = checkString(arg(args, 0), 1, 'getoption');
    // SO_ERROR takes the pending error the worker already read off the socket (a reset).
    const pending = name === 'error' && this.handle !== null ? (this.stream?.takeError() ?? 0) : 0;
    if (pending) return [errText(pending)];
    return getOption(this.handle, name);
  }

  setoption(name: string, value?: OptionArgument | Record<string, unknown>): SetResult;
  setoption(...args: unknown[]): SetResult {
    this.check('setoption');
    return setOption(this.handle, checkString(arg(args, 0), 1, 'setoption'), arg(args, 1));
  }

  // ---------------------------------------------------------------- select support

  /** @internal readiness for socket.select (null: no OS socket, never ready). */
  override readiness(): Readiness | null {
    return this.handle?.readiness() ?? null;
  }

  /** @internal for select(…, 0): would the kernel wake a reader that shared memory does not show yet? */
  override kernelAhead(): boolean {
    return this.kind === 'client' && this.handle !== null && this.handle.kernelAhead();
  }
}

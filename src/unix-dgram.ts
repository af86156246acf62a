/**
 * The unix-domain datagram object (LuaSocket 3.1.0's unixdgram.c): unixdgram{unconnected}
 * and unixdgram{connected}, paths for addresses, and 3.1.0's rules: any failed bind or
 * connect closes the socket (the class stays), a closed object's receive returns "" and
 * its sends 'refused'. It has no getoption, getpeername, getfamily, getstats, shutdown,
 * listen or accept (calling one fails as calling a missing method does).
 */
import { arg } from './args.js';
import type { Encoding } from './buffer.js';
import { DatagramObject } from './datagram-object.js';
import type { DatagramHandle, Engine, UnixAddress } from './engine/types.js';
import type { Data, Fail, Ok } from './object.js';
import { type DgramSetResult, setDgramOption } from './udp-options.js';
import { pathArg, pathText } from './unix-path.js';

export type UnixDgramKind = 'unconnected' | 'connected';
/** receivefrom's results: the datagram and its sender's path ("" for an unnamed sender). */
export type UnixReceiveFromResult<D extends Data> = [D, D] | [null, string];

export class UnixDgram<D extends Data = string> extends DatagramObject<D> {
  protected readonly group = 'unixdgram';
  declare protected kind: UnixDgramKind;

  /** @internal use socket.unix.dgram(). */
  constructor(engine: Engine, handle: DatagramHandle | null) {
    super(engine, 'unconnected', handle);
  }

  /** @internal socket.unix.dgram(): an unconnected object with a socket, or LuaSocket's text. */
  static open(engine: Engine): [UnixDgram] | [null, string] {
    const obj = new UnixDgram(engine, null);
    const h = engine.unixDgram(obj.owner);
    if (typeof h === 'string') return [null, h];
    obj.handle = h;
    return [obj];
  }

  /** Returns this object, typed for the new encoding (see SocketObject). Not part of LuaSocket. */
  setencoding<E extends Encoding>(encoding: E): UnixDgram<E extends 'buffer' ? Buffer : string> {
    this.setEncodingTo(encoding);
    return this as unknown as UnixDgram<E extends 'buffer' ? Buffer : string>;
  }

  protected adoptFd(fd: number): DatagramHandle {
    return this.engine.datagramFromFd(fd, 'unix', this.owner);
  }

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
    this.check(fname, 'unconnected');
    const a = pathArg(args, 0, fname, this.encoding);
    if (typeof a === 'string') return [null, a];
    const h = this.socket();
    if (h === null) return [null, 'Bad file descriptor'];
    const err = h.bind(a);
    return err === null ? [1] : this.destroyed(err);
  }

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
    this.check(fname);
    const a = pathArg(args, 0, fname, this.encoding);
    if (typeof a === 'string') return [null, a];
    this.tm.markStart();
    const h = this.socket();
    if (h === null) return [null, 'closed'];
    const err = h.connect(a, this.tm);
    if (err !== null) return this.destroyed(err);
    this.kind = 'connected';
    return [1];
  }

  getsockname(): [D] | [null, string] {
    this.check('getsockname');
    const h = this.socket();
    if (h === null) return [null, 'Bad file descriptor'];
    const r = h.name('sock');
    if (typeof r === 'string') return [null, r];
    return [pathText<D>((r as UnixAddress).path, this.encoding)];
  }

  /** One datagram to the connected peer: [bytes sent] or [null, error]. */
  send(datagram: string | Uint8Array | number): [number] | [null, string];
  send(...args: unknown[]): [number] | [null, string] {
    this.check('send', 'connected');
    return this.transmit(this.dataArg(args, 0, 'send'), null);
  }

  /** One datagram to the socket at `path`: [bytes sent] or [null, error]. */
  sendto(datagram: string | Uint8Array | number, path: string): [number] | [null, string];
  sendto(...args: unknown[]): [number] | [null, string] {
    this.check('sendto', 'unconnected');
    const data = this.dataArg(args, 0, 'sendto');
    const to = pathArg(args, 1, 'sendto', this.encoding);
    if (typeof to === 'string') return [null, to];
    return this.transmit(data, to);
  }

  /** The next datagram and its sender's path: [data, path], or [null, error]. */
  receivefrom(size?: number | string | null): UnixReceiveFromResult<D>;
  receivefrom(...args: unknown[]): UnixReceiveFromResult<D> {
    this.check('receivefrom', 'unconnected');
    const size = this.sizeArg(args, 'receivefrom');
    if (size === null) return [null, 'out of memory'];
    this.tm.markStart();
    const h = this.socket();
    const nothing = this.decode(Buffer.alloc(0));
    if (h === null) return [nothing, nothing];
    const r = this.read(h, size, true);
    if ('err' in r) return [null, r.err];
    const from = r.from as UnixAddress | null;
    const data = this.decodeRead(r);
    return [data, from ? pathText<D>(from.path, this.encoding) : nothing];
  }

  setoption(name: string, value?: boolean | null): DgramSetResult;
  setoption(...args: unknown[]): DgramSetResult {
    this.check('setoption');
    return setDgramOption('unixdgram', this.socket(), arg(args, 0), arg(args, 1));
  }
}

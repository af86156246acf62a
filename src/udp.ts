/**
 * The UDP object (LuaSocket 3.1.0's udp.c): udp{unconnected} and udp{connected}, which
 * method each state accepts, and LuaSocket's own rules: socket.udp() has no OS socket
 * until the first setsockname / setpeername / sendto (whose address picks the family),
 * and a closed object gets a new socket from setsockname or setpeername; setsockname and
 * setpeername resolve names (setpeername within the call's timeout), sendto takes numeric
 * addresses only, with glibc's own error texts. The engine handle does the system calls.
 */
import { arg, checkString } from './args.js';
import type { Encoding } from './buffer.js';
import { DatagramObject } from './datagram-object.js';
import type { DatagramHandle, Engine, Family, InetAddress } from './engine/types.js';
import { type FamilyName, familyName, type InetEndpoint, tryBind, tryConnect } from './inet.js';
import type { Data, Fail, Ok } from './object.js';
import { type DgramGetResult, type DgramSetResult, getDgramOption, setDgramOption } from './udp-options.js';

export type UdpKind = 'unconnected' | 'connected';
export type UdpNameResult = [string, number, FamilyName | 'unspec'] | [null, string];
/** receivefrom's results: the datagram, the sender's numeric address and port. */
export type ReceiveFromResult<D extends Data> = [D, string, number] | [null, string];
/** A value for setoption: a boolean, a number, an address, or a membership table. */
export type UdpOptionArgument = boolean | number | string | { multiaddr: string; interface?: string | number | null } | null;

/** The LuaSocket UDP object. `D` is the type received data comes back as. */
export class UdpSocket<D extends Data = string> extends DatagramObject<D> implements InetEndpoint {
  protected readonly group = 'udp';
  declare protected kind: UdpKind;
  /** The recorded family (LuaSocket's `family` field): 0 for a udp() that never had a socket. */
  family: 0 | Family;
  /** @internal the resolver's hints are for datagram sockets. */
  readonly socktype = 'dgram';

  /** @internal use socket.udp(), udp4() or udp6(). */
  constructor(engine: Engine, family: 0 | Family, handle: DatagramHandle | null) {
    super(engine, 'unconnected', handle);
    this.family = family;
  }

  /** @internal socket.udp4() / udp6(): an object with a socket of `family`, or LuaSocket's text. */
  static open(engine: Engine, family: Family): [UdpSocket] | [null, string] {
    const obj = new UdpSocket(engine, family, null);
    const err = obj.renew(family);
    return err === null ? [obj] : [null, err];
  }

  /** Returns this object, typed for the new encoding (see SocketObject). Not part of LuaSocket. */
  setencoding<E extends Encoding>(encoding: E): UdpSocket<E extends 'buffer' ? Buffer : string> {
    this.setEncodingTo(encoding);
    return this as unknown as UdpSocket<E extends 'buffer' ? Buffer : string>;
  }

  protected adoptFd(fd: number): DatagramHandle {
    return this.engine.datagramFromFd(fd, this.family, this.owner);
  }

  // ---------------------------------------------------------------- InetEndpoint

  /** @internal */
  hasSocket(): boolean {
    return this.socket() !== null;
  }

  /** @internal a fresh OS socket of `family` (LuaSocket's inet_trycreate). */
  renew(family: Family): string | null {
    this.handle?.close();
    this.handle = null;
    const h = this.engine.udp(family, this.owner);
    if (typeof h === 'string') return h;
    this.handle = h;
    return null;
  }

  /** @internal */
  bindTo(address: InetAddress): string | null {
    return (this.handle as DatagramHandle).bind(address);
  }

  // ---------------------------------------------------------------- addresses

  setsockname(address: string, port: string | number): Ok | Fail;
  setsockname(...args: unknown[]): Ok | Fail {
    this.check('setsockname', 'unconnected');
    const address = checkString(arg(args, 0), 1, 'setsockname');
    const port = checkString(arg(args, 1), 2, 'setsockname');
    const err = tryBind(this.engine, this, address, port, this.family);
    return err === null ? [1] : [null, err];
  }

  /** setpeername(address, port) connects (also when connected: re-targets); setpeername('*') disconnects. */
  setpeername(address: string, port?: string | number): Ok | Fail;
  setpeername(...args: unknown[]): Ok | Fail {
    this.check('setpeername');
    const address = checkString(arg(args, 0), 1, 'setpeername');
    if (address === '*') {
      // Errors are ignored (LuaSocket: macOS always reports one); a socket-less object just changes class.
      this.socket()?.disconnect();
      this.kind = 'unconnected';
      return [1];
    }
    const port = checkString(arg(args, 1), 2, 'setpeername');
    const err = tryConnect(this.engine, this, address, port, this.tm, (c) => (this.handle as DatagramHandle).connect(c, this.tm));
    if (err !== null) return [null, err];
    this.kind = 'connected';
    return [1];
  }

  private name(fname: 'getsockname' | 'getpeername', ...kinds: UdpKind[]): UdpNameResult {
    this.check(fname, ...kinds);
    const h = this.socket();
    if (h === null) return [null, 'Bad file descriptor'];
    const r = h.name(fname === 'getsockname' ? 'sock' : 'peer');
    if (typeof r === 'string') return [null, r];
    const a = r as InetAddress;
    return [a.address, a.port, this.family === 0 ? 'unspec' : familyName(this.family)];
  }

  getsockname(): UdpNameResult {
    return this.name('getsockname');
  }

  getpeername(): UdpNameResult {
    return this.name('getpeername', 'connected');
  }

  getfamily(): ['inet4' | 'inet6'] {
    this.check('getfamily');
    return [this.family === 6 ? 'inet6' : 'inet4'];
  }

  // ---------------------------------------------------------------- data

  /** One datagram to the connected peer: [bytes sent] or [null, error]. */
  send(_datagram: string | Uint8Array | number): [number] | [null, string] {
    if (this.kind !== 'connected' || !(this instanceof UdpSocket)) this.check('send', 'connected');
    // biome-ignore lint/complexity/noArguments: tells Lua's "no value" from nil without a rest array on the hot path
    return this.transmit(this.dataArg(arguments, 0, 'send'), null);
  }

  /** One datagram to a numeric address and port: [bytes sent] or [null, error]. */
  sendto(datagram: string | Uint8Array | number, ip: string, port: string | number): [number] | [null, string];
  sendto(...args: unknown[]): [number] | [null, string] {
    this.check('sendto', 'unconnected');
    const data = this.dataArg(args, 0, 'sendto');
    const ip = checkString(arg(args, 1), 2, 'sendto');
    const port = checkString(arg(args, 2), 3, 'sendto');
    const r = this.engine.resolve(ip, port, this.family, false, undefined, 'dgram-numeric');
    if (!r.ok) return [null, r.err];
    // udp(): the first address gives the object its socket, and its family.
    if (this.family === 0 && this.handle === null) {
      let err = 'no info on address';
      for (const c of r.list) {
        const h = this.engine.udp(c.family, this.owner);
        if (typeof h === 'string') {
          err = h;
          continue;
        }
        this.handle = h;
        this.family = c.family;
        break;
      }
      if (this.handle === null) return [null, err];
    }
    return this.transmit(data, r.list[0] as InetAddress);
  }

  /** The next datagram and its sender: [data, ip, port], or [null, error]. */
  receivefrom(_size?: number | string | null): ReceiveFromResult<D> {
    if (this.kind !== 'unconnected' || !(this instanceof UdpSocket)) this.check('receivefrom', 'unconnected');
    // biome-ignore lint/complexity/noArguments: tells Lua's "no value" from nil without a rest array on the hot path
    const size = this.sizeArg(arguments, 'receivefrom');
    if (size === null) return [null, 'out of memory'];
    this.tm.markStart();
    const h = this.socket();
    // getnameinfo on the never-filled address, as 3.1.0 does.
    if (h === null) return [null, 'ai_family not supported'];
    const r = this.read(h, size, true);
    if ('err' in r) return [null, r.err];
    const from = r.from as InetAddress;
    return [this.decodeRead(r), from.address, from.port];
  }

  // ---------------------------------------------------------------- options

  getoption(name: string): DgramGetResult;
  getoption(...args: unknown[]): DgramGetResult {
    this.check('getoption');
    return getDgramOption(this.socket(), arg(args, 0));
  }

  setoption(name: string, value?: UdpOptionArgument): DgramSetResult;
  setoption(...args: unknown[]): DgramSetResult {
    this.check('setoption');
    return setDgramOption('udp', this.socket(), arg(args, 0), arg(args, 1));
  }
}

/**
 * A UDP socket the worker owns (portable engine): node:dgram binds, connects and sends it
 * on the caller's behalf, and every datagram it delivers is appended to the channel's
 * ring (protocol.ts, Dg) for the caller to take without a round trip. An ICMP error
 * node:dgram reports (recvmsg ECONNREFUSED on a connected socket) becomes the socket's
 * pending error. Options live in dgram-options.ts.
 */
import dgram from 'node:dgram';
import { constants } from 'node:os';
import { errCodeOf } from '../src/errors.js';
import { type Command, Dg, ErrCode, type InetAddress, type NameReply, type OptionReply } from '../src/protocol.js';
import { DgramOptions, probeBufferSize } from './dgram-options.js';
import { DatagramWriter } from './dgram-writer.js';

const { EBADF, EINVAL, ENOTCONN } = constants.errno;

/** An error code for a synchronous node:dgram failure (a thrown error). */
function thrownCode(e: unknown): number {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ERR_SOCKET_ALREADY_BOUND' || err.code === 'ERR_SOCKET_BAD_PORT') return ErrCode.ERRNO_BASE + EINVAL;
  if (err.code === 'ERR_SOCKET_DGRAM_NOT_RUNNING') return ErrCode.ERRNO_BASE + EBADF;
  return errCodeOf(err);
}

function name(address: string, port: number, family: string): InetAddress {
  return { address, port, family: family === 'IPv6' ? 6 : 4 };
}

/** node:dgram's own state, where it keeps its UDP handle (and the handle its descriptor). */
function handleFd(s: dgram.Socket): number {
  const key = Object.getOwnPropertySymbols(s).find((k) => k.description === 'state symbol');
  const fd = key ? (s as unknown as Record<symbol, { handle?: { fd?: number } | null }>)[key]?.handle?.fd : undefined;
  return typeof fd === 'number' && fd >= 0 ? fd : -1;
}

export class DgramChannel {
  readonly hdr: Int32Array;
  private readonly writer: DatagramWriter;
  readonly options: DgramOptions;
  /**
   * The node:dgram socket, made at the first bind, connect or send (it has no OS socket
   * before binding anyway): options that node:dgram only takes at creation are known by then.
   */
  private sock: dgram.Socket | null = null;
  private bound = false;
  private connected = false;
  private closed = false;

  constructor(
    private readonly cmd: Extract<Command, { op: 'dgram-open' }>,
    wake: () => void,
  ) {
    this.writer = new DatagramWriter(cmd.sab, wake);
    this.hdr = this.writer.hdr;
    this.options = new DgramOptions(cmd.family);
  }

  private get socket(): dgram.Socket {
    if (this.sock) return this.sock;
    const s = dgram.createSocket({
      type: this.cmd.family === 6 ? 'udp6' : 'udp4',
      ipv6Only: this.options.v6only,
      reuseAddr: this.options.reuseaddr,
    });
    s.on('message', (msg, rinfo) => this.writer.push(msg, rinfo));
    s.on('error', (err: NodeJS.ErrnoException) => this.writer.failed(err));
    // node:dgram binds implicitly before a first send or connect: apply what was set before.
    s.on('listening', () => this.listening());
    this.sock = s;
    return s;
  }

  private listening(): void {
    this.bound = true;
    Atomics.store(this.hdr, Dg.FD, handleFd(this.socket));
    this.options.applyAll(this.socket);
  }

  bind(address: InetAddress, done: (code: number) => void) {
    if (this.bound) return done(ErrCode.ERRNO_BASE + EINVAL);
    const onError = (err: NodeJS.ErrnoException) => done(errCodeOf(err));
    this.socket.once('error', onError);
    try {
      this.socket.bind({ address: address.address, port: address.port, exclusive: true }, () => {
        this.socket.removeListener('error', onError);
        done(0);
      });
    } catch (e) {
      this.socket.removeListener('error', onError);
      done(thrownCode(e));
    }
  }

  /** connect, or (null) disconnect: node:dgram refuses to re-target a connected socket, so it disconnects first. */
  connect(remote: InetAddress | null, done: (code: number) => void) {
    if (this.connected) {
      this.sock?.disconnect();
      this.connected = false;
    }
    if (remote === null) return done(0);
    // A connect to port 0 is allowed by the kernel (and goes nowhere); node:dgram refuses it.
    if (remote.port === 0) return done(ErrCode.UNSUPPORTED);
    try {
      this.socket.connect(remote.port, remote.address, (err?: Error) => {
        if (err) return done(errCodeOf(err as NodeJS.ErrnoException));
        this.connected = true;
        done(0);
      });
    } catch (e) {
      done(thrownCode(e));
    }
  }

  send(data: Uint8Array, to: InetAddress | null, done: (n: number) => void) {
    // The kernel refuses a datagram to port 0; node:dgram would throw before asking it.
    if (to !== null && to.port === 0) return done(-(ErrCode.ERRNO_BASE + EINVAL));
    const cb = (err: Error | null, bytes?: number) => done(err ? -errCodeOf(err as NodeJS.ErrnoException) : (bytes ?? data.length));
    try {
      if (to === null) this.socket.send(data, cb);
      else this.socket.send(data, to.port, to.address, cb);
    } catch (e) {
      done(-thrownCode(e));
    }
  }

  option(
    name: Extract<Command, { op: 'dgram-option' }>['name'],
    value: Extract<Command, { op: 'dgram-option' }>['value'],
    reply: (r: OptionReply) => void,
  ) {
    if (value !== null) return reply(this.options.set(this.sock, name, value, this.bound));
    if ((name === 'recv-buffer-size' || name === 'send-buffer-size') && !this.bound) {
      const recv = name === 'recv-buffer-size';
      return probeBufferSize(this.cmd.family, recv, this.options.bufferSet(recv), reply);
    }
    reply(this.options.get(this.sock, name, this.bound));
  }

  /** getsockname / getpeername: an unbound socket is the wildcard at port 0, as the kernel says. */
  names(): { local: NameReply; peer: NameReply } {
    if (this.closed) return { local: { err: ErrCode.ERRNO_BASE + EBADF }, peer: { err: ErrCode.ERRNO_BASE + EBADF } };
    let local: NameReply;
    let peer: NameReply;
    const s = this.sock;
    try {
      if (s === null) throw new Error('no socket yet');
      const a = s.address();
      local = name(a.address, a.port, a.family);
    } catch {
      local = { family: this.cmd.family, address: this.cmd.family === 6 ? '::' : '0.0.0.0', port: 0 };
    }
    try {
      if (s === null) throw new Error('no socket yet');
      const r = s.remoteAddress();
      peer = name(r.address, r.port, r.family);
    } catch {
      peer = { err: ErrCode.ERRNO_BASE + ENOTCONN };
    }
    return { local, peer };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.writer.closed = true;
    Atomics.store(this.hdr, Dg.FD, -1);
    try {
      this.sock?.close();
    } catch {
      // Closed already.
    }
  }
}

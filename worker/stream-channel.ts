/**
 * A TCP socket the worker owns (portable engine): node:net connects or accepts it, the rx
 * ring is filled by a Connection, the tx ring drained by a TxPump, and the socket's life
 * (connecting, connected, failed) is published in the channel header's STATE word.
 */
import net from 'node:net';
import { constants } from 'node:os';
import type { Duplex } from 'node:stream';
import { errCodeOf } from '../src/errors.js';
import {
  type Command,
  ErrCode,
  Hdr,
  type InetAddress,
  type NameReply,
  type SockAddress,
  type SocketOptions,
  State,
  type TlsInfo,
} from '../src/protocol.js';
import { Connection } from './connection.js';
import { TlsSession } from './tls-session.js';
import { TxPump } from './tx-pump.js';

const { ENOTCONN, EBADF } = constants.errno;

export class StreamChannel {
  readonly hdr: Int32Array;
  readonly connection: Connection;
  private readonly tx: TxPump;
  private closed = false;
  /** The local name once connected: getsockname keeps answering after a reset destroyed the socket. */
  private local: SockAddress | null = null;
  /** A unix-domain connection (node:net's pipe): its own end has no name unless accepted. */
  private pipe = false;
  /** The TLS session, for a channel that carries one. */
  private session: TlsSession | null = null;

  private constructor(
    readonly id: number,
    sab: SharedArrayBuffer,
    readonly socket: net.Socket,
    conn: Connection,
    private readonly wake: () => void,
  ) {
    this.hdr = new Int32Array(sab, 0, Hdr.WORDS);
    this.connection = conn;
    this.tx = new TxPump(sab, socket, wake);
    socket.on('error', (err: NodeJS.ErrnoException) => this.failed(err));
    socket.on('close', () => this.tx.stop(ErrCode.CLOSED));
  }

  /** net.connect with the rx ring as node:net's read buffer. */
  static connect(cmd: Extract<Command, { op: 'connect' }>, wake: () => void): StreamChannel {
    const conn = new Connection(cmd.id, cmd.sab, wake);
    const remote = cmd.remote;
    let socket: net.Socket;
    if (remote.family === 'unix') {
      // node:net cannot name a pipe's own end: a unix client has no path of its own.
      const path = Buffer.from(remote.path).toString();
      socket = net.connect({ path, onread: conn.onread(), allowHalfOpen: true } as net.IpcNetConnectOpts);
    } else {
      const opts: net.TcpNetConnectOpts & { onread: ReturnType<Connection['onread']> } = {
        host: remote.address,
        port: remote.port,
        family: remote.family,
        onread: conn.onread(),
        allowHalfOpen: true,
      };
      if (cmd.local && cmd.local.family !== 'unix') {
        opts.localAddress = cmd.local.address;
        if (cmd.local.port) opts.localPort = cmd.local.port;
      }
      socket = net.connect(opts);
    }
    const ch = new StreamChannel(cmd.id, cmd.sab, socket, conn, wake);
    ch.pipe = remote.family === 'unix';
    Atomics.store(ch.hdr, Hdr.STATE, State.CONNECTING);
    conn.attach(socket);
    socket.once('connect', () => {
      // Options set before connect are in place before the script sees the connection.
      ch.setOptions(cmd.options);
      ch.connected();
      ch.tx.start();
      wake();
    });
    return ch;
  }

  /** A connection a node:net server accepted (paused): it reads through 'data' events. */
  static accepted(
    id: number,
    sab: SharedArrayBuffer,
    socket: net.Socket,
    wake: () => void,
    local: SockAddress | null = null,
  ): StreamChannel {
    const conn = new Connection(id, sab, wake);
    const ch = new StreamChannel(id, sab, socket, conn, wake);
    ch.connected();
    if (local) ch.local = local;
    conn.attach(socket, 'flowing');
    conn.startReading();
    ch.tx.start();
    return ch;
  }

  /**
   * A TLS session over `base` (a socket another channel released, or one made from the
   * caller's descriptor): plaintext through the rings once the handshake is done.
   */
  static secure(cmd: Extract<Command, { op: 'tls' }>, base: net.Socket | Duplex, fd: number, wake: () => void): StreamChannel {
    const conn = new Connection(cmd.id, cmd.sab, wake);
    let ch: StreamChannel | null = null;
    const session = new TlsSession(
      base,
      cmd.options,
      () => {
        ch?.connected(fd);
        conn.startReading();
        ch?.tx.start();
        wake();
      },
      () => ch?.failedHandshake(),
    );
    ch = new StreamChannel(cmd.id, cmd.sab, session.socket, conn, wake);
    ch.session = session;
    Atomics.store(ch.hdr, Hdr.FD, fd);
    Atomics.store(ch.hdr, Hdr.STATE, State.CONNECTING);
    conn.attach(session.socket, 'flowing');
    return ch;
  }

  /**
   * Hands the socket over (to a TLS session): this channel no longer writes it, nor reads
   * into its ring (the connection may go on reading for the session: Connection.divert).
   */
  release(): net.Socket {
    this.closed = true;
    this.tx.stop(ErrCode.CLOSED);
    return this.socket;
  }

  tlsInfo(): TlsInfo | null {
    return this.session?.info() ?? null;
  }

  private failedHandshake(): void {
    Atomics.store(this.hdr, Hdr.STATE_ERR, ErrCode.CLOSED);
    Atomics.store(this.hdr, Hdr.STATE, State.FAILED);
    this.wake();
  }

  private connected(fd = handleFd(this.socket)): void {
    Atomics.store(this.hdr, Hdr.FD, fd);
    const a = this.socket.address() as Partial<net.AddressInfo> | string;
    if (typeof a === 'string') this.local = { family: 'unix', path: Buffer.from(a) };
    else if (a.address) this.local = name(a.address, a.port ?? 0, a.family);
    else if (this.pipe) this.local = { family: 'unix', path: new Uint8Array(0) };
    Atomics.store(this.hdr, Hdr.STATE, State.CONNECTED);
  }

  private failed(err: NodeJS.ErrnoException): void {
    const code = errCodeOf(err);
    this.session?.failedText(err);
    if (Atomics.load(this.hdr, Hdr.STATE) === State.CONNECTING) {
      Atomics.store(this.hdr, Hdr.STATE_ERR, code);
      Atomics.store(this.hdr, Hdr.STATE, State.FAILED);
    }
    this.tx.stop(code === ErrCode.REFUSED ? ErrCode.CLOSED : code || ErrCode.CLOSED);
    this.wake();
  }

  /** Local and peer names, as getsockname / getpeername would give them. */
  names(): { local: NameReply; peer: NameReply } {
    const s = this.socket;
    if (this.closed) return { local: { err: ErrCode.ERRNO_BASE + EBADF }, peer: { err: ErrCode.ERRNO_BASE + EBADF } };
    const local: NameReply = this.local ?? { err: ErrCode.ERRNO_BASE + EBADF };
    // A socket node:net destroyed (reset by the peer) is no longer connected, as the kernel says.
    const peer: NameReply =
      s.remoteAddress && !s.destroyed && Atomics.load(this.hdr, Hdr.STATE) === State.CONNECTED
        ? name(s.remoteAddress, s.remotePort ?? 0, s.remoteFamily)
        : { err: ErrCode.ERRNO_BASE + ENOTCONN };
    return { local, peer };
  }

  /** shutdown(SHUT_WR) once every byte taken from the ring is written; later sends fail with 'closed'. */
  shutdown(): void {
    this.tx.stop(ErrCode.CLOSED);
    if (!this.socket.destroyed) this.socket.end();
  }

  /** setsockopt as node:net can do it: TCP_NODELAY, SO_KEEPALIVE. */
  setOptions(o: SocketOptions): void {
    if (this.socket.destroyed || this.pipe) return;
    this.socket.setNoDelay(o.noDelay);
    this.socket.setKeepAlive(o.keepAlive);
  }

  /**
   * close(2), as LuaSocket's close: the kernel still delivers what it holds. Bytes node:net
   * holds (a send that timed out committed them) are flushed first, a TLS session sends
   * close_notify; `abort` resets instead.
   */
  close(abort: boolean): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.hdr, Hdr.STATE, State.GONE);
    this.tx.stop(ErrCode.CLOSED);
    const s = this.socket;
    if (abort) {
      this.connection.close(false);
      if (!s.destroyed) s.resetAndDestroy();
      return;
    }
    // A TLS session ends with close_notify (LuaSec's close does SSL_shutdown first), and
    // bytes node:net still holds go out before the end.
    if ((this.session !== null || this.tx.backlog > 0) && !s.destroyed) {
      this.connection.close(false);
      s.end(() => s.destroy());
      return;
    }
    this.connection.close(true);
  }
}

/** The OS descriptor behind a node:net socket, or -1. */
function handleFd(s: net.Socket): number {
  const fd = (s as unknown as { _handle?: { fd?: number } | null })._handle?.fd;
  return typeof fd === 'number' ? fd : -1;
}

function name(address: string, port: number, family: string | number | undefined): InetAddress {
  return { address, port, family: family === 'IPv6' || family === 6 ? 6 : 4 };
}

/**
 * Listening sockets the worker owns (portable engine). node:net accepts connections as
 * soon as they arrive, so the worker's queue plays the part of the kernel's accept queue:
 * each connection gets its channel at once, is pushed to the caller on the reply port
 * ('accepted') and counted in the listener's PENDING word; the caller takes them in order.
 *
 * node:net cannot bind without listening, so a bound socket is a listener that resets
 * every connection until the caller listens: the address stays taken, as after bind(2),
 * and a peer is turned away (reset rather than refused).
 */
import { linkSync, renameSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { errCodeOf } from '../src/errors.js';
import { type Accepted, type Command, Hdr, Layout, type Reply, type SockAddress, type SocketOptions, State } from '../src/protocol.js';
import { StreamChannel } from './stream-channel.js';

type Post = (m: Reply | Accepted) => void;

/** Ids of channels the worker creates are negative, so they never meet the caller's. */
let nextWorkerId = -1;

function boundAddress(server: net.Server): SockAddress {
  const a = server.address() as net.AddressInfo | string;
  if (typeof a === 'string') return { family: 'unix', path: Buffer.from(a) };
  return { address: a.address, port: a.port, family: a.family === 'IPv6' ? 6 : 4 };
}

/** A unix-domain path as node:net takes it. */
export function pipePath(a: SockAddress): string | null {
  return a.family === 'unix' ? Buffer.from(a.path).toString() : null;
}

export class Listener {
  private readonly hdr: Int32Array;
  private readonly server: net.Server;
  private accepting = false;
  private options: SocketOptions | null = null;

  constructor(
    private readonly cmd: Extract<Command, { op: 'bind' | 'listen' }>,
    private readonly post: Post,
    private readonly wake: () => void,
    private readonly adopt: (ch: StreamChannel) => void,
  ) {
    this.hdr = new Int32Array(cmd.sab, 0, Hdr.WORDS);
    this.server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (s) => this.connection(s));
    this.server.once('error', (err: NodeJS.ErrnoException) => {
      if (this.server.listening) return;
      post({ rid: cmd.rid, bound: { err: errCodeOf(err) } });
    });
    const a = cmd.address;
    const backlog = cmd.op === 'listen' ? cmd.backlog : undefined;
    const path = pipePath(a);
    const where = a.family === 'unix' ? { path: path as string } : { host: a.address, port: a.port, ipv6Only: cmd.ipv6Only };
    this.server.listen({ ...where, backlog, exclusive: true }, () => {
      const fd = (this.server as unknown as { _handle?: { fd?: number } | null })._handle?.fd;
      Atomics.store(this.hdr, Hdr.FD, typeof fd === 'number' ? fd : -1);
      if (cmd.op === 'listen') this.listen(cmd.rid, cmd.options);
      else post({ rid: cmd.rid, bound: boundAddress(this.server) });
    });
  }

  get address(): SockAddress | null {
    return this.server.listening ? boundAddress(this.server) : null;
  }

  /** From now on connections are kept for the caller (with these options). */
  listen(rid: number, options: SocketOptions): void {
    this.accepting = true;
    this.options = options;
    Atomics.store(this.hdr, Hdr.STATE, State.LISTENING);
    this.post({ rid, bound: boundAddress(this.server) });
  }

  private connection(socket: net.Socket): void {
    if (!this.accepting) {
      // (A pipe cannot be reset: it is just closed.)
      if (this.cmd.address.family === 'unix') socket.destroy();
      else socket.resetAndDestroy();
      return;
    }
    const id = nextWorkerId--;
    const sab = new SharedArrayBuffer(Layout.duplex);
    // An accepted unix-domain connection is named by the listener's path, as in the kernel.
    const local = this.cmd.address.family === 'unix' ? this.address : null;
    const ch = StreamChannel.accepted(id, sab, socket, this.wake, local);
    // An accepted socket inherits the listener's options, as in the kernel.
    if (this.options && this.cmd.address.family !== 'unix') ch.setOptions(this.options);
    this.adopt(ch);
    this.post({ op: 'accepted', listener: this.cmd.id, id, sab, fd: Atomics.load(ch.hdr, Hdr.FD) });
    Atomics.add(this.hdr, Hdr.PENDING, 1);
    this.wake();
  }

  /**
   * Closes the listening socket (its port is free again at once). libuv removes a pipe's
   * socket file when it closes it; close(2) leaves it (LuaSocket's "address already in
   * use" for a later bind there), so the file is kept under a second name and put back.
   */
  close(): void {
    Atomics.store(this.hdr, Hdr.STATE, State.GONE);
    const path = this.server.listening ? pipePath(this.cmd.address) : null;
    const keep = path === null ? null : `${path}.${process.pid}.${nextWorkerId--}`;
    try {
      if (path !== null && keep !== null) linkSync(path, keep);
    } catch {
      this.server.close();
      return;
    }
    this.server.close();
    if (path === null || keep === null) return;
    try {
      renameSync(keep, path);
    } catch {
      try {
        unlinkSync(keep);
      } catch {
        // Gone already.
      }
    }
  }
}

/**
 * A listening socket. The kernel's accept queue is drained by libuv as connections
 * arrive; they wait here, paused, until the caller's accept() adopts one. PENDING in the
 * channel header tells the caller (and select) how many are waiting, without a round trip.
 */
import type net from 'node:net';
import { Hdr } from '../src/protocol.js';

export class Listener {
  readonly hdr: Int32Array;
  private readonly queue: net.Socket[] = [];

  constructor(
    readonly id: number,
    sab: SharedArrayBuffer,
    readonly server: net.Server,
    private readonly wake: () => void,
  ) {
    this.hdr = new Int32Array(sab, 0, Hdr.WORDS);
    server.on('connection', (sock) => {
      // A queued connection may be reset before anyone accepts it: never let that throw.
      sock.on('error', () => {});
      this.queue.push(sock);
      Atomics.store(this.hdr, Hdr.PENDING, this.queue.length);
      this.wake();
    });
  }

  /** The oldest connection still alive, or undefined when none is waiting. */
  take(): net.Socket | undefined {
    let sock = this.queue.shift();
    while (sock?.destroyed) sock = this.queue.shift();
    Atomics.store(this.hdr, Hdr.PENDING, this.queue.length);
    return sock;
  }

  close(): void {
    for (const sock of this.queue) sock.destroy();
    this.queue.length = 0;
    Atomics.store(this.hdr, Hdr.PENDING, 0);
    this.server.close();
  }
}

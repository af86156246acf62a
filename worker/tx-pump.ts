/**
 * The write side of a socket whose writes the worker owns (portable engine, TLS): takes
 * bytes the caller put in the tx ring and writes them to node:net straight from the ring.
 *
 * A byte counts as sent (TX_DONE) only once node:net's userland queue is empty past it,
 * i.e. the kernel holds it, as LuaSocket counts what send(2) accepted. The pump writes one
 * piece at a time and takes the next only when the previous is wholly in the kernel, so
 * at most one piece is ever committed without being in the kernel (protocol.ts, tx). The
 * ring space of a piece is reused only after that, so node:net may write from it directly.
 */
import type { Socket } from 'node:net';
import { Hdr, Layout, TX_PIECE_BYTES, TX_RING_BYTES } from '../src/protocol.js';

export class TxPump {
  private readonly hdr: Int32Array;
  private readonly sab: SharedArrayBuffer;
  /** Counter of bytes taken from the ring (the start of the next piece). */
  private taken = 0;
  /** A piece node:net has not handed to the kernel yet: its end counter, or -1. */
  private inFlight = -1;
  /** A wait for the caller's next bytes (Atomics.waitAsync on TX_AVAIL) is armed. */
  private waiting = false;
  private stopped = false;

  constructor(
    sab: SharedArrayBuffer,
    private readonly socket: Socket,
    private readonly wake: () => void,
  ) {
    this.sab = sab;
    this.hdr = new Int32Array(sab, 0, Hdr.WORDS);
  }

  /** Starts writing (once the socket is connected). */
  start(): void {
    this.pump();
  }

  /** No more writes: the socket failed, or was shut down or closed. */
  stop(errCode: number): void {
    this.stopped = true;
    if (Atomics.load(this.hdr, Hdr.TX_ERR) === 0) Atomics.store(this.hdr, Hdr.TX_ERR, errCode);
    // Settles a pending waitAsync, which would otherwise hold the channel's memory forever.
    Atomics.notify(this.hdr, Hdr.TX_AVAIL);
    this.wake();
  }

  /** Bytes node:net still holds (not in the kernel yet). */
  get backlog(): number {
    return this.socket.writableLength;
  }

  private pump(): void {
    while (!this.stopped && this.inFlight < 0) {
      const avail = Atomics.load(this.hdr, Hdr.TX_AVAIL);
      if (avail <= 0) {
        this.awaitBytes();
        return;
      }
      const off = this.taken & (TX_RING_BYTES - 1);
      const n = Math.min(avail, TX_PIECE_BYTES, TX_RING_BYTES - off);
      // The caller may take back untaken bytes at any moment (a send timing out): claim
      // this piece only if nothing changed meanwhile.
      if (Atomics.compareExchange(this.hdr, Hdr.TX_AVAIL, avail, avail - n) !== avail) continue;
      this.taken = (this.taken + n) >>> 0;
      const end = this.taken;
      // The callback runs once the piece left node:net's queue (the kernel, or TLS below, has it).
      this.socket.write(new Uint8Array(this.sab, Layout.txOffset + off, n), (err) => {
        if (!err) this.written(end);
      });
      // A write that failed at once (EPIPE, reset) took nothing: the 'error' event stops the pump.
      if (this.socket.errored || this.socket.destroyed) return;
      if (this.socket.writableLength > 0) {
        // The kernel is full (the peer is not reading): the rest goes when it drains.
        this.inFlight = end;
        Atomics.store(this.hdr, Hdr.TX_BLOCKED, 1);
        this.wake();
        return;
      }
      this.publish();
    }
  }

  /** A piece node:net held is written: if it is the one the pump waits for, go on. */
  private written(end: number): void {
    if (this.inFlight !== end) return;
    this.inFlight = -1;
    Atomics.store(this.hdr, Hdr.TX_BLOCKED, 0);
    this.publish();
    this.pump();
  }

  private publish(): void {
    Atomics.store(this.hdr, Hdr.TX_DONE, this.taken | 0);
    this.wake();
  }

  /** Waits (without blocking the worker) for the caller to add bytes; the caller notifies TX_AVAIL. */
  private awaitBytes(): void {
    if (this.waiting || this.stopped) return;
    this.waiting = true;
    const r = Atomics.waitAsync(this.hdr, Hdr.TX_AVAIL, 0);
    const go = () => {
      this.waiting = false;
      this.pump();
    };
    if (r.async) void r.value.then(go);
    else queueMicrotask(go);
  }
}

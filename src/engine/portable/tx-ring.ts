/**
 * The caller's side of a tx ring (protocol.ts, tx): sends for sockets whose writes the I/O
 * worker owns (portable engine, TLS). A send copies its bytes into the ring, wakes the
 * worker's pump, and returns once the kernel holds them all; on a timeout it takes back
 * what the worker has not taken, so the index it reports is what the peer will get.
 */
import { ErrCode, Hdr, Layout, SETTLE_MS, TX_RING_BYTES } from '../../protocol.js';
import type { Timeout } from '../../timeout.js';
import type { WorkerLink } from '../worker-link.js';

const TX_MASK = TX_RING_BYTES - 1;

export class TxRing {
  private readonly hdr: Int32Array;
  private readonly ring: Uint8Array;
  /** Counter of bytes put in the ring (the worker's TX_DONE catches up with it). */
  private head = 0;

  constructor(sab: SharedArrayBuffer) {
    this.hdr = new Int32Array(sab, 0, Hdr.WORDS);
    this.ring = new Uint8Array(sab, Layout.txOffset, TX_RING_BYTES);
  }

  private done(): number {
    return Atomics.load(this.hdr, Hdr.TX_DONE) >>> 0;
  }

  /** select: would a send make progress now (room in the kernel, or an error to report)? */
  writable(): boolean {
    return Atomics.load(this.hdr, Hdr.TX_ERR) !== 0 || (Atomics.load(this.hdr, Hdr.TX_BLOCKED) === 0 && this.done() === this.head);
  }

  /**
   * Sends all of `data` unless it times out or fails: [bytes committed, 0 or an ErrCode].
   * With timeout 0 it waits only for the worker to hand the bytes to the kernel (at most
   * SETTLE_MS), as a non-blocking send(2) takes what fits at once.
   */
  send(data: Uint8Array, tm: Timeout, link: WorkerLink): [number, number] {
    const start = this.head;
    let off = 0;
    const settle = tm.immediate ? performance.now() + SETTLE_MS : 0;
    for (;;) {
      const err = Atomics.load(this.hdr, Hdr.TX_ERR);
      if (err !== 0) {
        // The socket failed: only what the kernel took was sent (a failed write takes nothing).
        const committed = this.retract(start);
        return [Math.max(0, Math.min(committed, (this.done() - start) | 0)), err];
      }
      const free = TX_RING_BYTES - ((this.head - this.done()) >>> 0);
      if (off < data.length && free > 0) {
        off += this.put(data, off, free);
        continue;
      }
      if (off === data.length && this.done() === this.head) return [data.length, 0];
      const progressed = () =>
        Atomics.load(this.hdr, Hdr.TX_ERR) !== 0 ||
        this.done() === this.head ||
        (off < data.length && TX_RING_BYTES - ((this.head - this.done()) >>> 0) > 0) ||
        (tm.immediate && Atomics.load(this.hdr, Hdr.TX_BLOCKED) !== 0);
      const deadline = tm.immediate ? settle : tm.waitDeadline();
      if (!link.waitUntil(progressed, deadline) || (tm.immediate && Atomics.load(this.hdr, Hdr.TX_BLOCKED) !== 0)) {
        const committed = this.retract(start);
        // Every byte was taken: all of it reaches the peer, so the send is complete.
        return [committed, committed === data.length ? 0 : ErrCode.TIMEOUT];
      }
    }
  }

  /** Copies what fits of data[off...] into the ring and hands it to the worker. */
  private put(data: Uint8Array, off: number, free: number): number {
    const at = this.head & TX_MASK;
    const n = Math.min(free, data.length - off, TX_RING_BYTES - at);
    this.ring.set(data.subarray(off, off + n), at);
    this.head = (this.head + n) >>> 0;
    Atomics.add(this.hdr, Hdr.TX_AVAIL, n);
    Atomics.notify(this.hdr, Hdr.TX_AVAIL);
    return n;
  }

  /** Takes back the bytes the worker has not taken; returns how many of this send's bytes are committed. */
  private retract(start: number): number {
    const untaken = Atomics.exchange(this.hdr, Hdr.TX_AVAIL, 0);
    this.head = (this.head - untaken) >>> 0;
    return (this.head - start) >>> 0;
  }
}

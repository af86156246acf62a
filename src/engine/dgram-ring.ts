/**
 * The caller's side of a datagram channel (protocol.ts, Dg): takes the records the I/O
 * worker appended, one datagram each, without a round trip, and the socket's pending
 * error. A taken record's bytes stay valid until release(), so results can be decoded
 * straight from shared memory before the worker may reuse the space.
 */
import { errText } from '../errors.js';
import { DG_RECORD_HEADER, DG_WRAP, DGRAM_RING_BYTES, Dg, DgLayout, SETTLE_MS } from '../protocol.js';
import type { Timeout } from '../timeout.js';
import type { DatagramRead } from './types.js';
import type { WorkerLink } from './worker-link.js';

const MASK = DGRAM_RING_BYTES - 1;

/** One datagram in the ring: its payload at [offset, offset + length), and its sender. */
export interface DatagramRecord {
  offset: number;
  length: number;
  family: 4 | 6;
  address: string;
  port: number;
}

export class DatagramRing {
  readonly hdr: Int32Array;
  readonly ring: Buffer;
  /** Counter of the next record to take (published to the worker by release()). */
  #read = 0;

  constructor(readonly sab: SharedArrayBuffer) {
    this.hdr = new Int32Array(sab, 0, Dg.WORDS);
    this.ring = Buffer.from(sab, DgLayout.ringOffset, DGRAM_RING_BYTES);
  }

  /** Hands the space of taken records back to the worker (their bytes were decoded or copied). */
  release(): void {
    if (Atomics.load(this.hdr, Dg.TAIL) >>> 0 !== this.#read) Atomics.store(this.hdr, Dg.TAIL, this.#read | 0);
  }

  /** The socket's pending error (an ErrCode), taken once; 0 when there is none. */
  takeError(): number {
    return Atomics.load(this.hdr, Dg.ERR) === 0 ? 0 : Atomics.exchange(this.hdr, Dg.ERR, 0);
  }

  /** A datagram or an error is waiting (select's readability, a receive's wake-up). */
  hasNews(): boolean {
    return Atomics.load(this.hdr, Dg.HEAD) >>> 0 !== this.#read || Atomics.load(this.hdr, Dg.ERR) !== 0;
  }

  /** The next datagram, taken (its sender's address decoded only when `wantFrom`), or null. */
  take(wantFrom: boolean): DatagramRecord | null {
    const head = Atomics.load(this.hdr, Dg.HEAD) >>> 0;
    while (this.#read !== head) {
      const o = this.#read & MASK;
      const length = this.ring.readUInt32LE(o);
      if (length === DG_WRAP) {
        this.#read = (this.#read + (DGRAM_RING_BYTES - o)) >>> 0;
        continue;
      }
      const alen = this.ring[o + 7] as number;
      const rec: DatagramRecord = {
        offset: o + DG_RECORD_HEADER + alen,
        length,
        family: this.ring[o + 6] === 6 ? 6 : 4,
        address: wantFrom ? this.ring.toString('latin1', o + DG_RECORD_HEADER, o + DG_RECORD_HEADER + alen) : '',
        port: this.ring.readUInt16LE(o + 4),
      };
      this.#read = (this.#read + ((DG_RECORD_HEADER + alen + length + 3) & ~3)) >>> 0;
      return rec;
    }
    return null;
  }
}

/**
 * A receive from a datagram ring (both engines): the socket's pending error first, else the
 * next datagram cut to `size` (the rest of it is dropped, as the kernel drops it), waiting
 * per `tm`. `kernelAhead` says the kernel holds a datagram the worker has not moved yet (a
 * call with timeout 0 then gives the worker a moment, as TCP receives do).
 */
export function receiveFromRing(
  ring: DatagramRing,
  link: WorkerLink,
  size: number,
  tm: Timeout,
  wantFrom: boolean,
  kernelAhead: () => boolean = () => false,
): DatagramRead {
  // What the previous receive returned has been decoded by now.
  ring.release();
  for (;;) {
    const pending = ring.takeError();
    if (pending) return { err: errText(pending) };
    const rec = ring.take(wantFrom);
    if (rec) {
      const end = rec.offset + Math.min(rec.length, size);
      return {
        buf: ring.ring,
        start: rec.offset,
        end,
        from: wantFrom ? { family: rec.family, address: rec.address, port: rec.port } : null,
      };
    }
    if (tm.immediate) {
      if (kernelAhead() && link.waitUntil(() => ring.hasNews(), performance.now() + SETTLE_MS)) continue;
      return { err: 'timeout' };
    }
    if (!link.waitUntil(() => ring.hasNews(), tm.waitDeadline())) return { err: 'timeout' };
  }
}

/**
 * The worker's side of a datagram ring (protocol.ts, Dg): appends each datagram node:dgram
 * delivers as one record, and keeps an ICMP error (a recvmsg failure on a connected
 * socket) as the socket's pending error. When the ring is full the datagram is dropped,
 * as the kernel drops what does not fit its buffer: memory stays bounded.
 */
import type dgram from 'node:dgram';
import { errCodeOf } from '../src/errors.js';
import { DG_RECORD_HEADER, DG_WRAP, DGRAM_RING_BYTES, Dg, DgLayout } from '../src/protocol.js';

const MASK = DGRAM_RING_BYTES - 1;

export class DatagramWriter {
  readonly hdr: Int32Array;
  private readonly ring: Buffer;
  closed = false;

  constructor(
    sab: SharedArrayBuffer,
    private readonly wake: () => void,
  ) {
    this.hdr = new Int32Array(sab, 0, Dg.WORDS);
    this.ring = Buffer.from(sab, DgLayout.ringOffset, DGRAM_RING_BYTES);
  }

  /** An error of the receive side (an ICMP error on a connected socket): the socket's pending error. */
  failed(err: NodeJS.ErrnoException): void {
    if (this.closed || err.syscall !== 'recvmsg') return;
    Atomics.store(this.hdr, Dg.ERR, errCodeOf(err));
    this.wake();
  }

  /** Appends one datagram to the ring, or drops it when the ring is full. */
  push(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closed) return;
    const addr = rinfo.address;
    const size = (DG_RECORD_HEADER + addr.length + msg.length + 3) & ~3;
    const head = Atomics.load(this.hdr, Dg.HEAD) >>> 0;
    const tail = Atomics.load(this.hdr, Dg.TAIL) >>> 0;
    const free = DGRAM_RING_BYTES - ((head - tail) >>> 0);
    let at = head;
    const off = head & MASK;
    const room = DGRAM_RING_BYTES - off;
    if (size > room) {
      // A record never wraps: mark the rest of the ring as skipped and start over.
      if (room + size > free) {
        this.drop();
        return;
      }
      this.ring.writeUInt32LE(DG_WRAP, off);
      at = (head + room) >>> 0;
    } else if (size > free) {
      this.drop();
      return;
    }
    const o = at & MASK;
    this.ring.writeUInt32LE(msg.length, o);
    this.ring.writeUInt16LE(rinfo.port, o + 4);
    this.ring[o + 6] = rinfo.family === 'IPv6' ? 6 : 4;
    this.ring[o + 7] = addr.length;
    this.ring.write(addr, o + DG_RECORD_HEADER, 'latin1');
    msg.copy(this.ring, o + DG_RECORD_HEADER + addr.length);
    Atomics.store(this.hdr, Dg.HEAD, (at + size) | 0);
    this.wake();
  }

  private drop(): void {
    Atomics.add(this.hdr, Dg.DROPPED, 1);
  }
}

/**
 * One node:net socket and its channel: incoming bytes go into the rx ring, outgoing bytes
 * are drained from the tx ring. Backpressure both ways: the socket is paused while the rx
 * ring is full, and the tx ring is only drained as fast as the kernel takes the data, so
 * the caller's send blocks (and can time out) exactly when the peer stops reading.
 */
import type { Socket } from 'node:net';
import { ConnState, ErrCode, Hdr, Layout, RX_RING_BYTES, RxFlag, TX_RING_BYTES } from '../src/protocol.js';
import { errCodeOf } from '../src/errors.js';

/** Largest single write handed to the kernel from the tx ring. */
const MAX_WRITE = 256 * 1024;

export class Connection {
  readonly hdr: Int32Array;
  private readonly rx: Buffer;
  private readonly tx: Buffer;
  /** Bytes that arrived while the rx ring was full, oldest first. */
  private pending: Buffer[] = [];
  private eofSeen = false;
  private errSeen = 0;
  private writing = false;
  private closed = false;

  constructor(
    readonly id: number,
    sab: SharedArrayBuffer,
    readonly socket: Socket,
    private readonly wake: () => void,
  ) {
    this.hdr = new Int32Array(sab, 0, Hdr.WORDS);
    this.rx = Buffer.from(sab, Layout.rxOffset, RX_RING_BYTES);
    this.tx = Buffer.from(sab, Layout.txOffset, TX_RING_BYTES);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      this.eofSeen = true;
      this.publishRx();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => this.onError(err));
    socket.on('close', () => {
      // A socket destroyed without 'end' or 'error' (e.g. closed locally) reads as closed.
      if (!this.eofSeen && !this.errSeen) this.eofSeen = true;
      this.publishRx();
      if (!Atomics.load(this.hdr, Hdr.TX_ERR)) Atomics.store(this.hdr, Hdr.TX_ERR, ErrCode.CLOSED);
      this.wake();
    });
  }

  /** Called once the socket is connected (or was accepted): record the fd, start reading. */
  established(): void {
    const fd = (this.socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
    Atomics.store(this.hdr, Hdr.FD, typeof fd === 'number' ? fd : -1);
    this.socket.resume();
  }

  private free(): number {
    const head = Atomics.load(this.hdr, Hdr.RX_HEAD) >>> 0;
    const tail = Atomics.load(this.hdr, Hdr.RX_TAIL) >>> 0;
    return RX_RING_BYTES - ((head - tail) >>> 0);
  }

  /** Copies as much of `chunk` as fits into the rx ring; returns the bytes copied. */
  private put(chunk: Buffer): number {
    const n = Math.min(chunk.length, this.free());
    if (n === 0) return 0;
    const head = Atomics.load(this.hdr, Hdr.RX_HEAD) >>> 0;
    const off = head & (RX_RING_BYTES - 1);
    const first = Math.min(n, RX_RING_BYTES - off);
    chunk.copy(this.rx, off, 0, first);
    if (first < n) chunk.copy(this.rx, 0, first, n);
    Atomics.store(this.hdr, Hdr.RX_HEAD, (head + n) | 0);
    return n;
  }

  private onData(chunk: Buffer): void {
    if (this.pending.length === 0) {
      const n = this.put(chunk);
      if (n < chunk.length) this.pending.push(chunk.subarray(n));
    } else {
      this.pending.push(chunk);
    }
    if (this.pending.length > 0) {
      this.socket.pause();
      Atomics.or(this.hdr, Hdr.RX_FLAGS, RxFlag.PAUSED);
      // The caller may have consumed between our check and the flag: retry once.
      this.flushPending();
    }
    this.wake();
  }

  /** The caller freed rx space (it saw PAUSED): move pending bytes in, maybe resume. */
  resume(): void {
    this.flushPending();
    this.wake();
  }

  private flushPending(): void {
    while (this.pending.length > 0) {
      const chunk = this.pending[0] as Buffer;
      const n = this.put(chunk);
      if (n < chunk.length) {
        this.pending[0] = chunk.subarray(n);
        return;
      }
      this.pending.shift();
    }
    Atomics.and(this.hdr, Hdr.RX_FLAGS, ~RxFlag.PAUSED);
    this.publishRx();
    if (!this.closed && !this.eofSeen && !this.errSeen) this.socket.resume();
  }

  /** EOF and errors are published only after every byte before them reached the ring. */
  private publishRx(): void {
    if (this.pending.length > 0) return;
    if (this.errSeen) {
      Atomics.store(this.hdr, Hdr.RX_ERR, this.errSeen);
      Atomics.or(this.hdr, Hdr.RX_FLAGS, RxFlag.ERROR);
    } else if (this.eofSeen) {
      Atomics.or(this.hdr, Hdr.RX_FLAGS, RxFlag.EOF);
    }
    this.wake();
  }

  private onError(err: NodeJS.ErrnoException): void {
    const code = errCodeOf(err);
    if (Atomics.load(this.hdr, Hdr.CONN_STATE) === ConnState.PENDING) {
      Atomics.store(this.hdr, Hdr.CONN_ERR, code);
      Atomics.store(this.hdr, Hdr.CONN_STATE, ConnState.FAILED);
    }
    // A reset after the peer's FIN still means the stream ended; reads say "closed".
    this.errSeen = code === ErrCode.TIMEOUT ? code : code || ErrCode.CLOSED;
    if (code === ErrCode.REFUSED) this.errSeen = ErrCode.CLOSED;
    Atomics.store(this.hdr, Hdr.TX_ERR, ErrCode.CLOSED);
    this.publishRx();
  }

  /** The caller wrote into the tx ring. */
  drain(): void {
    if (this.writing || this.closed) return;
    const head = Atomics.load(this.hdr, Hdr.TX_HEAD) >>> 0;
    const tail = Atomics.load(this.hdr, Hdr.TX_TAIL) >>> 0;
    const avail = (head - tail) >>> 0;
    if (avail === 0) return;
    if (Atomics.load(this.hdr, Hdr.TX_ERR) || this.socket.destroyed || !this.socket.writable) {
      if (!Atomics.load(this.hdr, Hdr.TX_ERR)) Atomics.store(this.hdr, Hdr.TX_ERR, ErrCode.CLOSED);
      this.wake();
      return;
    }
    const off = tail & (TX_RING_BYTES - 1);
    const n = Math.min(avail, TX_RING_BYTES - off, MAX_WRITE);
    this.writing = true;
    // Written straight from shared memory: the tail only moves once the kernel has the
    // bytes, so the caller cannot overwrite them while the write is in flight.
    this.socket.write(this.tx.subarray(off, off + n), (err) => {
      this.writing = false;
      if (err) {
        Atomics.store(this.hdr, Hdr.TX_ERR, ErrCode.CLOSED);
        this.wake();
        return;
      }
      Atomics.store(this.hdr, Hdr.TX_TAIL, (tail + n) | 0);
      this.wake();
      if (this.eofSeen) this.probeReset();
      this.drain();
    });
  }

  /**
   * After the peer's FIN, a write makes the peer answer with RST. Node only notices that
   * on the next write, but LuaSocket's next send() sees it at once: probe with an empty
   * write once the RST had time to arrive, so a later send reports "closed".
   */
  private probeReset(): void {
    setTimeout(() => {
      if (this.closed || this.socket.destroyed) return;
      const handle = (this.socket as unknown as { _handle?: { fd?: number } })._handle;
      if (!handle) return;
      this.socket.write(Buffer.alloc(0), (err) => {
        if (err) {
          Atomics.store(this.hdr, Hdr.TX_ERR, ErrCode.CLOSED);
          this.wake();
        }
      });
    }, 5).unref();
  }

  shutdown(how: 'send' | 'receive' | 'both'): void {
    if (how !== 'receive') {
      Atomics.store(this.hdr, Hdr.TX_ERR, ErrCode.CLOSED);
      if (!this.socket.destroyed) this.socket.end();
    }
    this.wake();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = [];
    this.socket.destroy();
  }
}

/**
 * One node:net socket and its rx ring: incoming bytes go into the ring, and the socket is
 * paused while the ring is full, so a peer that floods a script that does not read holds
 * memory at the ring's size. Sends do not pass through here (native engine: the caller
 * writes into the kernel; portable engine: tx-pump.ts).
 *
 * Sockets this worker creates read with node:net's `onread` straight into the ring and
 * stop reading while it is nearly full: the bytes wait in the kernel, as they do for
 * LuaSocket, and nothing is ever copied aside. Sockets a node:net server accepted cannot
 * use `onread`, and read through 'data' events ('flowing'): a chunk that does not fit
 * waits in `pending` (node:net's own Buffer, no copy) with the socket paused.
 */
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import { errCodeOf } from '../src/errors.js';
import { native } from '../src/native.js';
import { ErrCode, Hdr, Layout, RX_RING_BYTES, RxFlag } from '../src/protocol.js';

const { ECONNRESET } = constants.errno;

/** An onread socket stops reading when the ring has less free room than this. */
const MIN_READ_ROOM = 16 * 1024;
/** Reads of a socket whose bytes go to a TLS session (copied out: the session keeps them). */
const DIVERTED_READ_BYTES = 64 * 1024;

export class Connection {
  readonly hdr: Int32Array;
  private readonly rx: Buffer;
  /** 'flowing' sockets: chunks that arrived while the rx ring was full, oldest first. */
  private pending: Buffer[] = [];
  private eofSeen = false;
  private errSeen = 0;
  private closed = false;
  private socket!: Socket;
  /** Where reads land once the bytes go to a TLS session (see divert()). */
  private spill: Buffer | null = null;
  /** A wait for ring space (awaitRoom) is armed. */
  private roomWait = false;
  /** How the socket delivers bytes (see the file comment). */
  private mode: 'onread' | 'flowing' = 'onread';
  /** Where bytes go instead of the ring once a TLS session took the byte stream over. */
  private diverted: ((b: Buffer | null) => void) | null = null;

  constructor(
    readonly id: number,
    private readonly sab: SharedArrayBuffer,
    private readonly wake: () => void,
  ) {
    this.hdr = new Int32Array(sab, 0, Hdr.WORDS);
    this.rx = Buffer.from(sab, Layout.rxOffset, RX_RING_BYTES);
  }

  /**
   * node:net's `onread` option for sockets this worker creates: the kernel's bytes are
   * read straight into the ring (no copy, no per-read allocation, no stream machinery).
   */
  onread(): { buffer: () => Uint8Array; callback: (n: number, buf: Uint8Array) => boolean } {
    return { buffer: () => this.nextReadBuffer(), callback: (n, buf) => this.onRead(n, buf) };
  }

  /**
   * The ring's contiguous free room at the head. Reading stops (onRead) before the free room
   * drops below MIN_READ_ROOM, so there always is some: libuv takes an empty buffer for an error.
   */
  private nextReadBuffer(): Uint8Array {
    if (this.diverted) {
      this.spill ??= Buffer.allocUnsafe(DIVERTED_READ_BYTES);
      return this.spill;
    }
    const head = Atomics.load(this.hdr, Hdr.RX_HEAD) >>> 0;
    const off = head & (RX_RING_BYTES - 1);
    const room = Math.min(this.free(), RX_RING_BYTES - off);
    return new Uint8Array(this.sab, Layout.rxOffset + off, Math.max(room, 1));
  }

  private onRead(n: number, buf: Uint8Array): boolean {
    // Closed while a graceful close flushes writes: what still arrives is dropped.
    if (this.closed) return true;
    if (this.diverted) {
      this.diverted(Buffer.from(buf.subarray(0, n)));
      return true;
    }
    // Read in place: the bytes are already at the head.
    const head = Atomics.load(this.hdr, Hdr.RX_HEAD) >>> 0;
    Atomics.store(this.hdr, Hdr.RX_HEAD, (head + n) | 0);
    if (this.free() >= MIN_READ_ROOM) {
      this.dataWake();
      return true;
    }
    // Nearly full: stop reading until the caller frees room; the rest waits in the kernel.
    Atomics.or(this.hdr, Hdr.RX_FLAGS, RxFlag.PAUSED);
    this.wake();
    this.awaitRoom();
    return false;
  }

  /**
   * Paused (ring nearly full, or bytes pending): resume once the caller frees enough ring
   * space. The caller signals that with Atomics.notify on RX_TAIL (no message, no round
   * trip); waitAsync turns it into a task here. Room that appeared before the wait was
   * armed is seen by the roomToResume() check. Resuming is always deferred to a later
   * microtask, after node:net has stopped the read.
   */
  private awaitRoom(): void {
    if (this.closed || this.roomWait) return;
    this.roomWait = true;
    const go = () => {
      this.roomWait = false;
      if (this.closed) return;
      if (this.roomToResume()) this.resume();
      else this.awaitRoom();
    };
    const tail = Atomics.load(this.hdr, Hdr.RX_TAIL);
    if (this.roomToResume()) {
      queueMicrotask(go);
      return;
    }
    const r = Atomics.waitAsync(this.hdr, Hdr.RX_TAIL, tail);
    if (r.async) void r.value.then(go);
    else queueMicrotask(go);
  }

  /** Enough free room to go on: a chunk set aside needs any, a read into the ring MIN_READ_ROOM. */
  private roomToResume(): boolean {
    return this.free() >= (this.pending.length > 0 ? 1 : MIN_READ_ROOM);
  }

  /** Takes over the events of a socket made with onread(), or of an accepted one ('flowing'). */
  attach(socket: Socket, mode: 'onread' | 'flowing' = 'onread'): void {
    this.socket = socket;
    this.mode = mode;
    if (mode === 'flowing') socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      // libuv reports the end of the stream when the peer's reset comes with the last
      // bytes (hang-up after a partial read); the kernel still holds the reset as the
      // socket's error, which LuaSocket's next recv would return.
      const pending = this.diverted ? 0 : pendingError(socket);
      if (pending) this.errSeen = pending;
      else this.eofSeen = true;
      if (this.diverted) this.diverted(null);
      else this.publishRx();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => this.onError(err));
    socket.on('close', () => {
      // A socket destroyed without 'end' or 'error' (e.g. closed locally) reads as closed.
      if (!this.eofSeen && !this.errSeen) this.eofSeen = true;
      this.publishRx();
    });
  }

  /**
   * What was read from ring counter `from` on and is still unread by anyone (the ring past
   * it, then the bytes set aside): a TLS session taking the connection over starts there.
   */
  takeUnread(from: number): Buffer {
    const head = Atomics.load(this.hdr, Hdr.RX_HEAD) >>> 0;
    const n = Math.min((head - from) >>> 0, RX_RING_BYTES);
    const off = from & (RX_RING_BYTES - 1);
    const first = Math.min(n, RX_RING_BYTES - off);
    const parts = [Buffer.from(this.rx.subarray(off, off + first)), Buffer.from(this.rx.subarray(0, n - first)), ...this.pending];
    this.pending = [];
    Atomics.store(this.hdr, Hdr.RX_TAIL, head | 0);
    return Buffer.concat(parts);
  }

  /** From now on every byte (and the end) goes to `sink`, not the ring; reading goes on. */
  divert(sink: (b: Buffer | null) => void): void {
    this.diverted = sink;
    Atomics.and(this.hdr, Hdr.RX_FLAGS, ~RxFlag.PAUSED);
    if (this.eofSeen) sink(null);
    else this.startReading();
  }

  /** A chunk of a flowing socket: into the ring, the rest aside with the socket paused. */
  private onData(chunk: Buffer): void {
    if (this.closed) return;
    if (this.diverted) {
      this.diverted(chunk);
      return;
    }
    const put = this.pending.length === 0 ? this.put(chunk) : 0;
    if (put < chunk.length) {
      this.pending.push(put === 0 ? chunk : chunk.subarray(put));
      this.socket.pause();
      Atomics.or(this.hdr, Hdr.RX_FLAGS, RxFlag.PAUSED);
      this.awaitRoom();
      this.wake();
      return;
    }
    this.dataWake();
  }

  /**
   * Wakes the caller for new bytes, unless a blocked receive said it needs more than there
   * is now (protocol.ts, RX_WANT): it would only go back to sleep.
   */
  private dataWake(): void {
    if ((Atomics.load(this.hdr, Hdr.RX_FLAGS) & RxFlag.WANT) !== 0) {
      const head = Atomics.load(this.hdr, Hdr.RX_HEAD);
      if (((head - Atomics.load(this.hdr, Hdr.RX_WANT)) | 0) < 0) return;
    }
    this.wake();
  }

  /**
   * (Re)starts reading. An onread socket bypasses the Readable machinery, whose state would
   * not restart a read that the callback stopped: restart the handle itself, as net's
   * tryReadStart does.
   */
  startReading(): void {
    if (this.mode === 'flowing') {
      this.socket.resume();
      return;
    }
    const handle = (this.socket as unknown as { _handle?: { reading?: boolean; readStart(): number } | null })._handle;
    if (handle && !handle.reading) {
      handle.reading = true;
      if (handle.readStart() !== 0) this.socket.destroy();
    }
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

  /** The caller freed rx space: move pending bytes in, maybe resume. */
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
        this.awaitRoom();
        return;
      }
      this.pending.shift();
    }
    Atomics.and(this.hdr, Hdr.RX_FLAGS, ~RxFlag.PAUSED);
    this.publishRx();
    if (!this.closed && !this.eofSeen && !this.errSeen) this.startReading();
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
    // A reset after the peer's FIN still means the stream ended; reads say "closed".
    this.errSeen = code === ErrCode.TIMEOUT ? code : code || ErrCode.CLOSED;
    if (code === ErrCode.REFUSED) this.errSeen = ErrCode.CLOSED;
    this.publishRx();
  }

  /**
   * Stops reading into the ring and, unless the owner closes the socket itself (a graceful
   * close that must flush writes first), destroys the socket. In the native engine the
   * caller closes its own descriptor of the socket as well.
   */
  close(destroySocket = true): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = [];
    // Settles a pending waitAsync (awaitRoom), which would otherwise hold the ring forever.
    Atomics.notify(this.hdr, Hdr.RX_TAIL);
    if (destroySocket) this.socket.destroy();
  }
}

/** The socket's pending error (SO_ERROR, read through the native helper when it loaded) as an ErrCode, or 0. */
function pendingError(socket: Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: number } | null })._handle?.fd;
  if (native === null || typeof fd !== 'number' || fd < 0) return 0;
  const errno = native.getSocketError(fd);
  if (errno <= 0) return 0;
  return errno === ECONNRESET ? ErrCode.RESET : ErrCode.ERRNO_BASE + errno;
}

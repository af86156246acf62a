/**
 * The data side of a TLS connection (both engines): the I/O worker runs the session
 * (worker/tls-session.ts) over the socket the TCP object handed over, and its plaintext
 * moves through the channel's rings like any stream's: rx into buffer.ts's Stream, tx
 * through a TxRing. The handshake starts at the first dohandshake (or data call), once the
 * SNI name is known, and its progress is the channel's STATE word.
 */
import { type RxHost, Stream } from '../buffer.js';
import { TxRing } from '../engine/portable/tx-ring.js';
import type { DataHandle, Owner, Readiness, StreamHandle } from '../engine/types.js';
import { type WorkerLink, workerLink } from '../engine/worker-link.js';
import { ErrCode, Hdr, Layout, NO_TLS_INFO, State, type TlsInfo, type TlsOptions, type TlsSource } from '../protocol.js';
import type { Timeout } from '../timeout.js';

/** Outcome of a handshake step: done, still going (LuaSec's 'wantread'), or failed with LuaSec's text. */
export type Handshake = { done: true } | { done: false; err: string };

export class TlsHandle implements DataHandle, RxHost {
  readonly link: WorkerLink = workerLink();
  readonly #id: number;
  readonly #sab = new SharedArrayBuffer(Layout.duplex);
  readonly #hdr = new Int32Array(this.#sab, 0, Hdr.WORDS);
  #started = false;
  #closed = false;
  /** dohandshake answered 'wantread': select reports the connection once the handshake settled. */
  #waitingHandshake = false;
  #stream: Stream | null = null;
  #tx: TxRing | null = null;
  #info: TlsInfo | null = null;

  constructor(
    /** The TCP handle the connection came from: it still holds the caller's descriptor (native). */
    private readonly base: StreamHandle,
    private readonly source: TlsSource,
    readonly options: TlsOptions,
    private readonly owner: Owner,
  ) {
    this.#id = this.link.newId();
    this.#hdr[Hdr.FD] = base.fd;
    this.#hdr[Hdr.STATE] = State.IDLE;
  }

  get fd(): number {
    return this.#closed ? -1 : Atomics.load(this.#hdr, Hdr.FD);
  }

  get open(): boolean {
    return !this.#closed;
  }

  #state(): number {
    return Atomics.load(this.#hdr, Hdr.STATE);
  }

  /** Starts the session if needed and waits per `tm` for the handshake to settle. */
  handshake(tm: Timeout): Handshake {
    if (this.#closed) return { done: false, err: 'closed' };
    if (!this.#started) {
      this.#started = true;
      Atomics.store(this.#hdr, Hdr.STATE, State.CONNECTING);
      this.link.post({ op: 'tls', id: this.#id, sab: this.#sab, source: this.source, options: this.options });
    }
    if (this.#state() === State.CONNECTING && !tm.immediate) {
      this.link.waitUntil(() => this.#state() !== State.CONNECTING, tm.waitDeadline());
    }
    const s = this.#state();
    this.#waitingHandshake = s === State.CONNECTING;
    if (s === State.CONNECTED || s === State.GONE) return { done: true };
    if (s === State.CONNECTING) return { done: false, err: 'wantread' };
    return { done: false, err: this.info().error ?? 'closed' };
  }

  /** The session's details, fetched once the handshake settled (they do not change after). */
  info(): TlsInfo {
    if (this.#info) return this.#info;
    if (!this.#started || this.#closed || this.#state() === State.CONNECTING) return NO_TLS_INFO;
    const r = this.link.call({ op: 'tls-info', id: this.#id });
    const info = r !== null && 'tls' in r ? r.tls : NO_TLS_INFO;
    this.#info = info;
    return info;
  }

  /** A data call before the handshake is done does the handshake first, as SSL_read/SSL_write do. */
  #ready(tm: Timeout): number {
    const h = this.handshake(tm);
    if (h.done) return 0;
    return h.err === 'wantread' ? ErrCode.TIMEOUT : ErrCode.CLOSED;
  }

  send(data: Uint8Array, tm: Timeout): [number, number] {
    const err = this.#ready(tm);
    if (err) return [0, err];
    this.#tx ??= new TxRing(this.#sab);
    return this.#tx.send(data, tm, this.link);
  }

  reader(tm: Timeout): Stream | null {
    if (this.#stream) return this.#stream;
    if (this.#ready(tm) !== 0) return null;
    this.#stream = new Stream(this.#sab, this, this.owner.tm, this.owner.stats);
    return this.#stream;
  }

  kernelAhead(): boolean {
    return false;
  }

  /** The session lived in the worker: it cannot move to another one. */
  recover(): boolean {
    return false;
  }

  shutdown(how: 'send' | 'receive' | 'both'): void {
    if (how !== 'receive' && this.#started && !this.#closed) this.link.post({ op: 'shutdown', id: this.#id });
  }

  /** Sends close_notify (a graceful end of the session), then closes the socket. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#started) this.link.post({ op: 'close', id: this.#id });
    this.#stream?.detach();
    this.base.close();
  }

  setfd(fd: number): void {
    Atomics.store(this.#hdr, Hdr.FD, fd);
  }

  readiness(): Readiness {
    const link = this.link;
    const order = this.fd;
    if (this.#closed) return { order, readable: false, writable: false, link };
    const s = this.#state();
    // Before and during the handshake: ready once it settled, so a select loop can go on.
    if (s === State.IDLE) return { order, readable: false, writable: true, link };
    if (s === State.CONNECTING) return { order, readable: false, writable: false, link };
    if (s === State.FAILED || this.#waitingHandshake) return { order, readable: true, writable: true, link };
    this.#tx ??= new TxRing(this.#sab);
    const stream = this.#stream ?? this.reader(this.owner.tm);
    return { order, readable: stream?.osReadable() ?? true, writable: this.#tx.writable(), link };
  }
}

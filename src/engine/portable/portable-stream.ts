/**
 * A stream socket of the portable engine: the I/O worker owns it through node:net, and
 * every control call is a worker round trip or a look at the channel header. Data calls
 * use the rings (rx: buffer.ts's Stream; tx: TxRing) and make no round trip when the ring
 * already holds the answer.
 *
 * node:net has no socket before connect or listen, so a fresh object is a promise of one:
 * bind is checked by a probe in the worker (protocol.ts 'probe-bind') and applied at listen
 * or connect; the repeat-connect answers of the kernel (spec 6.6) follow from the connect
 * state the worker publishes.
 */
import { type RxHost, Stream } from '../../buffer.js';
import { errnoText, errText } from '../../errors.js';
import {
  ErrCode,
  Hdr,
  HEADER_BYTES,
  Layout,
  type NameReply,
  SETTLE_MS,
  type SocketOptions,
  State,
  type TlsSource,
} from '../../protocol.js';
import type { Timeout } from '../../timeout.js';
import type { Family, InetAddress, OptionName, OptionRead, OptionValue, Owner, Readiness, SockAddress, StreamHandle } from '../types.js';
import { WorkerDeadError, type WorkerLink, workerLink } from '../worker-link.js';
import { nextOrder } from './creation-order.js';
import { PortableOptions } from './portable-options.js';
import { TxRing } from './tx-ring.js';

const EINVAL = 22;
const EBADF = 9;
const ENOTCONN = 107;

type Phase = 'fresh' | 'bound' | 'connecting' | 'listening' | 'closed';

/** A listener's channel: the header only, no descriptor yet. */
function headerOnly(): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(HEADER_BYTES);
  new Int32Array(sab)[Hdr.FD] = -1;
  return sab;
}

/** Closes the worker's socket of an object the script dropped without close(). */
const orphans = new FinalizationRegistry<{ link: WorkerLink; id: number }>(({ link, id }) => link.post({ op: 'close', id }));

export class PortableStream implements StreamHandle, RxHost {
  readonly link: WorkerLink = workerLink();
  #phase: Phase;
  /** The address a successful bind probe gave (used by listen or connect). */
  #bound: SockAddress | null = null;
  #id = 0;
  #hdr: Int32Array | null = null;
  #sab: SharedArrayBuffer | null = null;
  #stream: Stream | null = null;
  #tx: TxRing | null = null;
  /** The completed connect was confirmed by a repeat connect (spec 6.6). */
  #confirmed = false;
  /** The failed connect's error was read (by getoption('error'), send or receive). */
  #errorTaken = false;
  /** shutdown('send'/'both') was called: sends fail with 'closed' from now on. */
  #writeShut = false;
  /** A descriptor number given to setfd (the worker's socket stays this object's). */
  #fdOverride: number | null = null;
  readonly #options: PortableOptions;
  readonly #order = nextOrder();
  /** Made by accept: the kernel gives it its listener's SO_REUSEADDR. */
  #accepted = false;

  constructor(
    readonly family: Family,
    private readonly owner: Owner,
    accepted?: { id: number; sab: SharedArrayBuffer; options: SocketOptions },
  ) {
    this.#options = new PortableOptions(family, (options) => {
      // Connected: applied now (a round trip, so the kernel has it when setoption returns).
      // Before: connect and listen carry them.
      if (this.#id && this.#phase === 'connecting') this.#call({ op: 'set-option', id: this.#id, options });
    });
    if (accepted) {
      this.#phase = 'connecting';
      this.#accepted = true;
      this.#options.inherit(accepted.options);
      this.#attach(accepted.id, accepted.sab);
    } else this.#phase = 'fresh';
  }

  /** A worker round trip; null when it did not answer (the worker died: its sockets are gone). */
  #call(body: Parameters<WorkerLink['call']>[0]): ReturnType<WorkerLink['call']> {
    try {
      return this.link.call(body);
    } catch (e) {
      if (e instanceof WorkerDeadError) return null;
      throw e;
    }
  }

  #attach(id: number, sab: SharedArrayBuffer): void {
    this.#id = id;
    this.#sab = sab;
    this.#hdr = new Int32Array(sab, 0, Hdr.WORDS);
    orphans.register(this, { link: this.link, id }, this);
  }

  #state(): number {
    return this.#hdr ? Atomics.load(this.#hdr, Hdr.STATE) : State.IDLE;
  }

  get fd(): number {
    if (this.#fdOverride !== null) return this.#fdOverride;
    return this.#hdr && this.#phase !== 'closed' ? Atomics.load(this.#hdr, Hdr.FD) : -1;
  }

  get open(): boolean {
    return this.#phase !== 'closed' && this.#fdOverride !== -1;
  }

  bind(a: SockAddress): string | null {
    if (this.#phase !== 'fresh') return errnoText(EINVAL);
    const id = this.link.newId();
    const sab = headerOnly();
    const r = this.#call({ op: 'bind', id, sab, address: a, ipv6Only: this.#options.v6only });
    if (r === null || !('bound' in r)) return 'closed';
    if ('err' in r.bound) {
      this.link.post({ op: 'close', id });
      return errText(r.bound.err);
    }
    this.#attach(id, sab);
    this.#bound = r.bound;
    this.#phase = 'bound';
    return null;
  }

  listen(backlog: number): string | null {
    if (this.#phase === 'closed') return errnoText(EBADF);
    if (this.#phase !== 'fresh' && this.#phase !== 'bound') return errnoText(EINVAL);
    const address = this.#bound ?? { family: this.family, address: this.family === 6 ? '::' : '0.0.0.0', port: 0 };
    const id = this.#phase === 'bound' ? this.#id : this.link.newId();
    const sab = this.#phase === 'bound' ? (this.#sab as SharedArrayBuffer) : headerOnly();
    const options = this.#options.socketOptions;
    const r = this.#call({ op: 'listen', id, sab, address, backlog, ipv6Only: this.#options.v6only, options });
    if (r === null || !('bound' in r)) return 'closed';
    if ('err' in r.bound) return errText(r.bound.err);
    if (this.#phase === 'fresh') this.#attach(id, sab);
    this.#bound = r.bound;
    this.#phase = 'listening';
    return null;
  }

  connect(a: SockAddress, tm: Timeout): string | null {
    if (this.#phase === 'listening') return 'already connected';
    if (this.#phase === 'closed') return errnoText(EBADF);
    if (this.#phase === 'connecting') {
      // On loopback the kernel settles an attempt at once: give the worker a moment to see it.
      const hdr = this.#hdr as Int32Array;
      this.link.waitUntil(() => Atomics.load(hdr, Hdr.STATE) !== State.CONNECTING, performance.now() + SETTLE_MS);
      const s = Atomics.load(hdr, Hdr.STATE);
      if (s === State.CONNECTING) return 'Operation already in progress';
      if (s === State.FAILED) return this.#repeatAfterFailure();
      if (this.#confirmed) return 'already connected';
      this.#confirmed = true;
      return null;
    }
    // An IPv6 socket is IPv6-only (LuaSocket sets it): the kernel cannot reach a v4-mapped address.
    if (a.family === 6 && this.#options.v6only && /^::ffff:\d/i.test(a.address)) return 'Network is unreachable';
    this.#start(a);
    return this.#settle(tm);
  }

  /** A connect after a failed attempt: its error once (then a new attempt may start), else 'closed'. */
  #repeatAfterFailure(): string | null {
    if (this.#errorTaken) return 'closed';
    const err = errText(Atomics.load(this.#hdr as Int32Array, Hdr.STATE_ERR));
    this.link.post({ op: 'close', id: this.#id });
    this.#phase = this.#bound ? 'bound' : 'fresh';
    return err;
  }

  #start(a: SockAddress): void {
    const unbind = this.#phase === 'bound' ? this.#id : 0;
    const id = this.link.newId();
    const sab = new SharedArrayBuffer(Layout.duplex);
    const hdr = new Int32Array(sab, 0, Hdr.WORDS);
    hdr[Hdr.STATE] = State.CONNECTING;
    hdr[Hdr.FD] = -1;
    this.#attach(id, sab);
    this.#phase = 'connecting';
    this.#confirmed = false;
    this.#errorTaken = false;
    this.#writeShut = false;
    this.link.post({ op: 'connect', id, sab, remote: a, local: this.#bound, unbind, options: this.#options.socketOptions });
  }

  /**
   * Waits per `tm` for the attempt to settle: null when connected, else LuaSocket's text.
   * With timeout 0 the answer is always 'timeout', as connect(2) on a non-blocking socket
   * answers EINPROGRESS, whatever the worker has seen since.
   */
  #settle(tm: Timeout): string | null {
    const hdr = this.#hdr as Int32Array;
    if (tm.immediate) return 'timeout';
    this.link.waitUntil(() => Atomics.load(hdr, Hdr.STATE) !== State.CONNECTING, tm.waitDeadline());
    const s = Atomics.load(hdr, Hdr.STATE);
    if (s === State.CONNECTING) return 'timeout';
    if (s === State.CONNECTED) return null;
    // LuaSocket reads the pending error to report it; the socket may then connect anew.
    const err = errText(Atomics.load(hdr, Hdr.STATE_ERR));
    this.#phase = this.#bound ? 'bound' : 'fresh';
    return err;
  }

  /** The connect's outcome for a data call: 0 when connected, else an ErrCode (its error once, then CLOSED). */
  #connected(tm: Timeout): number {
    if (this.#phase !== 'connecting') return ErrCode.CLOSED;
    const hdr = this.#hdr as Int32Array;
    if (Atomics.load(hdr, Hdr.STATE) === State.CONNECTING) {
      if (tm.immediate) return ErrCode.TIMEOUT;
      if (!this.link.waitUntil(() => Atomics.load(hdr, Hdr.STATE) !== State.CONNECTING, tm.waitDeadline())) return ErrCode.TIMEOUT;
    }
    const s = Atomics.load(hdr, Hdr.STATE);
    if (s === State.CONNECTED || (s === State.GONE && this.#stream)) return 0;
    if (s === State.FAILED && !this.#errorTaken) {
      this.#errorTaken = true;
      return Atomics.load(hdr, Hdr.STATE_ERR);
    }
    return ErrCode.CLOSED;
  }

  accept(tm: Timeout, owner: Owner): StreamHandle | string {
    if (this.#phase !== 'listening') return 'closed';
    const hdr = this.#hdr as Int32Array;
    for (;;) {
      const a = this.link.takeAccepted(this.#id);
      if (a) {
        Atomics.sub(hdr, Hdr.PENDING, 1);
        return new PortableStream(this.family, owner, { id: a.id, sab: a.sab, options: this.#options.socketOptions });
      }
      if (tm.immediate) return 'timeout';
      if (!this.link.waitUntil(() => Atomics.load(hdr, Hdr.PENDING) > 0, tm.waitDeadline())) return 'timeout';
    }
  }

  send(data: Uint8Array, tm: Timeout): [number, number] {
    const err = this.#connected(tm);
    if (err) return [0, err];
    if (this.#writeShut) return [0, ErrCode.CLOSED];
    // The socket's pending error (a reset the worker read) goes to this send, as in the kernel.
    const pending = this.reader(tm)?.takeError() ?? 0;
    if (pending) return [0, pending];
    this.#tx ??= new TxRing(this.#sab as SharedArrayBuffer);
    return this.#tx.send(data, tm, this.link);
  }

  reader(tm: Timeout): Stream | null {
    if (this.#stream) return this.#stream;
    if (this.#connected(tm) !== 0) return null;
    this.#stream = new Stream(this.#sab as SharedArrayBuffer, this, this.owner.tm, this.owner.stats);
    return this.#stream;
  }

  /** The worker reads eagerly and shared memory is all there is: nothing is ever ahead of it. */
  kernelAhead(): boolean {
    return false;
  }

  /** A dead worker took its sockets with it. */
  recover(): boolean {
    return false;
  }

  name(which: 'sock' | 'peer'): InetAddress | string {
    switch (this.#phase) {
      case 'closed':
        return errnoText(EBADF);
      case 'fresh':
        return which === 'sock' ? { family: this.family, address: this.family === 6 ? '::' : '0.0.0.0', port: 0 } : errnoText(ENOTCONN);
      case 'bound':
        return which === 'sock' ? (this.#bound as InetAddress) : errnoText(ENOTCONN);
    }
    const r = this.#call({ op: 'names', id: this.#id });
    if (r === null || !('names' in r)) return errnoText(EBADF);
    const n: NameReply = which === 'sock' ? r.names.local : r.names.peer;
    return 'err' in n ? errText(n.err) : (n as InetAddress);
  }

  getoption(name: OptionName): OptionRead {
    if (this.#phase === 'closed') return { err: 'getsockopt failed' };
    if (name === 'error') {
      if (this.#state() === State.FAILED && !this.#errorTaken) {
        this.#errorTaken = true;
        return { value: errText(Atomics.load(this.#hdr as Int32Array, Hdr.STATE_ERR)) };
      }
      // A reset the worker read off the connection is the socket's pending error.
      const pending = this.#state() === State.CONNECTED ? (this.reader(this.owner.tm)?.takeError() ?? 0) : 0;
      return pending ? { value: errText(pending) } : { none: true };
    }
    return this.#options.get(name, this.#phase === 'listening' || this.#bound !== null || this.#accepted);
  }

  setoption(name: OptionName, value: OptionValue): string | null {
    if (this.#phase === 'closed') return 'setsockopt failed';
    return this.#options.set(name, value);
  }

  shutdown(how: 'send' | 'receive' | 'both'): void {
    // 'receive' is not passed on: LuaSocket (observed) goes on reading what arrives.
    if (how === 'receive' || this.#phase !== 'connecting') return;
    this.#writeShut = true;
    this.link.post({ op: 'shutdown', id: this.#id });
  }

  close(): void {
    if (this.#phase === 'closed') return;
    if (this.#id) {
      orphans.unregister(this);
      // A round trip: the descriptor is closed when close() returns, as with close(2).
      this.#call({ op: 'close', id: this.#id, abort: this.#options.abortOnClose });
      if (this.#phase === 'listening') for (const a of this.link.dropAccepted(this.#id)) this.link.post({ op: 'close', id: a.id });
    }
    this.#stream?.detach();
    this.#phase = 'closed';
  }

  tlsSource(): TlsSource | string {
    if (this.#phase !== 'connecting' || this.#state() !== State.CONNECTED) return 'closed';
    // The worker moves this channel's socket to the session: nothing is left here to close.
    orphans.unregister(this);
    const from = this.#stream?.unread() ?? Atomics.load(this.#hdr as Int32Array, Hdr.RX_TAIL) >>> 0;
    this.#stream?.detach();
    this.#phase = 'closed';
    return { fd: null, channel: this.#id, from };
  }

  setfd(fd: number): void {
    this.#fdOverride = fd < 0 ? -1 : fd;
  }

  readiness(): Readiness {
    const link = this.link;
    const hdr = this.#hdr;
    // The worker died with its sockets: every call now answers at once, as on a reset socket.
    if (link.isDead() && this.#phase !== 'closed') return { order: this.#order, readable: true, writable: true, link: null };
    // A socket that is neither connected nor listening polls hang-up in the kernel: select
    // reports it readable and writable, as LuaSocket does for a fresh or bound master.
    const order = this.#order;
    if (this.#phase === 'fresh' || this.#phase === 'bound') return { order, readable: true, writable: true, link };
    if (hdr === null || this.#phase === 'closed') return { order, readable: false, writable: false, link };
    const s = Atomics.load(hdr, Hdr.STATE);
    if (this.#phase === 'listening') return { order, readable: Atomics.load(hdr, Hdr.PENDING) > 0, writable: false, link };
    if (s === State.CONNECTING) return { order, readable: false, writable: false, link };
    if (s === State.FAILED) return { order, readable: true, writable: true, link };
    this.#tx ??= new TxRing(this.#sab as SharedArrayBuffer);
    const stream = this.#stream ?? this.reader(this.owner.tm);
    return { order, readable: stream?.osReadable() ?? true, writable: this.#tx.writable(), link };
  }
}

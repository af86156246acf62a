/**
 * A stream socket of the native engine: the calling thread holds its own descriptor and
 * makes every system call itself through the native helper (connect, bind, listen,
 * accept, send, options, names, shutdown), so the kernel's states and queues are the only
 * ones, exactly as in LuaSocket. Reads go through the I/O worker: at the first receive the
 * connection is handed to it ('adopt', a dup of the descriptor) and it keeps the rx ring
 * filled. So a socket the worker already tore down (peer reset) still answers like the
 * kernel does, and a descriptor number never goes stale.
 */
import { constants as osConstants } from 'node:os';
import { type RxHost, Stream } from '../../buffer.js';
import { errnoText } from '../../errors.js';
import type { NativeGuard } from '../../native.js';
import { ErrCode, Hdr, Layout, RxFlag, type TlsSource } from '../../protocol.js';
import type { Timeout } from '../../timeout.js';
import type { InetAddress, OptionName, OptionRead, OptionValue, Owner, Readiness, StreamHandle } from '../types.js';
import { WorkerDeadError, type WorkerLink, workerLink } from '../worker-link.js';
import { requireNative } from './addon.js';
import { POLLERR, POLLHUP, POLLIN, POLLOUT, pollNow, sendAll, waitFd } from './fd-wait.js';
import { getNativeOption, setNativeOption } from './native-options.js';
import { dupReclaiming, reclaimDescriptors } from './reclaim.js';

const { ECONNABORTED, EMFILE, ENFILE, ENOTCONN } = osConstants.errno;

export class NativeStream implements StreamHandle, RxHost {
  #fd: number;
  #link: WorkerLink | null = null;
  #stream: Stream | null = null;
  /** The stream's channel id on its link (0 until the worker reads it). */
  #channel = 0;
  #listening = false;
  /** Closes the OS socket if the object is garbage-collected unclosed, as LuaSocket does. */
  #guard: NativeGuard | null = null;

  constructor(
    fd: number,
    private readonly owner: Owner,
  ) {
    this.#fd = fd;
    this.#rearm();
  }

  get fd(): number {
    return this.#fd;
  }

  get open(): boolean {
    return this.#fd >= 0;
  }

  get link(): WorkerLink {
    this.#link ??= workerLink();
    return this.#link;
  }

  /** Points the GC guard at the current descriptor and channel. */
  #rearm(): void {
    const n = requireNative();
    if (this.#guard) n.disarm(this.#guard);
    this.#guard = null;
    if (this.#fd < 0 && this.#channel === 0) return;
    this.#guard = n.guard(this.#fd, this.#channel > 0 && this.#link ? this.#link.token : 0, this.#channel);
  }

  bind(a: InetAddress): string | null {
    const errno = requireNative().bind(this.#fd, a.family, a.address, a.port);
    return errno === 0 ? null : errnoText(errno);
  }

  listen(backlog: number): string | null {
    const n = requireNative();
    if (this.#fd < 0) return errnoText(n.constants.EBADF);
    // The kernel's queue, with this backlog, is the only accept queue, as in LuaSocket.
    const errno = n.listen(this.#fd, backlog | 0);
    if (errno) return errnoText(errno);
    // Accepted connections need the I/O worker: start it now, not when descriptors may be short.
    void this.link;
    this.#listening = true;
    return null;
  }

  /**
   * connect(2) on the caller's own descriptor, so a repeated connect gets the kernel's own
   * answer for the socket's state (spec 6.6).
   */
  connect(a: InetAddress, tm: Timeout): string | null {
    const n = requireNative();
    const errno = n.connect(this.#fd, a.family, a.address, a.port);
    if (errno === 0) return null;
    if (errno !== n.constants.EINPROGRESS) return errnoText(errno);
    if (tm.immediate || !waitFd(this.#fd, POLLOUT, tm.waitDeadline())) return 'timeout';
    // Reading the pending error consumes it, as LuaSocket's zero-length recv does.
    const e = n.getSocketError(this.#fd);
    return e === 0 ? null : errnoText(Math.abs(e));
  }

  accept(tm: Timeout, owner: Owner): StreamHandle | string {
    if (this.#fd < 0) return 'closed';
    const n = requireNative();
    let reclaimed = false;
    for (;;) {
      const c = n.accept(this.#fd);
      if (c >= 0) return new NativeStream(c, owner);
      const errno = -c;
      if (errno === n.constants.EAGAIN || errno === ECONNABORTED) {
        if (tm.immediate || !waitFd(this.#fd, POLLIN, tm.waitDeadline())) return 'timeout';
        continue;
      }
      // Out of descriptors: unreachable sockets may still hold some; collect and retry once.
      if ((errno === EMFILE || errno === ENFILE) && !reclaimed && reclaimDescriptors()) {
        reclaimed = true;
        continue;
      }
      return errnoText(errno);
    }
  }

  send(data: Uint8Array, tm: Timeout): [number, number] {
    if (this.#fd < 0) return [0, ErrCode.CLOSED];
    return sendAll(this.#fd, data, tm);
  }

  /**
   * The stream to read from, started on first use. null when there is nothing to read
   * from: no socket, or a socket that is not connected (the kernel would answer 'closed';
   * a connect still in progress is waited for per the timeout rules first).
   */
  reader(tm: Timeout): Stream | null {
    if (this.#stream) return this.#stream;
    const fd = this.#fd;
    if (fd < 0) return null;
    const n = requireNative();
    // Bytes (or the end) already queued, or a live connection: read it through the worker.
    // (A connection whose both ends closed may no longer have a peer name, yet hold bytes.)
    // (ENOTCONN, not any failure: a unix-domain peer has a name the helper does not format.)
    if ((pollNow(fd, POLLIN) & POLLIN) === 0 && n.getpeername(fd) === ENOTCONN) {
      // Not connected: if an attempt is still pending, wait for it as recv would.
      if (tm.immediate || (pollNow(fd, POLLOUT) & POLLOUT) !== 0) return null;
      if (!waitFd(fd, POLLOUT, tm.waitDeadline()) || n.getpeername(fd) === ENOTCONN) return null;
    }
    return this.#startStream();
  }

  /**
   * Hands this connection to the I/O worker, which reads it into a ring from now on. Done
   * at the first receive (or select on it), so connect/accept + close never involve the
   * worker: until then the bytes wait in the kernel, where LuaSocket keeps them too.
   */
  #startStream(): Stream | null {
    const workerFd = dupReclaiming(this.#fd);
    if (workerFd < 0) return null;
    const sab = new SharedArrayBuffer(Layout.rxOnly);
    this.#stream = new Stream(sab, this, this.owner.tm, this.owner.stats);
    this.#adopt(this.link, workerFd);
    return this.#stream;
  }

  #adopt(link: WorkerLink, workerFd: number): void {
    this.#link = link;
    this.#channel = link.newId();
    link.post({ op: 'adopt', id: this.#channel, sab: (this.#stream as Stream).sab, fd: workerFd });
    this.#rearm();
  }

  kernelAhead(): boolean {
    return this.#fd >= 0 && this.#stream !== null && !this.link.isDead() && (pollNow(this.#fd, POLLIN) & POLLIN) !== 0;
  }

  /**
   * The worker died: hand the connection to a fresh one, over the same ring. Bytes the old
   * worker already put in the ring stay readable; bytes it had not read are still in the
   * kernel, where the new worker reads them. Nothing is lost, and the caller never notices
   * beyond the detection delay. False when that cannot be done (closed, no descriptor left).
   */
  recover(): boolean {
    const s = this.#stream;
    if (!s || !this.link.isDead() || this.#fd < 0) return false;
    const fd = dupReclaiming(this.#fd);
    if (fd < 0) return false;
    Atomics.and(s.hdr, Hdr.RX_FLAGS, ~RxFlag.PAUSED);
    this.#adopt(workerLink(), fd);
    return true;
  }

  name(which: 'sock' | 'peer'): InetAddress | string {
    const n = requireNative();
    if (this.#fd < 0) return errnoText(n.constants.EBADF);
    const r = which === 'sock' ? n.getsockname(this.#fd) : n.getpeername(this.#fd);
    if (typeof r === 'number') return errnoText(r);
    return { address: r[0], port: r[1], family: r[2] };
  }

  getoption(name: OptionName): OptionRead {
    return getNativeOption(this.#fd, name);
  }

  setoption(name: OptionName, value: OptionValue): string | null {
    return setNativeOption(this.#fd, name, value);
  }

  shutdown(how: 'send' | 'receive' | 'both'): void {
    if (this.#fd < 0) return;
    if (how === 'receive') {
      // Not passed to the kernel: the worker would take the empty reads that may follow
      // SHUT_RD for the end of the stream, while LuaSocket (observed) can still read what
      // arrives afterwards. Reading simply goes on.
      return;
    }
    // Sends went straight to the kernel, so the FIN follows every byte already sent.
    requireNative().shutdown(this.#fd, how === 'send' || this.#stream !== null ? 1 : 2);
  }

  close(): void {
    const n = requireNative();
    if (this.#guard) n.disarm(this.#guard);
    this.#guard = null;
    if (this.#stream) {
      this.#stream.detach();
      // The worker's descriptor first, and wait for it: the socket is gone (the peer sees
      // the end) when close() returns, as with close(2).
      closeChannel(this.#link, this.#channel);
    }
    if (this.#fd >= 0) n.close(this.#fd);
    this.#fd = -1;
  }

  tlsSource(): TlsSource | string {
    if (this.#fd < 0) return 'closed';
    const fd = dupReclaiming(this.#fd);
    if (fd < 0) return errnoText(-fd);
    const s = this.#stream;
    if (s === null) return { fd, channel: null, from: 0 };
    // The worker stops reading for this handle and gives the session what it read ahead.
    const source = { fd, channel: this.#channel, from: s.unread() };
    s.detach();
    this.#stream = null;
    this.#channel = 0;
    this.#rearm();
    return source;
  }

  setfd(fd: number): void {
    // LuaSocket does not close the old descriptor; the given one is now this object's.
    this.#fd = fd < 0 ? -1 : fd;
    this.#rearm();
  }

  readiness(): Readiness {
    const fd = this.#fd;
    const link = this.#link;
    const s = this.#stream;
    if (fd < 0) return { order: fd, readable: false, writable: false, link };
    // A listener: the kernel's accept queue is the truth, and only polling can tell.
    if (this.#listening) return { order: fd, readable: (pollNow(fd, POLLIN) & POLLIN) !== 0, writable: false, link: null };
    if (s && link?.isDead()) this.recover();
    // select(2)'s sets: hang-up and error count as readable, error as writable (a socket that
    // is not connected yet polls hang-up: LuaSocket reports a fresh master in both).
    const writable = (pollNow(fd, POLLOUT) & (POLLOUT | POLLERR | POLLHUP)) !== 0;
    // Not read by the worker (yet): the kernel's answer is the whole truth.
    if (s === null) return { order: fd, readable: (pollNow(fd, POLLIN) & (POLLIN | POLLERR | POLLHUP)) !== 0, writable, link: null };
    return { order: fd, readable: s.osReadable(), writable, link: this.#link };
  }
}

/** A fresh OS socket of `family` for `owner` (LuaSocket's inet_trysocket), or LuaSocket's text. */
export function openNativeStream(family: 4 | 6, owner: Owner): NativeStream | string {
  const n = requireNative();
  let fd = n.socket(family);
  if ((fd === -EMFILE || fd === -ENFILE) && reclaimDescriptors()) fd = n.socket(family);
  if (fd < 0) return errnoText(-fd);
  return new NativeStream(fd, owner);
}

/** Closes a channel of `link` and waits until the worker has (nothing to wait for if it died). */
export function closeChannel(link: WorkerLink | null, id: number): void {
  if (link === null || link.isDead()) return;
  try {
    link.call({ op: 'close', id });
  } catch (e) {
    if (!(e instanceof WorkerDeadError)) throw e;
  }
}

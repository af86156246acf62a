/**
 * A unix-domain stream socket of the native engine: a NativeStream (the caller's own
 * descriptor; sends, listen, accept and options as system calls; reads through the I/O
 * worker, which adopts an AF_UNIX stream exactly as a TCP one) with paths for addresses,
 * and LuaSocket's socket_connect: the wait for a pending connect ends on readable or
 * writable, and writable counts as connected (so a connect into a full backlog
 * "succeeds" with an unconnected socket, as in 3.1.0).
 */
import { constants as osConstants } from 'node:os';
import type { Stream } from '../../buffer.js';
import { errnoText } from '../../errors.js';
import { UNIX_TAG } from '../../native.js';
import type { Timeout } from '../../timeout.js';
import type { OptionName, OptionValue, Owner, Readiness, UnixAddress, UnixStreamHandle } from '../types.js';
import { requireNative } from './addon.js';
import { POLLERR, POLLIN, POLLOUT } from './fd-wait.js';
import { NativeStream } from './native-stream.js';
import { reclaimDescriptors } from './reclaim.js';

const { EAGAIN, EINPROGRESS, EMFILE, ENFILE } = osConstants.errno;
const EMPTY = new Uint8Array(0);
const POLL_SLICE_MS = 100;

/** poll(2) until `fd` reports any of `events` or `deadline` passes: the events, 0 on timeout. */
function waitEvents(fd: number, events: number, deadline: number): number {
  const n = requireNative();
  for (;;) {
    const left = Math.floor(deadline - performance.now());
    const r = n.poll(fd, events, Math.max(0, Math.min(left, POLL_SLICE_MS)));
    if (r > 0) return r;
    if (left <= 0) return 0;
  }
}

/**
 * usocket.c's socket_connect once connect(2) answered `errno`: a pending attempt is waited
 * for (readable or writable); readable or an error means recv(2) of nothing tells the
 * outcome, writable alone means connected. null, or LuaSocket's text.
 */
export function connectWaiting(fd: number, errno: number, tm: Timeout): string | null {
  if (fd < 0) return 'closed';
  if (errno === 0) return null;
  if (errno !== EINPROGRESS && errno !== EAGAIN) return errnoText(errno);
  if (tm.immediate) return 'timeout';
  const ev = waitEvents(fd, POLLIN | POLLOUT, tm.waitDeadline());
  if (ev === 0) return 'timeout';
  if ((ev & (POLLIN | POLLERR)) === 0) return null;
  const r = requireNative().recv(fd, EMPTY, 0, 0);
  return r === 0 ? null : errnoText(-r);
}

export class NativeUnixStream implements UnixStreamHandle {
  #unconnected = false;

  constructor(private readonly inner: NativeStream) {}

  get fd(): number {
    return this.inner.fd;
  }

  get open(): boolean {
    return this.inner.open;
  }

  get unconnected(): boolean {
    return this.#unconnected;
  }

  bind(a: UnixAddress): string | null {
    const errno = requireNative().bindUnix(this.inner.fd, a.path);
    return errno === 0 ? null : errnoText(errno);
  }

  listen(backlog: number): string | null {
    return this.inner.listen(backlog);
  }

  connect(a: UnixAddress, tm: Timeout): string | null {
    const n = requireNative();
    const fd = this.inner.fd;
    const err = connectWaiting(fd, fd < 0 ? 0 : n.connectUnix(fd, a.path), tm);
    if (err === null && typeof n.unixName(fd, true) === 'number') this.#unconnected = true;
    return err;
  }

  accept(tm: Timeout, owner: Owner): UnixStreamHandle | string {
    const r = this.inner.accept(tm, owner);
    return typeof r === 'string' ? r : new NativeUnixStream(r as NativeStream);
  }

  name(): Uint8Array | string {
    const n = requireNative();
    if (this.inner.fd < 0) return errnoText(n.constants.EBADF);
    const p = n.unixName(this.inner.fd, false);
    return typeof p === 'number' ? errnoText(p) : Buffer.from(p, 'latin1');
  }

  setoption(name: OptionName, value: OptionValue): string | null {
    return this.inner.setoption(name, value);
  }

  send(data: Uint8Array, tm: Timeout): [number, number] {
    return this.inner.send(data, tm);
  }

  reader(tm: Timeout): Stream | null {
    return this.inner.reader(tm);
  }

  shutdown(how: 'send' | 'receive' | 'both'): void {
    this.inner.shutdown(how);
  }

  close(): void {
    this.inner.close();
  }

  setfd(fd: number): void {
    this.inner.setfd(fd);
  }

  readiness(): Readiness {
    return this.inner.readiness();
  }

  kernelAhead(): boolean {
    return this.inner.kernelAhead();
  }
}

/** A fresh unix-domain stream socket for `owner`, or LuaSocket's text. */
export function openNativeUnixStream(owner: Owner): NativeUnixStream | string {
  const n = requireNative();
  let fd = n.socketOf(UNIX_TAG, false);
  if ((fd === -EMFILE || fd === -ENFILE) && reclaimDescriptors()) fd = n.socketOf(UNIX_TAG, false);
  if (fd < 0) return errnoText(-fd);
  return new NativeUnixStream(new NativeStream(fd, owner));
}

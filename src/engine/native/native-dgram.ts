/**
 * A datagram socket of the native engine (UDP over IPv4/IPv6, or unix-domain): the calling
 * thread owns the descriptor and makes the system calls of binds, connects, sends, options
 * and names itself, as LuaSocket's usocket.c does.
 *
 * UDP reads go through the I/O worker, as a connection's do: at the first receive a dup of
 * the descriptor is handed to it (node:dgram adopts it), and it appends every datagram to
 * the channel's ring (protocol.ts, Dg), where a receive that finds one makes no round trip.
 * The kernel's ICMP error the worker meets becomes the socket's pending error, taken once
 * by the next receive, send or getoption('error'), as the kernel would hand it out.
 *
 * Unix-domain datagram sockets are read by the caller itself (recv/recvfrom, waiting in
 * poll(2) per the timeout rules): node:dgram cannot adopt them, so the worker cannot.
 */
import { constants as osConstants } from 'node:os';
import { errnoText, errText } from '../../errors.js';
import { type NativeGuard, type NativeSender, type NativeSockets, native, UNIX_TAG } from '../../native.js';
import { DgLayout } from '../../protocol.js';
import type { Timeout } from '../../timeout.js';
import { DatagramRing, receiveFromRing } from '../dgram-ring.js';
import type {
  DatagramHandle,
  DatagramRead,
  DgramOptionName,
  DgramOptionValue,
  Family,
  OptionRead,
  Readiness,
  SockAddress,
} from '../types.js';
import { type WorkerLink, workerLink } from '../worker-link.js';
import { requireNative } from './addon.js';
import { POLLERR, POLLHUP, POLLIN, POLLOUT, pollNow, waitFd } from './fd-wait.js';
import { getDgramNativeOption, setDgramNativeOption } from './native-dgram-options.js';
import { closeChannel } from './native-stream.js';
import { connectWaiting } from './native-unix-stream.js';
import { dupReclaiming, reclaimDescriptors } from './reclaim.js';

const { EAGAIN, EPIPE, EMFILE, ENFILE } = osConstants.errno;
/** The helper (this engine runs only where it loaded): one lookup, not one per datagram. */
const N = native as NativeSockets;

/** Longest single wait inside the helper: process.exit never waits on a system call for longer. */
const POLL_SLICE_MS = 100;
/** Receive buffers up to this size are reused from call to call. */
const SCRATCH_MAX = 256 * 1024;
let scratch = Buffer.allocUnsafe(65536);
const napper = new Int32Array(new SharedArrayBuffer(4));

function bufferFor(size: number): Buffer {
  if (size <= scratch.length) return scratch;
  if (size > SCRATCH_MAX) return Buffer.allocUnsafe(size);
  scratch = Buffer.allocUnsafe(SCRATCH_MAX);
  return scratch;
}

/** The worker's reading of a UDP socket: its channel, ring and link. */
interface Reader {
  id: number;
  ring: DatagramRing;
  link: WorkerLink;
}

export class NativeDatagram implements DatagramHandle {
  #fd: number;
  #guard: NativeGuard | null = null;
  #reader: Reader | null = null;

  constructor(
    fd: number,
    /** The socket's family: 0 when unknown (setfd on a udp() that never had a socket). */
    readonly family: 0 | Family | 'unix',
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

  /** Closes the OS socket (and the worker's reading) if the object is garbage-collected unclosed, as LuaSocket does. */
  #rearm(): void {
    const n = requireNative();
    if (this.#guard) n.disarm(this.#guard);
    const r = this.#reader;
    this.#guard = this.#fd >= 0 || r ? n.guard(this.#fd, r ? r.link.token : 0, r ? r.id : 0) : null;
  }

  /**
   * The worker's reading of this UDP socket, started on first use (or again on a fresh worker
   * after the old one died: the ring and what it holds stay). null: a unix-domain socket, or
   * no descriptor to hand over.
   */
  #readerFor(): Reader | null {
    if (this.family !== 4 && this.family !== 6) return null;
    const r = this.#reader;
    if (r && !r.link.isDead()) return r;
    if (this.#fd < 0) return null;
    const fd = dupReclaiming(this.#fd);
    if (fd < 0) return null;
    const link = workerLink();
    const ring = r?.ring ?? new DatagramRing(new SharedArrayBuffer(DgLayout.bytes));
    const id = link.newId();
    link.post({ op: 'dgram-adopt', id, sab: ring.sab, fd, family: this.family });
    this.#reader = { id, ring, link };
    this.#rearm();
    return this.#reader;
  }

  /** Stops the worker's reading (close, setfd): datagrams it read and no one took are dropped. */
  #dropReader(): void {
    const r = this.#reader;
    if (!r) return;
    this.#reader = null;
    // Waits for the worker: its descriptor is closed when this returns (close(2) semantics).
    closeChannel(r.link, r.id);
  }

  /** The socket's pending error the worker took from the kernel, taken once (0: none). */
  #pendingError(): number {
    return this.#reader?.ring.takeError() ?? 0;
  }

  bind(a: SockAddress): string | null {
    const n = requireNative();
    const errno = a.family === 'unix' ? n.bindUnix(this.#fd, a.path) : n.bind(this.#fd, a.family, a.address, a.port);
    return errno === 0 ? null : errnoText(errno);
  }

  connect(a: SockAddress, tm: Timeout): string | null {
    const n = requireNative();
    if (a.family === 'unix') return connectWaiting(this.#fd, n.connectUnix(this.#fd, a.path), tm);
    return connectWaiting(this.#fd, n.connect(this.#fd, a.family, a.address, a.port), tm);
  }

  disconnect(): void {
    if (this.#fd >= 0 && (this.family === 4 || this.family === 6)) requireNative().disconnect(this.#fd, this.family);
  }

  send(data: Uint8Array, tm: Timeout): number | string {
    // A pending error (an ICMP one) goes to this send, which is not sent, as in the kernel.
    const pending = this.#pendingError();
    if (pending) return errText(pending);
    const r = N.send(this.#fd, data, 0, data.length);
    return r >= 0 ? r : this.#retry(r, () => N.send(this.#fd, data, 0, data.length), tm);
  }

  sendto(data: Uint8Array, to: SockAddress, tm: Timeout): number | string {
    const pending = this.#pendingError();
    if (pending) return errText(pending);
    const n = requireNative();
    const op =
      to.family === 'unix'
        ? () => n.sendtoUnix(this.#fd, data, 0, data.length, to.path)
        : () => n.sendto(this.#fd, data, 0, data.length, to.family, to.address, to.port);
    const r = op();
    return r >= 0 ? r : this.#retry(r, op, tm);
  }

  /**
   * usocket.c's socket_send / socket_sendto loop: EAGAIN waits for room per the timeout.
   * LuaSocket retries for ever when poll(2) says writable yet the kernel still refuses
   * (an unconnected unix socket sending to a full receiver); here the call naps between
   * tries and gives up with 'timeout' once the timeout has passed.
   */
  #retry(first: number, op: () => number, tm: Timeout): number | string {
    let deadline = -1;
    for (let r = first; ; r = op()) {
      if (r >= 0) return r;
      const errno = -r;
      // IO_CLOSED, which the datagram kinds spell 'refused'.
      if (errno === EPIPE) return 'refused';
      if (errno !== EAGAIN) return errnoText(errno);
      if (tm.immediate || (deadline >= 0 && performance.now() >= deadline)) return 'timeout';
      deadline = tm.waitDeadline();
      const waited = performance.now();
      if (!waitFd(this.#fd, POLLOUT, deadline)) return 'timeout';
      // Writable at once, yet refused: the kernel will not take it before the receiver reads.
      if (performance.now() - waited < 1) Atomics.wait(napper, 0, 0, 1);
    }
  }

  receive(size: number, tm: Timeout, wantFrom: boolean): DatagramRead {
    const reader = this.#readerFor();
    if (reader) return receiveFromRing(reader.ring, reader.link, size, tm, wantFrom, () => this.kernelAhead());
    // A unix-domain socket, or nothing to hand the worker (no descriptor): the system call says.
    return this.#receiveHere(size, tm, wantFrom);
  }

  /** select(…, 0) and timeout-0 receives: does the kernel hold a datagram the worker has not moved yet? */
  kernelAhead(): boolean {
    return this.#reader !== null && this.#fd >= 0 && (pollNow(this.#fd, POLLIN) & POLLIN) !== 0;
  }

  /** A datagram read on the calling thread: unix-domain sockets (see the file comment). */
  #receiveHere(size: number, tm: Timeout, wantFrom: boolean): DatagramRead {
    const n = N;
    const fd = this.#fd;
    const buf = size <= scratch.length ? scratch : bufferFor(size);
    // One wait, for the shorter of the block and total timeouts (usocket.c's socket_waitfd),
    // made inside the helper's call, in slices so that process.exit never waits long.
    const deadline = tm.immediate ? 0 : tm.waitDeadline();
    for (;;) {
      const ms = Math.max(0, Math.min(Math.floor(deadline - performance.now()), POLL_SLICE_MS));
      const r: NativeSender | number = wantFrom ? n.recvfromWait(fd, buf, 0, size, ms) : n.recvWait(fd, buf, 0, size, ms);
      if (typeof r !== 'number') return this.#received(buf, r);
      if (r >= 0) return { buf, start: 0, end: r, from: null };
      if (-r !== EAGAIN) return { err: -r === EPIPE ? 'refused' : errnoText(-r) };
      if (ms === 0 || performance.now() >= deadline) return { err: 'timeout' };
    }
  }

  #received(buf: Buffer, r: Exclude<NativeSender, number>): DatagramRead {
    const end = r[0];
    if (r[1] === 0) return { err: r[2] };
    if (r[1] === UNIX_TAG) return { buf, start: 0, end, from: { family: 'unix', path: Buffer.from(r[2], 'latin1') } };
    return { buf, start: 0, end, from: { family: r[1], address: r[2], port: r[3] as number } };
  }

  name(which: 'sock' | 'peer'): SockAddress | string {
    const n = requireNative();
    if (this.#fd < 0) return errnoText(n.constants.EBADF);
    if (this.family === 'unix') {
      const p = n.unixName(this.#fd, which === 'peer');
      return typeof p === 'number' ? errnoText(p) : { family: 'unix', path: Buffer.from(p, 'latin1') };
    }
    const r = which === 'sock' ? n.getsockname(this.#fd) : n.getpeername(this.#fd);
    if (typeof r === 'number') return errnoText(r);
    return { address: r[0], port: r[1], family: r[2] };
  }

  getoption(name: DgramOptionName): OptionRead {
    if (name === 'error' && this.#fd >= 0) {
      const pending = this.#pendingError();
      if (pending) return { value: errText(pending) };
    }
    return getDgramNativeOption(this.#fd, name);
  }

  setoption(name: DgramOptionName, value: DgramOptionValue): string | null {
    return setDgramNativeOption(this.#fd, name, value);
  }

  close(): void {
    const n = requireNative();
    if (this.#guard) n.disarm(this.#guard);
    this.#guard = null;
    this.#dropReader();
    if (this.#fd >= 0) n.close(this.#fd);
    this.#fd = -1;
  }

  setfd(fd: number): void {
    // LuaSocket does not close the old descriptor; the given one is now this object's.
    this.#dropReader();
    this.#fd = fd < 0 ? -1 : fd;
    this.#rearm();
  }

  /** select(2)'s sets: a pending error (an ICMP one) is readable and writable, a hang-up readable. */
  readiness(): Readiness {
    const fd = this.#fd;
    if (fd < 0) return { order: fd, readable: false, writable: false, link: null };
    const ev = pollNow(fd, POLLIN | POLLOUT);
    const writable = (ev & (POLLOUT | POLLERR)) !== 0;
    const r = this.#reader;
    // Read by the worker: its ring (and the error it took) is the truth, and its wake word tells.
    if (r && !r.link.isDead()) return { order: fd, readable: r.ring.hasNews(), writable, link: r.link };
    return { order: fd, readable: (ev & (POLLIN | POLLERR | POLLHUP)) !== 0, writable, link: null };
  }
}

/** A fresh datagram socket of `family` (4, 6 or 'unix'), or LuaSocket's text. */
export function openNativeDatagram(family: Family | 'unix'): NativeDatagram | string {
  const n = requireNative();
  const tag = family === 'unix' ? UNIX_TAG : family;
  let fd = n.socketOf(tag, true);
  if ((fd === -EMFILE || fd === -ENFILE) && reclaimDescriptors()) fd = n.socketOf(tag, true);
  if (fd < 0) return errnoText(-fd);
  return new NativeDatagram(fd, family);
}

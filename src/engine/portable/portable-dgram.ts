/**
 * A UDP socket of the portable engine: node:dgram in the I/O worker owns it. Received
 * datagrams come through the channel's ring (dgram-ring.ts): a receive that finds one
 * there makes no round trip, and a script that does not read holds at most the ring (the
 * worker drops what does not fit, as the kernel does past its buffer). Binds, connects,
 * options, names and sends are worker round trips; a datagram counts as sent when
 * node:dgram's send callback says so.
 */
import { errnoText, errText } from '../../errors.js';
import { Dg, DgLayout, type InetAddress, type Reply } from '../../protocol.js';
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
import { nextOrder } from './creation-order.js';

const EBADF = 9;

/** Closes the worker's socket of an object the script dropped without close(). */
const orphans = new FinalizationRegistry<{ link: WorkerLink; id: number }>(({ link, id }) => link.post({ op: 'close', id }));

export class PortableDatagram implements DatagramHandle {
  readonly link: WorkerLink = workerLink();
  readonly #id: number;
  readonly #ring: DatagramRing;
  #closed = false;
  /** A descriptor number given to setfd (the worker's socket stays this object's). */
  #fdOverride: number | null = null;
  readonly #order = nextOrder();

  constructor(readonly family: Family) {
    this.#id = this.link.newId();
    const sab = new SharedArrayBuffer(DgLayout.bytes);
    this.#ring = new DatagramRing(sab);
    Atomics.store(this.#ring.hdr, Dg.FD, -1);
    this.link.post({ op: 'dgram-open', id: this.#id, sab, family });
    orphans.register(this, { link: this.link, id: this.#id }, this);
  }

  get fd(): number {
    if (this.#fdOverride !== null) return this.#fdOverride;
    return this.#closed ? -1 : Atomics.load(this.#ring.hdr, Dg.FD);
  }

  get open(): boolean {
    return !this.#closed && this.#fdOverride !== -1;
  }

  /** A worker call that replies `done`: its number, or null when the worker is gone. */
  #done(r: Reply | null): number | null {
    return r !== null && 'done' in r ? r.done : null;
  }

  bind(a: SockAddress): string | null {
    const code = this.#done(this.link.call({ op: 'dgram-bind', id: this.#id, address: a as InetAddress }));
    if (code === null) return 'closed';
    return code === 0 ? null : errText(code);
  }

  connect(a: SockAddress, _tm: Timeout): string | null {
    const code = this.#done(this.link.call({ op: 'dgram-connect', id: this.#id, remote: a as InetAddress }));
    if (code === null) return 'closed';
    return code === 0 ? null : errText(code);
  }

  disconnect(): void {
    this.link.call({ op: 'dgram-connect', id: this.#id, remote: null });
  }

  send(data: Uint8Array, _tm: Timeout): number | string {
    return this.#send(data, null);
  }

  sendto(data: Uint8Array, to: SockAddress, _tm: Timeout): number | string {
    return this.#send(data, to as InetAddress);
  }

  #send(data: Uint8Array, to: InetAddress | null): number | string {
    // The socket's pending error goes to this send, which is not sent (as in the kernel).
    const pending = this.#ring.takeError();
    if (pending) return errText(pending);
    const n = this.#done(this.link.call({ op: 'dgram-send', id: this.#id, data, to }));
    if (n === null) return 'refused';
    return n >= 0 ? n : errText(-n);
  }

  receive(size: number, tm: Timeout, wantFrom: boolean): DatagramRead {
    return receiveFromRing(this.#ring, this.link, size, tm, wantFrom);
  }

  name(which: 'sock' | 'peer'): SockAddress | string {
    if (this.#closed) return errnoText(EBADF);
    const r = this.link.call({ op: 'names', id: this.#id });
    if (r === null || !('names' in r)) return errnoText(EBADF);
    const n = which === 'sock' ? r.names.local : r.names.peer;
    return 'err' in n ? errText(n.err) : n;
  }

  getoption(name: DgramOptionName): OptionRead {
    if (name === 'error') {
      const pending = this.#ring.takeError();
      return pending ? { value: errText(pending) } : { none: true };
    }
    const r = this.link.call({ op: 'dgram-option', id: this.#id, name, value: null });
    return r !== null && 'option' in r ? r.option : { err: 'getsockopt failed' };
  }

  setoption(name: DgramOptionName, value: DgramOptionValue): string | null {
    const r = this.link.call({ op: 'dgram-option', id: this.#id, name, value });
    if (r === null || !('option' in r)) return 'setsockopt failed';
    return 'err' in r.option ? r.option.err : null;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    orphans.unregister(this);
    this.link.post({ op: 'close', id: this.#id });
  }

  setfd(fd: number): void {
    this.#fdOverride = fd < 0 ? -1 : fd;
  }

  /** The worker moves datagrams as they come: there is no kernel view here. */
  kernelAhead(): boolean {
    return false;
  }

  /** A datagram in the ring or a pending error is readable; a UDP socket can always send. */
  readiness(): Readiness {
    const order = this.#order;
    if (!this.open) return { order, readable: false, writable: false, link: this.link };
    return { order, readable: this.#ring.hasNews(), writable: true, link: this.link };
  }
}

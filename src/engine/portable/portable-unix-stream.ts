/**
 * A unix-domain stream socket of the portable engine: a PortableStream (node:net in the
 * I/O worker, with pipes for sockets) given paths for addresses. What node:net's pipes
 * cannot do answers as LuaSocket's kernel would where the answer is certain (connect('')
 * is always EINVAL, a listen before bind EINVAL), else 'not supported on this platform':
 * the kernel's autobind (bind('')), socket options (node:net applies none to pipes).
 * A unix connect settles at once in the kernel, so it is waited for even with timeout 0;
 * a full backlog (EAGAIN) is 3.1.0's "success" with an unconnected socket.
 */
import { statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { dirname } from 'node:path';
import type { Stream } from '../../buffer.js';
import { errnoText, NOT_SUPPORTED } from '../../errors.js';
import { ErrCode } from '../../protocol.js';
import { Timeout } from '../../timeout.js';
import type { OptionName, OptionValue, Owner, Readiness, UnixAddress, UnixStreamHandle } from '../types.js';
import type { PortableStream } from './portable-stream.js';

const { EACCES, EAGAIN, EBADF, EINVAL, ENOENT, ENOTCONN, ENOTDIR } = osConstants.errno;
const NO_NAME = new Uint8Array(0);

/**
 * libuv reports a bind in a directory that does not exist as EACCES (Windows' answer);
 * the kernel said ENOENT (or ENOTDIR), which the directory itself still tells.
 */
function missingDirectory(path: Uint8Array): string {
  try {
    statSync(dirname(Buffer.from(path).toString()));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return errnoText(ENOENT);
    if (code === 'ENOTDIR') return errnoText(ENOTDIR);
  }
  return errnoText(EACCES);
}

export class PortableUnixStream implements UnixStreamHandle {
  #unconnected = false;
  /** The path getsockname reports: bound, or (accepted) the listener's; empty for a client. */
  #path: Uint8Array = NO_NAME;
  #bound = false;

  constructor(private readonly inner: PortableStream) {}

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
    if (a.path.length === 0) return NOT_SUPPORTED;
    const err = this.inner.bind(a);
    if (err === null) {
      this.#path = a.path;
      this.#bound = true;
    }
    return err === errnoText(EACCES) ? missingDirectory(a.path) : err;
  }

  listen(backlog: number): string | null {
    if (!this.#bound) return errnoText(EINVAL);
    return this.inner.listen(backlog);
  }

  connect(a: UnixAddress, tm: Timeout): string | null {
    if (a.path.length === 0) return errnoText(EINVAL);
    // connect(2) on a unix socket answers at once: wait for the worker to hear it.
    const err = this.inner.connect(a, new Timeout());
    if (err !== errnoText(EAGAIN)) return err;
    if (tm.immediate) return 'timeout';
    this.#unconnected = true;
    return null;
  }

  accept(tm: Timeout, owner: Owner): UnixStreamHandle | string {
    const r = this.inner.accept(tm, owner);
    if (typeof r === 'string') return r;
    const h = new PortableUnixStream(r as PortableStream);
    h.#path = this.#path;
    return h;
  }

  name(): Uint8Array | string {
    return this.inner.open ? this.#path : errnoText(EBADF);
  }

  setoption(_name: OptionName, _value: OptionValue): string | null {
    return this.inner.open ? NOT_SUPPORTED : 'setsockopt failed';
  }

  send(data: Uint8Array, tm: Timeout): [number, number] {
    if (this.#unconnected && this.inner.open) return [0, ErrCode.ERRNO_BASE + ENOTCONN];
    return this.inner.send(data, tm);
  }

  reader(tm: Timeout): Stream | null {
    return this.inner.reader(tm);
  }

  shutdown(how: 'send' | 'receive' | 'both'): void {
    this.inner.shutdown(how);
  }

  close(): void {
    const wasBound = this.#bound && this.inner.open;
    this.inner.close();
    // close(2) is done when it returns: the worker's listener must be gone (and its socket
    // file back, see worker/listener.ts) before the script goes on. A call it answers after
    // the close tells.
    if (!wasBound || this.inner.link.isDead()) return;
    try {
      this.inner.link.call({ op: 'names', id: 0 });
    } catch {
      // The worker is gone, and its listener with it.
    }
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

/**
 * What every LuaSocket object has, whatever its kind (LuaSocket's auxiliar.c and
 * timeout.c): a class name `group{kind}`, the self checks that raise "calling 'X' on bad
 * self", tostring, timeouts, getfd/setfd, and (not part of LuaSocket) the encoding received data comes
 * back in.
 */
import { ABSENT, arg, argError, checkNumber, checkString, LuaError, optNumber } from './args.js';
import type { Encoding } from './buffer.js';
import type { Readiness } from './engine/types.js';
import { Timeout } from './timeout.js';

export type Ok = [1];
export type Fail = [null, string];
export type Data = string | Buffer;

let objectCount = 0;

/** What every engine handle has: its descriptor, whether it stands for a socket, close and setfd. */
export interface FdHandle {
  readonly fd: number;
  readonly open: boolean;
  close(): void;
  setfd(fd: number): void;
}

export abstract class SocketObject<_D extends Data = string, H extends FdHandle = FdHandle> {
  /** LuaSocket's group: 'tcp', 'udp', 'unixstream', 'unixdgram'. */
  protected abstract readonly group: string;
  /** The state within the group: 'master', 'client', 'server', 'connected', 'unconnected'. */
  protected kind: string;
  protected readonly tm = new Timeout();
  protected encoding: Encoding = 'utf8';
  /** The OS socket, null when there is none (never created, closed, or setfd(-1) on a fresh object). */
  protected handle: H | null = null;
  /** The object's number; tostring's address is made from it only when asked for. */
  readonly #serial: number;

  constructor(kind: string) {
    this.kind = kind;
    objectCount += 1;
    this.#serial = objectCount;
  }

  /** LuaSocket's class name, e.g. 'tcp{client}'. */
  get class(): string {
    return `${this.group}{${this.kind}}`;
  }

  toString(): string {
    return `${this.class}: 0x${(0x55d0c0000000 + this.#serial * 0x40).toString(16)}`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  /**
   * LuaSocket's class check: `kinds` empty accepts any kind of the group. A method called on
   * something that is not an object of this package (e.g. detached with `const f = c.send`)
   * fails the same way.
   */
  protected check(fname: string, ...kinds: string[]): void {
    const ours = #serial in this;
    if (!ours || (kinds.length > 0 && !kinds.includes(this.kind))) {
      const group = ours ? this.group : 'tcp';
      throw new LuaError(`calling '${fname}' on bad self (${group}{${kinds.length === 1 ? kinds[0] : 'any'}} expected)`);
    }
  }

  /** The socket, when the object has one (setfd(-1) leaves a handle with none). */
  protected socket(): H | null {
    return this.handle?.open ? this.handle : null;
  }

  /** Closes and drops the socket, then fails with `err`: unixstream.c and unixdgram.c do so when bind or connect fails. */
  protected destroyed(err: string): Fail {
    this.handle?.close();
    this.handle = null;
    return [null, err];
  }

  getfd(): [number] {
    this.check('getfd');
    return [this.handle?.fd ?? -1];
  }

  /** Replaces the stored descriptor without closing the old one (returns no values). */
  setfd(fd: number): [];
  setfd(...args: unknown[]): [] {
    this.check('setfd');
    const fd = toCInt(checkNumber(arg(args, 0), 1, 'setfd'));
    if (this.handle) this.handle.setfd(fd);
    else if (fd >= 0) this.handle = this.adoptFd(fd);
    return [];
  }

  /** setfd on an object without a socket: a handle for `fd` (null: this kind cannot adopt one). */
  protected abstract adoptFd(fd: number): H | null;

  /** @internal readiness for socket.select (null: no OS socket, never ready). */
  abstract readiness(): Readiness | null;

  /** @internal for select(…, 0): would the kernel wake a reader that shared memory does not show yet? */
  abstract kernelAhead(): boolean;

  /** @internal select's dirty rule: unconsumed bytes in LuaSocket's own input buffer. */
  protected abstract isDirty(): boolean;

  /** @internal */
  selectDirty(): boolean {
    return this.isDirty();
  }

  // ---------------------------------------------------------------- encoding

  /**
   * How received data comes back: 'utf8' (default) strings, 'latin1' strings with one
   * char per byte (Lua's model: every byte round-trips), or 'buffer' for Buffers.
   * String arguments (send data, prefixes) are encoded the same way ('buffer': UTF-8).
   * Each kind's setencoding() returns the object typed for the new encoding. Not part of LuaSocket.
   */
  protected applyEncoding(encoding: unknown): void {
    if (encoding !== 'utf8' && encoding !== 'latin1' && encoding !== 'buffer') {
      throw argError(1, 'setencoding', `invalid option '${String(encoding)}'`);
    }
    this.encoding = encoding;
  }

  getencoding(): Encoding {
    return this.encoding;
  }

  // ---------------------------------------------------------------- timeouts

  settimeout(value?: number | string | null, mode?: string | null): Ok;
  settimeout(...args: unknown[]): Ok {
    this.check('settimeout');
    const t = optNumber(arg(args, 0), 1, 'settimeout', -1);
    const m = arg(args, 1);
    const mode = m === ABSENT || m === null || m === undefined ? 'b' : checkString(m, 2, 'settimeout');
    switch (mode[0]) {
      case 'b':
        this.tm.block = t;
        break;
      case 't':
      case 'r':
        this.tm.total = t;
        break;
      default:
        throw argError(2, 'settimeout', 'invalid timeout mode');
    }
    return [1];
  }

  /**
   * gettimeout's answer. Not a method of every kind: LuaSocket's unix stream objects have
   * none, so each kind that has one declares it (tcp, udp, unixdgram, ssl).
   */
  protected timeouts(fname: string): [number, number] {
    this.check(fname);
    return [this.tm.block, this.tm.total];
  }
}

/**
 * C's conversions of a double, as LuaSocket's casts do them on x86-64: values out of range
 * (and NaN, infinities) become the type's minimum.
 */
export function toCInt(x: number): number {
  return Number.isFinite(x) && x > -2147483649 && x < 2147483648 ? Math.trunc(x) : -2147483648;
}

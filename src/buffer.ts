/**
 * LuaSocket's buffer.c on top of the shared rx ring: receive patterns, prefixes and partial
 * results, for every stream kind and both engines.
 *
 * Input model (spec 5.1): LuaSocket keeps an 8 KiB input buffer and refills it with one
 * read only when it is empty. Here that buffer is a window [first, last) over the rx
 * ring: a "fill" just moves `last` forward by at most FILL_BYTES of what the worker has
 * already put in the ring. Bytes between `last` and the ring head play the part of the
 * kernel's queue. So dirty(), select's dirty rule, receive(0) and what a failed call
 * consumes match LuaSocket, and a receive that the ring can satisfy never leaves this
 * thread.
 */
import { constants as bufferConstants } from 'node:buffer';
import type { Stats } from './engine/types.js';
import { WorkerDeadError, type WorkerLink } from './engine/worker-link.js';
import { GrowingBytes } from './growing-bytes.js';
import { ErrCode, FILL_BYTES, Hdr, Layout, RX_RING_BYTES, RxFlag, SETTLE_MS } from './protocol.js';
import type { Timeout } from './timeout.js';

export type Encoding = 'utf8' | 'latin1' | 'buffer';

const RX_MASK = RX_RING_BYTES - 1;
const LF = 10;
const CR = 13;
const EMPTY = Buffer.alloc(0);

/** A receive result before decoding: bytes, or an error code with the partial bytes. */
export type Received = { ok: true; data: Buffer } | { ok: false; err: number; partial: Buffer };

/** What a stream needs from the engine handle that owns it. */
export interface RxHost {
  /** The link of the worker that fills this ring (a new one after recover()). */
  readonly link: WorkerLink;
  /** Does the kernel hold bytes (or EOF) the worker has not published yet? (false when the engine cannot tell) */
  kernelAhead(): boolean;
  /** The worker died: have a fresh one fill the same ring. False when that cannot be done. */
  recover(): boolean;
}

/** The I/O state of one connected socket, seen from the calling thread. */
export class Stream {
  readonly hdr: Int32Array;
  readonly rx: Buffer;
  /** LuaSocket's input buffer: the window [first, last) of the rx ring (uint32 counters). */
  private first = 0;
  private last = 0;
  /** Tail position when the worker was last notified of freed space (throttles notifies). */
  private resumeMark = 0;
  /** Set by close(): no more fills, buffered bytes stay readable. */
  private detached = false;
  /** shutdown was called: an empty buffer reads as the end of stream (what arrives later is still read). */
  readShut = false;
  /** The error the worker published (a reset) was reported once: from now on the stream reads as ended. */
  private errorTaken = false;

  constructor(
    readonly sab: SharedArrayBuffer,
    private readonly host: RxHost,
    private readonly tm: Timeout,
    /** The object's getstats counters: bytes consumed by patterns, bytes accepted by sends. */
    private readonly stats: Stats,
  ) {
    this.hdr = new Int32Array(sab, 0, Hdr.WORDS);
    this.rx = Buffer.from(sab, Layout.rxOffset, RX_RING_BYTES);
  }

  /** Stop reading from the worker; what is already in LuaSocket's buffer stays. */
  detach(): void {
    this.detached = true;
  }

  /**
   * The socket's pending error, as the kernel keeps it until one call reads it: the first
   * receive that reaches it, a send, or getoption('error') takes it (0: none, or taken).
   */
  takeError(): number {
    if (this.errorTaken || (Atomics.load(this.hdr, Hdr.RX_FLAGS) & RxFlag.ERROR) === 0) return 0;
    this.errorTaken = true;
    return Atomics.load(this.hdr, Hdr.RX_ERR) || ErrCode.CLOSED;
  }

  /** LuaSocket's dirty(): unconsumed bytes in its own buffer (not the kernel's). */
  dirty(): boolean {
    return this.first !== this.last;
  }

  /** select() readability at the "OS" level: more bytes, EOF or an error are pending. */
  osReadable(): boolean {
    return !this.detached && this.hasNews();
  }

  /**
   * Counter of the first byte nobody has taken from the ring yet (past LuaSocket's buffer):
   * where a TLS session taking the connection over must start reading.
   */
  unread(): number {
    return this.last;
  }

  /** Ring offset where LuaSocket's buffer (the window) starts. */
  windowStart(): number {
    return this.first & RX_MASK;
  }

  /**
   * The fast line path: if the window holds a whole line without CR, the ring offset of
   * its LF (the line is [windowStart(), end)); otherwise -1 and nothing changes. Short
   * lines are scanned in JS, which beats a native call for the typical 20-80 bytes.
   */
  lineEnd(): number {
    if (this.first === this.last) return -1;
    const rx = this.rx;
    const off = this.first & RX_MASK;
    const end = off + ((this.last - this.first) >>> 0);
    const lim = Math.min(end, off + 96);
    let i = off;
    for (; i < lim; i++) {
      const c = rx[i];
      if (c === LF) return i;
      if (c === CR) return -1;
    }
    if (i === end) return -1;
    const lf = rx.indexOf(LF, i);
    if (lf < 0 || lf >= end) return -1;
    const cr = rx.indexOf(CR, i);
    return cr >= 0 && cr < lf ? -1 : lf;
  }

  /**
   * Takes `n` bytes out of LuaSocket's buffer. The worker only learns of it at release():
   * results may still be views of the ring until the caller has decoded or copied them,
   * and the worker must not write over those bytes before then.
   */
  consume(n: number): void {
    this.first = (this.first + n) >>> 0;
    this.stats.received += n;
  }

  /** Hands consumed ring space back to the worker (after results were decoded or copied). */
  release(): void {
    if (Atomics.load(this.hdr, Hdr.RX_TAIL) >>> 0 === this.first) return;
    Atomics.store(this.hdr, Hdr.RX_TAIL, this.first | 0);
    this.maybeResume(false);
  }

  private maybeResume(force: boolean): void {
    if ((Atomics.load(this.hdr, Hdr.RX_FLAGS) & RxFlag.PAUSED) === 0) return;
    if (force ? this.resumeMark === this.first : (this.first - this.resumeMark) >>> 0 < RX_RING_BYTES / 4) return;
    this.resumeMark = this.first;
    // The worker waits for this with Atomics.waitAsync on RX_TAIL (see Connection.awaitRoom).
    Atomics.notify(this.hdr, Hdr.RX_TAIL);
  }

  /** Bytes beyond the window, EOF or an error arrived from the worker. */
  private hasNews(): boolean {
    return (
      Atomics.load(this.hdr, Hdr.RX_HEAD) >>> 0 !== this.last || (Atomics.load(this.hdr, Hdr.RX_FLAGS) & (RxFlag.EOF | RxFlag.ERROR)) !== 0
    );
  }

  /** The worker paused after our last look: it needs a notify before anything can come. */
  private needsResume(): boolean {
    return (Atomics.load(this.hdr, Hdr.RX_FLAGS) & RxFlag.PAUSED) !== 0 && this.resumeMark !== this.first;
  }

  /**
   * LuaSocket's buffer_get when its buffer is empty: one "read" of at most FILL_BYTES,
   * waiting per the timeout rules. `maxBytes` lets bulk reads take more at once where
   * that cannot be observed. Returns 0 or an ErrCode. The window never wraps the ring.
   */
  private fill(maxBytes = FILL_BYTES, want = 0): number {
    if (this.detached) return ErrCode.CLOSED;
    // Everything taken so far in this call was copied out: the worker may reuse it.
    this.release();
    for (;;) {
      const flags = Atomics.load(this.hdr, Hdr.RX_FLAGS);
      const head = Atomics.load(this.hdr, Hdr.RX_HEAD) >>> 0;
      if (head !== this.last) {
        const off = this.last & RX_MASK;
        const n = Math.min(maxBytes, (head - this.last) >>> 0, RX_RING_BYTES - off);
        this.last = (this.last + n) >>> 0;
        return 0;
      }
      if (flags & RxFlag.ERROR) return this.takeError() || ErrCode.CLOSED;
      if (flags & RxFlag.EOF) return ErrCode.CLOSED;
      if (this.readShut) {
        // After shutdown('both') what is queued is returned, then the end of the stream.
        if (this.host.kernelAhead() && this.host.link.waitUntil(() => this.hasNews(), performance.now() + SETTLE_MS)) continue;
        return ErrCode.CLOSED;
      }
      if (this.tm.immediate) {
        // LuaSocket would read what the kernel holds: let the worker publish it first.
        if (this.host.kernelAhead() && this.host.link.waitUntil(() => this.hasNews(), performance.now() + SETTLE_MS)) continue;
        return ErrCode.TIMEOUT;
      }
      if (this.host.link.isDead() && !this.host.recover()) return ErrCode.CLOSED;
      this.maybeResume(true);
      try {
        // Waking for a pause that began after the check above loops back to notify it.
        if (!this.waitNews(want)) {
          // Out of time: what did arrive is still taken (LuaSocket's partial result).
          if (Atomics.load(this.hdr, Hdr.RX_HEAD) >>> 0 !== this.last) continue;
          return ErrCode.TIMEOUT;
        }
      } catch (e) {
        // The worker is gone: move to a fresh one, or end here with what was consumed.
        if (!(e instanceof WorkerDeadError)) throw e;
        if (this.host.recover()) continue;
        return ErrCode.CLOSED;
      }
    }
  }

  /**
   * Waits per the timeout for news. With `want` > 0 (bytes a count receive still misses) the
   * worker is asked not to wake this thread for less (protocol.ts, RX_WANT), so a bulk
   * receive sleeps once instead of once per arriving chunk.
   */
  private waitNews(want: number): boolean {
    const hdr = this.hdr;
    if (want <= 0) return this.host.link.waitUntil(() => this.hasNews() || this.needsResume(), this.tm.waitDeadline());
    const target = (this.last + Math.min(want, RX_RING_BYTES / 4)) | 0;
    Atomics.store(hdr, Hdr.RX_WANT, target);
    Atomics.or(hdr, Hdr.RX_FLAGS, RxFlag.WANT);
    try {
      const enough = () =>
        ((Atomics.load(hdr, Hdr.RX_HEAD) - target) | 0) >= 0 ||
        (Atomics.load(hdr, Hdr.RX_FLAGS) & (RxFlag.EOF | RxFlag.ERROR)) !== 0 ||
        this.needsResume();
      return this.host.link.waitUntil(enough, this.tm.waitDeadline());
    } finally {
      Atomics.and(hdr, Hdr.RX_FLAGS, ~RxFlag.WANT);
    }
  }

  /** Offset of the window in the ring and its length. */
  private window(): [number, number] {
    return [this.first & RX_MASK, (this.last - this.first) >>> 0];
  }

  /**
   * '*l': up to LF, every CR dropped. `max` (optional, upstream PR #463) caps the payload,
   * prefix included: a line longer than `max` bytes fails with 'oversized' and exactly
   * `max` bytes as the partial; the rest stays buffered. A line of exactly `max` bytes
   * succeeds; if its LF does not come in time the call fails with 'oversized'.
   */
  receiveLine(prefix: Buffer, max = Number.POSITIVE_INFINITY): Received {
    const parts: Buffer[] = prefix.length ? [prefix] : [];
    let acc = prefix.length;
    for (;;) {
      if (this.first === this.last) {
        // At the cap only an LF (or the end) can still come in time: a timeout there is
        // reported as 'oversized', so a timeout partial is always shorter than max.
        const atCap = acc >= max;
        const err = this.fill();
        if (atCap && err === ErrCode.TIMEOUT) return { ok: false, err: ErrCode.OVERSIZED, partial: join(parts) };
        if (err) return { ok: false, err, partial: join(parts) };
      }
      const [off, len] = this.window();
      const win = this.rx.subarray(off, off + len);
      const lf = win.indexOf(LF);
      const seg = lf >= 0 ? win.subarray(0, lf) : win;
      if (lf >= 0 && parts.length === 0 && seg.length <= max && seg.indexOf(CR) < 0) {
        // Fast path: the whole line is in the window and has no CR. The caller decodes
        // straight from shared memory before anything can overwrite it.
        this.consume(lf + 1);
        return { ok: true, data: seg };
      }
      const payload = stripCR(seg, true);
      if (acc + payload.length > max) {
        const [raw, kept] = cutPayload(seg, max - acc);
        parts.push(kept);
        this.consume(raw);
        return { ok: false, err: ErrCode.OVERSIZED, partial: join(parts) };
      }
      parts.push(payload);
      acc += payload.length;
      if (lf >= 0) {
        this.consume(lf + 1);
        return { ok: true, data: join(parts) };
      }
      this.consume(len);
    }
  }

  /** A byte count: `wanted` bytes in all, prefix included (spec 6.13). */
  receiveCount(wanted: number, prefix: Buffer): Received {
    if (prefix.length > 0 && prefix.length >= wanted) return { ok: true, data: prefix };
    const need = wanted - prefix.length;
    // The window is always taken at least once, as LuaSocket's recvraw does (receive(0)).
    let out: Buffer | null = null;
    let got = 0;
    do {
      if (this.first === this.last) {
        const err = this.fill(Math.max(need - got, FILL_BYTES), need - got);
        if (err) return { ok: false, err, partial: concat(prefix, out, got) };
      }
      const [off, len] = this.window();
      const take = Math.min(len, need - got);
      if (out === null && take === need) {
        // Everything in one piece: hand out a view, copied by the caller if it must outlive this call.
        const data = concat(prefix, this.rx.subarray(off, off + take), take);
        this.consume(take);
        return { ok: true, data };
      }
      out ??= Buffer.allocUnsafe(Math.min(need, bufferConstants.MAX_LENGTH));
      this.rx.copy(out, got, off, off + take);
      got += take;
      this.consume(take);
    } while (got < need);
    return { ok: true, data: concat(prefix, out, got) };
  }

  /**
   * '*a': until the stream ends; success if anything new arrived (spec 6.13). With `max`,
   * more than `max` bytes (prefix included) fail with 'oversized' and exactly `max` bytes
   * as the partial; a stream that ends exactly at the cap succeeds (completion wins), and
   * a timeout at the cap is reported as 'oversized'.
   */
  receiveAll(prefix: Buffer, max = Number.POSITIVE_INFINITY): Received {
    const out = new GrowingBytes(Math.min(max, bufferConstants.MAX_LENGTH));
    out.append(prefix);
    let fresh = 0;
    for (;;) {
      if (this.first === this.last) {
        const atCap = out.length >= max;
        // '*a' drains everything, so taking more than 8 KiB per fill is unobservable.
        const err = this.fill(RX_RING_BYTES);
        if (err === ErrCode.CLOSED && fresh > 0) return { ok: true, data: out.take() };
        if (atCap && err === ErrCode.TIMEOUT) return { ok: false, err: ErrCode.OVERSIZED, partial: out.take() };
        if (err) return { ok: false, err, partial: out.take() };
      }
      const [off, len] = this.window();
      const take = Math.min(len, max - out.length);
      out.append(this.rx.subarray(off, off + take));
      this.consume(take);
      if (take < len) return { ok: false, err: ErrCode.OVERSIZED, partial: out.take() };
      fresh += len;
    }
  }
}

function join(parts: Buffer[]): Buffer {
  if (parts.length === 0) return EMPTY;
  if (parts.length === 1) return parts[0] as Buffer;
  return Buffer.concat(parts);
}

function concat(prefix: Buffer, body: Buffer | null, bodyLen: number): Buffer {
  const b = body ? body.subarray(0, bodyLen) : EMPTY;
  return prefix.length ? Buffer.concat([prefix, b]) : b;
}

/**
 * The shortest prefix of `seg` holding `want` non-CR bytes: returns how many raw bytes
 * that is and those payload bytes (CRs dropped).
 */
function cutPayload(seg: Buffer, want: number): [number, Buffer] {
  let raw = 0;
  let got = 0;
  while (raw < seg.length && got < want) {
    if (seg[raw] !== CR) got += 1;
    raw += 1;
  }
  return [raw, stripCR(seg.subarray(0, raw), true)];
}

/** A copy without CR bytes (or a plain copy when `copy` and there are none). */
function stripCR(seg: Buffer, copy: boolean): Buffer {
  let cr = seg.indexOf(CR);
  if (cr < 0) return copy ? Buffer.from(seg) : seg;
  const out = Buffer.allocUnsafe(seg.length);
  let n = 0;
  let from = 0;
  while (cr >= 0) {
    n += seg.copy(out, n, from, cr);
    from = cr + 1;
    cr = seg.indexOf(CR, from);
  }
  n += seg.copy(out, n, from);
  return out.subarray(0, n);
}

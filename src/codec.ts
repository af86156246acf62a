/**
 * Bytes in and out of an object's encoding ('utf8', 'latin1' or 'buffer'): how send data
 * and prefixes become bytes, and how received bytes come back. Shared by every kind.
 */
import type { Encoding } from './buffer.js';

/** The bytes of a string or byte array argument in `encoding` (a view, not a copy, for byte arrays). */
export function toBytes(v: string | Uint8Array, encoding: Encoding): Buffer {
  if (typeof v !== 'string') return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return Buffer.from(v, encoding === 'latin1' ? 'latin1' : 'utf8');
}

/**
 * send's strings are encoded into this reused buffer: no allocation, no length pass and no
 * garbage per call. Safe because every engine's send has copied the bytes out (into the
 * kernel or a tx ring) before it returns, and nothing else runs meanwhile on this thread.
 */
let scratch = Buffer.allocUnsafe(0);
/** Strings whose worst-case encoding is longer than this get a buffer of their own. */
const SCRATCH_MAX_BYTES = 4 << 20;
const SCRATCH_MIN_BYTES = 64 << 10;

/**
 * The bytes of send data in `encoding`: byte arrays as a view, strings in the scratch
 * buffer (valid until the next call) or, when long, in a fresh Buffer.
 */
export function sendBytes(v: string | Uint8Array, encoding: Encoding): Buffer {
  if (typeof v !== 'string') return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  const latin1 = encoding === 'latin1';
  // A UTF-16 code unit takes at most 3 bytes in UTF-8 (a surrogate pair 4 for 2 units).
  const worst = latin1 ? v.length : v.length * 3;
  if (worst > SCRATCH_MAX_BYTES) return Buffer.from(v, latin1 ? 'latin1' : 'utf8');
  if (scratch.length < worst)
    scratch = Buffer.allocUnsafe(Math.max(worst, SCRATCH_MIN_BYTES, Math.min(2 * scratch.length, SCRATCH_MAX_BYTES)));
  const n = latin1 ? latin1Write.call(scratch, v, 0, worst) : utf8Write.call(scratch, v, 0, worst);
  return scratch.subarray(0, n);
}

/** Longest string V8 can make: longer results come back as Buffers whatever the encoding. */
const MAX_STRING_BYTES = 0x1fffffe8;

/**
 * Received bytes as the object returns them. `shared` is the memory the bytes may still
 * view (a ring): a Buffer result over it is copied, since the ring is about to be reused.
 */
export function fromBytes(b: Buffer, encoding: Encoding, shared: ArrayBufferLike | null): string | Buffer {
  if (encoding === 'buffer') return b.buffer === shared ? copyOf(b, 0, b.length) : b;
  if (b.length > MAX_STRING_BYTES) return Buffer.from(b);
  return encoding === 'latin1' ? latin1Slice.call(b, 0, b.length) : utf8Slice.call(b, 0, b.length);
}

/**
 * A fresh Buffer holding bytes [start, end) of `buf`. allocUnsafe + copy: Buffer.from(view)
 * makes a zero-filled copy through the TypedArray constructor, 30-40% slower for 64 KiB.
 */
function copyOf(buf: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(end - start);
  buf.copy(out, 0, start, end);
  return out;
}

/** Bytes [start, end) of `buf` as the object returns them (a fresh copy for 'buffer'). */
export function sliceAs(buf: Buffer, start: number, end: number, encoding: Encoding): string | Buffer {
  if (encoding === 'buffer') return copyOf(buf, start, end);
  return encoding === 'utf8' ? utf8Slice.call(buf, start, end) : latin1Slice.call(buf, start, end);
}

/** Buffer's own decoders and encoders, without toString's and write's argument handling (hot paths). */
type Slice = (this: Buffer, start: number, end: number) => string;
type Write = (this: Buffer, s: string, offset: number, length: number) => number;
const proto = Buffer.prototype as unknown as { utf8Slice?: Slice; latin1Slice?: Slice; utf8Write?: Write; latin1Write?: Write };
const utf8Slice: Slice =
  proto.utf8Slice ??
  function (this: Buffer, a: number, b: number) {
    return this.toString('utf8', a, b);
  };
const latin1Slice: Slice =
  proto.latin1Slice ??
  function (this: Buffer, a: number, b: number) {
    return this.toString('latin1', a, b);
  };
const utf8Write: Write =
  proto.utf8Write ??
  function (this: Buffer, s: string, offset: number, length: number) {
    return this.write(s, offset, length, 'utf8');
  };
const latin1Write: Write =
  proto.latin1Write ??
  function (this: Buffer, s: string, offset: number, length: number) {
    return this.write(s, offset, length, 'latin1');
  };

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

/** Longest string V8 can make: longer results come back as Buffers whatever the encoding. */
const MAX_STRING_BYTES = 0x1fffffe8;

/**
 * Received bytes as the object returns them. `shared` is the memory the bytes may still
 * view (a ring): a Buffer result over it is copied, since the ring is about to be reused.
 */
export function fromBytes(b: Buffer, encoding: Encoding, shared: ArrayBufferLike | null): string | Buffer {
  if (encoding === 'buffer') return b.buffer === shared ? Buffer.from(b) : b;
  if (b.length > MAX_STRING_BYTES) return Buffer.from(b);
  return encoding === 'latin1' ? latin1Slice.call(b, 0, b.length) : utf8Slice.call(b, 0, b.length);
}

/** Bytes [start, end) of `buf` as the object returns them (a fresh copy for 'buffer'). */
export function sliceAs(buf: Buffer, start: number, end: number, encoding: Encoding): string | Buffer {
  if (encoding === 'buffer') return Buffer.from(buf.subarray(start, end));
  return encoding === 'utf8' ? utf8Slice.call(buf, start, end) : latin1Slice.call(buf, start, end);
}

/** Buffer's own decoders, without toString's argument handling (hot path of receive). */
type Slice = (this: Buffer, start: number, end: number) => string;
const proto = Buffer.prototype as unknown as { utf8Slice?: Slice; latin1Slice?: Slice };
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

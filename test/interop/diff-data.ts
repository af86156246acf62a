/**
 * Byte strings in the differential sequences (test/interop/differential/*.json) and in
 * their results. diff-runner.lua implements the same two rules in Lua.
 *
 * In a sequence, data is either a plain ASCII string, or one of
 *   {"hex": "00ff10"}            the bytes spelled in hex
 *   {"rep": DATA, "n": 1000}     DATA repeated n times
 *   {"bytes": [0, 255]}          the byte values from..to, in order
 *   {"cat": [DATA, DATA, ...]}   concatenation
 * In results, a byte string of at most 512 bytes that is printable ASCII (plus TAB, CR,
 * LF) stays a string; other short strings become {"hex": ...}; longer ones become
 * {"len": N, "sum": checksum}.
 */
import { checksum } from './lua.js';

export type DataSpec = string | { hex: string } | { rep: DataSpec; n: number } | { bytes: [number, number] } | { cat: DataSpec[] };

export function isDataSpec(v: unknown): v is DataSpec {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && ('hex' in v || 'rep' in v || 'bytes' in v || 'cat' in v);
}

/** The bytes a data spec stands for. */
export function bytesOf(v: DataSpec): Buffer {
  if (typeof v === 'string') return Buffer.from(v, 'latin1');
  if ('hex' in v) return Buffer.from(v.hex, 'hex');
  if ('rep' in v) return Buffer.alloc(bytesOf(v.rep).length * v.n, bytesOf(v.rep));
  if ('bytes' in v) {
    const [from, to] = v.bytes;
    return Buffer.from(Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i));
  }
  return Buffer.concat(v.cat.map(bytesOf));
}

export type EncodedBytes = string | { hex: string } | { len: number; sum: string };

/** A byte string as it appears in a result record. */
export function encodeBytes(b: Buffer): EncodedBytes {
  if (b.length > 512) return { len: b.length, sum: checksum(b) };
  for (const x of b) if (!((x >= 0x20 && x <= 0x7e) || x === 9 || x === 10 || x === 13)) return { hex: b.toString('hex') };
  return b.toString('latin1');
}

/**
 * The test bodies: a deterministic byte stream that the HTTP test server sends and the
 * tests recompute to check what arrived (64 KiB xorshift blocks, each starting with its
 * index, so a lost, repeated or reordered block changes the hash).
 */
import { createHash } from 'node:crypto';
import { xorshiftBlock } from './xorshift.js';

export const BLOCK = 65536;

let base: Buffer | null = null;

function baseBlock(): Buffer {
  base ??= xorshiftBlock(0x9e3779b9, BLOCK);
  return base;
}

/** Block `k` of the stream (a fresh buffer of BLOCK bytes). */
export function block(k: number): Buffer {
  const b = Buffer.from(baseBlock());
  b.writeUInt32LE(k >>> 0, 0);
  return b;
}

/** Calls `each` with the stream's first `length` bytes, in pieces of at most BLOCK bytes. */
export function forEachPiece(length: number, each: (piece: Buffer) => void): void {
  for (let off = 0, k = 0; off < length; off += BLOCK, k++) each(block(k).subarray(0, Math.min(BLOCK, length - off)));
}

/** The sha256 (hex) of the stream's first `length` bytes. */
export function streamHash(length: number): string {
  const h = createHash('sha256');
  forEachPiece(length, (p) => h.update(p));
  return h.digest('hex');
}

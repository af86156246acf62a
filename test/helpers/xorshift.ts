/** A block of xorshift32 bytes from `seed`: the deterministic data the stream tests send and check. */
export function xorshiftBlock(seed: number, size = 65536): Buffer {
  const b = Buffer.alloc(size);
  let x = seed >>> 0;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

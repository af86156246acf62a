/**
 * The result of one receive('*a'), grown in place. A resizable ArrayBuffer reserves
 * address space up to the limit and commits pages only as bytes arrive, so each byte is
 * copied once (ring -> result) and the memory is the result's size. A list of parts joined
 * at the end copied every byte twice and faulted in twice the memory, which is what a
 * large '*a' spent most of its time on.
 */

/** Growth step: one resize (a system call) per this much, not per fill. */
const STEP = 1 << 20;

/** ES2024's resizable ArrayBuffer (Node 20 has it; the project's TypeScript lib predates it). */
interface Resizable extends ArrayBuffer {
  readonly maxByteLength: number;
  resize(byteLength: number): void;
}
const ResizableArrayBuffer = ArrayBuffer as unknown as new (byteLength: number, options: { maxByteLength: number }) => Resizable;

export class GrowingBytes {
  #ab: Resizable | null = null;
  /** Length-tracking view of #ab. */
  #view: Uint8Array | null = null;
  /** Where the address space could not be reserved: parts joined at the end. */
  #parts: Buffer[] | null = null;
  #length = 0;

  constructor(limit: number) {
    try {
      this.#ab = new ResizableArrayBuffer(0, { maxByteLength: limit });
      this.#view = new Uint8Array(this.#ab);
    } catch {
      this.#parts = [];
    }
  }

  get length(): number {
    return this.#length;
  }

  /** Appends a copy of `src`. */
  append(src: Uint8Array): void {
    const n = src.length;
    if (n === 0) return;
    const end = this.#length + n;
    if (this.#parts) {
      this.#parts.push(Buffer.from(src));
    } else {
      const ab = this.#ab as Resizable;
      if (end > ab.byteLength) ab.resize(Math.min(ab.maxByteLength, Math.max(end, ab.byteLength + STEP)));
      (this.#view as Uint8Array).set(src, this.#length);
    }
    this.#length = end;
  }

  /** The bytes so far, as one Buffer (the accumulator is not used afterwards). */
  take(): Buffer {
    if (this.#parts) return this.#parts.length === 1 ? (this.#parts[0] as Buffer) : Buffer.concat(this.#parts, this.#length);
    const ab = this.#ab as Resizable;
    // Where the runtime can (V8 11.4+, Node 22+), the bytes move to an ordinary fixed-length
    // buffer without a copy, so the result can be posted or cloned like any Buffer; on
    // Node 20 it stays resizable (README: Bytes and encodings).
    const fixed = (ab as unknown as { transferToFixedLength?: (n: number) => ArrayBuffer }).transferToFixedLength;
    if (typeof fixed === 'function') return Buffer.from(fixed.call(ab, this.#length));
    ab.resize(this.#length);
    return Buffer.from(ab, 0, this.#length);
  }
}

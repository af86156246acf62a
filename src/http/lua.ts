/**
 * The few Lua conversions the http, url and ltn12 modules need to behave like their Lua
 * originals: truthiness, tostring and tonumber, and byte views of strings.
 */

/** Lua truthiness: only nil (null/undefined) and false are false. */
export function truthy(v: unknown): boolean {
  return v !== null && v !== undefined && v !== false;
}

/** Lua's tostring for numbers: integers without a decimal point, others as %.14g. */
export function numberText(n: number): string {
  if (Number.isInteger(n)) return String(n);
  if (Number.isNaN(n)) return n > 0 ? 'nan' : '-nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  return Number(n.toPrecision(14)).toString();
}

/** Lua's string coercion of a concatenated value (strings and numbers). */
export function luaString(v: string | number): string {
  return typeof v === 'number' ? numberText(v) : v;
}

const DECIMAL = /^[ \t\n\v\f\r]*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?[ \t\n\v\f\r]*$/;
const HEX = /^[ \t\n\v\f\r]*(-)?0[xX]([0-9a-fA-F]+)[ \t\n\v\f\r]*$/;

/** Lua's tonumber(v) for strings and numbers (hexadecimal integers included); else null. */
export function toNumber(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return null;
  if (DECIMAL.test(v)) return Number(v.trim());
  const h = HEX.exec(v);
  if (h) return (h[1] ? -1 : 1) * Number.parseInt(h[2]!, 16);
  return null;
}

const HEX_INTEGER = /^[ \t\n\v\f\r]*(-)?([0-9a-fA-F]+)[ \t\n\v\f\r]*$/;

/** Lua's tonumber(s, 16): optional minus, hexadecimal digits, spaces around; else null. */
export function hexToNumber(s: string): number | null {
  const m = HEX_INTEGER.exec(s);
  if (!m) return null;
  return (m[1] ? -1 : 1) * Number.parseInt(m[2]!, 16);
}

/** Bytes of a string (UTF-8, the package's default text encoding) or a byte array (no copy). */
export function bytesOf(v: string | Uint8Array): Buffer {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** Byte length of a chunk without encoding it. */
export function byteLength(v: string | Uint8Array): number {
  return typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.byteLength;
}

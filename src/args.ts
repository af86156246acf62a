/**
 * Lua-style argument checks. LuaSocket validates with the Lua auxiliary library, so its
 * errors read `bad argument #N to 'NAME' (MSG)`; these helpers raise the same messages,
 * with the same coercions (numbers where strings are wanted, numeric strings where
 * numbers are wanted). Absent arguments read "no value", explicit null reads "nil".
 */

/** An error LuaSocket raises (as opposed to the nil, "message" results it returns). */
export class LuaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LuaError';
  }
}

/** Marks an argument that was not passed at all (Lua "no value"). */
export const ABSENT: unique symbol = Symbol('absent');

export function argError(n: number, fname: string, msg: string): LuaError {
  return new LuaError(`bad argument #${n} to '${fname}' (${msg})`);
}

/** Lua's name for a value's type, as the auxiliary library prints it. */
export function luaTypeName(v: unknown): string {
  if (v === ABSENT) return 'no value';
  if (v === null || v === undefined) return 'nil';
  switch (typeof v) {
    case 'boolean':
      return 'boolean';
    case 'number':
    case 'bigint':
      return 'number';
    case 'string':
      return 'string';
    case 'function':
      return 'function';
  }
  if (v instanceof Uint8Array) return 'string';
  if (typeof (v as { getfd?: unknown }).getfd === 'function') return 'userdata';
  return 'table';
}

/** Lua's tostring for numbers: integers without a decimal point, others as %.14g. */
export function numberToLuaString(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 2 ** 63) return String(n);
  if (Number.isNaN(n)) return n > 0 ? 'nan' : '-nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  return Number(n.toPrecision(14)).toString();
}

const LUA_NUMBER = /^\s*[-+]?(?:0[xX][0-9a-fA-F]+(?:\.[0-9a-fA-F]*)?(?:[pP][-+]?\d+)?|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$/;

/** Lua's tonumber for strings: decimal or hex, surrounding spaces allowed; else null. */
export function luaToNumber(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v !== 'string' || !LUA_NUMBER.test(v)) return null;
  const s = v.trim();
  const neg = s.startsWith('-');
  const body = s.replace(/^[-+]/, '');
  if (/^0[xX]/.test(body) && !/[pP.]/.test(body)) {
    const n = Number.parseInt(body.slice(2), 16);
    return neg ? -n : n;
  }
  const n = Number(body);
  return Number.isNaN(n) ? null : neg ? -n : n;
}

/** A required string (numbers coerced, as lua_tolstring does). */
export function checkString(v: unknown, n: number, fname: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return numberToLuaString(v);
  throw argError(n, fname, `string expected, got ${luaTypeName(v)}`);
}

export function optString(v: unknown, n: number, fname: string, def: string): string {
  return v === ABSENT || v === null || v === undefined ? def : checkString(v, n, fname);
}

/** A required number (numeric strings coerced). */
export function checkNumber(v: unknown, n: number, fname: string): number {
  const num = luaToNumber(v);
  if (num === null) throw argError(n, fname, `number expected, got ${luaTypeName(v)}`);
  return num;
}

export function optNumber(v: unknown, n: number, fname: string, def: number): number {
  return v === ABSENT || v === null || v === undefined ? def : checkNumber(v, n, fname);
}

/** A required integer (Lua 5.3+: floats with a fraction are refused). */
export function checkInteger(v: unknown, n: number, fname: string): number {
  const num = checkNumber(v, n, fname);
  if (!Number.isInteger(num)) throw argError(n, fname, 'number has no integer representation');
  return num;
}

export function checkBoolean(v: unknown, n: number, fname: string): boolean {
  if (typeof v === 'boolean') return v;
  throw argError(n, fname, `boolean expected, got ${luaTypeName(v)}`);
}

/** An enumeration (luaL_checkoption): the value must be one of `options`. */
export function checkOption<T extends string>(v: unknown, n: number, fname: string, options: readonly T[], def?: T): T {
  if ((v === ABSENT || v === null || v === undefined) && def !== undefined) return def;
  const s = checkString(v, n, fname);
  if ((options as readonly string[]).includes(s)) return s as T;
  throw argError(n, fname, `invalid option '${s}'`);
}

/** Lua truthiness: only nil and false are false. */
export function truthy(v: unknown): boolean {
  return v !== null && v !== undefined && v !== false;
}

/** Reads argument `i` of a call, distinguishing "not passed" from an explicit nil. */
export function arg(args: ArrayLike<unknown>, i: number): unknown {
  return i < args.length ? args[i] : ABSENT;
}

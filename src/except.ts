/**
 * LuaSocket's exception helpers (except.c, spec 7.4): try / newtry / protect, and skip.
 * `try` passes its arguments through when the first is truthy (Lua truthiness: only nil
 * and false fail), otherwise runs the finalizer and throws a TryError carrying the second
 * argument. `protect` turns a TryError back into `[null, value]` and lets anything else
 * through untouched.
 */
import { arg, checkInteger, LuaError, truthy } from './args.js';

/** The exception `try` raises; `protect` catches exactly these. */
export class TryError extends Error {
  constructor(readonly value: unknown) {
    super(typeof value === 'string' ? value : String(value));
    this.name = 'TryError';
  }
}

export type Try = <A extends unknown[]>(...args: A) => A;

export function newtry(finalizer?: (() => unknown) | null): Try {
  return <A extends unknown[]>(...args: A): A => {
    if (truthy(args[0])) return args;
    if (finalizer !== null && finalizer !== undefined) {
      if (typeof finalizer !== 'function') throw new LuaError(`attempt to call a ${typeof finalizer} value`);
      finalizer();
    }
    throw new TryError(args[1] ?? null);
  };
}

/** socket.try: newtry() without a finalizer. */
export const try_: Try = newtry();

export function protect<A extends unknown[], R>(f: (...args: A) => R): (...args: A) => R | [null, unknown] {
  return (...args: A) => {
    if (typeof f !== 'function') throw new LuaError(`attempt to call a ${f === null || f === undefined ? 'nil' : typeof f} value`);
    try {
      return f(...args);
    } catch (e) {
      if (e instanceof TryError) return [null, e.value];
      throw e;
    }
  };
}

/** socket.skip(d, ...): drops the first d extra arguments (negative d reaches back to d itself). */
export function skip(d: number, ...rest: unknown[]): unknown[];
export function skip(...args: unknown[]): unknown[] {
  const d = checkInteger(arg(args, 0), 1, 'skip');
  const keep = Math.max(0, args.length - 1 - d);
  return args.slice(Math.max(0, args.length - keep));
}

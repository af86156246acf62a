/**
 * getoption / setoption (LuaSocket's options.c, spec 6.18): which names each call accepts
 * and how values are checked, then the engine applies them for real (native: setsockopt;
 * portable: what node:net can apply, else 'not supported on this platform'). Nothing is
 * shadowed: a value read back is the socket's.
 */
import { argError, checkBoolean, luaToNumber, luaTypeName } from './args.js';
import type { OptionName, OptionValue, StreamHandle } from './engine/types.js';

export type GetResult = [boolean | number | string | { on: boolean; timeout: number }] | [] | [null, string];
export type SetResult = [1] | [null, string];

type Kind = 'bool' | 'int' | 'linger' | 'error';
interface Option {
  kind: Kind;
  get: boolean;
  set: boolean;
}

const opt = (kind: Kind, get: boolean, set: boolean): Option => ({ kind, get, set });

/** The options LuaSocket 3.1.0 has on TCP objects. */
const OPTIONS: Record<OptionName, Option> = {
  keepalive: opt('bool', true, true),
  reuseaddr: opt('bool', true, true),
  reuseport: opt('bool', true, true),
  'tcp-nodelay': opt('bool', true, true),
  'tcp-keepidle': opt('int', true, true),
  'tcp-keepcnt': opt('int', true, true),
  'tcp-keepintvl': opt('int', true, true),
  linger: opt('linger', true, true),
  error: opt('error', true, false),
  'recv-buffer-size': opt('int', true, true),
  'send-buffer-size': opt('int', true, true),
  'ipv6-v6only': opt('bool', false, true),
  'tcp-defer-accept': opt('int', false, true),
  'tcp-fastopen': opt('int', false, true),
  'tcp-fastopen-connect': opt('int', false, true),
};

function lookup(name: string, fname: 'getoption' | 'setoption', only?: readonly OptionName[]): [OptionName, Option] {
  const o = Object.hasOwn(OPTIONS, name) ? OPTIONS[name as OptionName] : undefined;
  if (!o || (fname === 'getoption' ? !o.get : !o.set) || (only && !only.includes(name as OptionName))) {
    throw argError(1, fname, `unsupported option \`${name.slice(0, 35)}'`);
  }
  return [name as OptionName, o];
}

/** Lua's lua_tonumber as LuaSocket uses it for integer options: non-numbers read as 0. */
function toInt(v: unknown): number {
  const num = luaToNumber(v);
  if (num === null || !Number.isFinite(num)) return 0;
  const t = Math.trunc(num);
  return t > 2147483647 || t < -2147483648 ? 0 : t;
}

function checkLinger(v: unknown): { on: boolean; seconds: number } {
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array || typeof (v as { getfd?: unknown }).getfd === 'function') {
    throw argError(2, 'setoption', `table expected, got ${luaTypeName(v)}`);
  }
  const t = v as { on?: unknown; timeout?: unknown };
  if (typeof t.on !== 'boolean') throw argError(2, 'setoption', "boolean 'on' field expected");
  const timeout = luaToNumber(t.timeout);
  if (timeout === null) throw argError(2, 'setoption', "number 'timeout' field expected");
  return { on: t.on, seconds: toInt(timeout) };
}

/** getoption on `handle` (null: the object has no socket). */
export function getOption(handle: StreamHandle | null, name: string): GetResult {
  const [key] = lookup(name, 'getoption');
  if (handle === null) return [null, 'getsockopt failed'];
  const r = handle.getoption(key);
  if ('err' in r) return [null, r.err];
  // No pending error: LuaSocket returns a lone nil, which is an empty result here.
  if ('none' in r) return [];
  const v = r.value;
  return [typeof v === 'object' ? { on: v.on, timeout: v.seconds } : v];
}

/**
 * setoption on `handle` (null: the object has no socket). Values are checked first, as
 * LuaSocket does. `only` narrows the names to another kind's table (unix streams).
 */
export function setOption(
  handle: Pick<StreamHandle, 'setoption'> | null,
  name: string,
  value: unknown,
  only?: readonly OptionName[],
): SetResult {
  const [key, o] = lookup(name, 'setoption', only);
  let v: OptionValue;
  if (o.kind === 'bool') v = checkBoolean(value, 2, 'setoption');
  else if (o.kind === 'linger') v = checkLinger(value);
  else v = toInt(value);
  if (handle === null) return [null, 'setsockopt failed'];
  const err = handle.setoption(key, v);
  return err === null ? [1] : [null, err];
}

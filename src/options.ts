/**
 * getoption / setoption (LuaSocket's options.c, spec 6.18): one table from option name
 * to how its value is checked, applied with setsockopt and read back with getsockopt.
 * Every option acts on the real socket through the native helper; nothing is shadowed.
 */
import { argError, checkBoolean, luaToNumber, luaTypeName } from './args.js';
import { type NativeConstants, type NativeSockets, native } from './native.js';

export type OptionValue = boolean | number | string | { on: boolean; timeout: number } | null;
export type GetResult = [OptionValue] | [] | [null, string];
export type SetResult = [1] | [null, string];

type Kind = 'bool' | 'int' | 'linger' | 'error';
interface Option {
  kind: Kind;
  level: keyof NativeConstants | null;
  name: keyof NativeConstants | null;
  get: boolean;
  set: boolean;
}

const opt = (kind: Kind, level: keyof NativeConstants | null, name: keyof NativeConstants | null, get: boolean, set: boolean): Option => ({
  kind,
  level,
  name,
  get,
  set,
});

/** The options LuaSocket 3.1.0 has on TCP objects. */
const OPTIONS: Record<string, Option> = {
  keepalive: opt('bool', 'SOL_SOCKET', 'SO_KEEPALIVE', true, true),
  reuseaddr: opt('bool', 'SOL_SOCKET', 'SO_REUSEADDR', true, true),
  reuseport: opt('bool', 'SOL_SOCKET', 'SO_REUSEPORT', true, true),
  'tcp-nodelay': opt('bool', 'IPPROTO_TCP', 'TCP_NODELAY', true, true),
  'tcp-keepidle': opt('int', 'IPPROTO_TCP', 'TCP_KEEPIDLE', true, true),
  'tcp-keepcnt': opt('int', 'IPPROTO_TCP', 'TCP_KEEPCNT', true, true),
  'tcp-keepintvl': opt('int', 'IPPROTO_TCP', 'TCP_KEEPINTVL', true, true),
  linger: opt('linger', 'SOL_SOCKET', 'SO_LINGER', true, true),
  error: opt('error', 'SOL_SOCKET', 'SO_ERROR', true, false),
  'recv-buffer-size': opt('int', 'SOL_SOCKET', 'SO_RCVBUF', true, true),
  'send-buffer-size': opt('int', 'SOL_SOCKET', 'SO_SNDBUF', true, true),
  'ipv6-v6only': opt('bool', 'IPPROTO_IPV6', 'IPV6_V6ONLY', false, true),
  'tcp-defer-accept': opt('int', 'IPPROTO_TCP', 'TCP_DEFER_ACCEPT', false, true),
  'tcp-fastopen': opt('int', 'IPPROTO_TCP', 'TCP_FASTOPEN', false, true),
  'tcp-fastopen-connect': opt('int', 'IPPROTO_TCP', 'TCP_FASTOPEN_CONNECT', false, true),
};

export const OPTION_NAMES: readonly string[] = Object.keys(OPTIONS);

const NOT_SUPPORTED = 'not supported on this platform';

function lookup(name: string, fname: 'getoption' | 'setoption'): Option {
  const o = Object.hasOwn(OPTIONS, name) ? OPTIONS[name] : undefined;
  if (!o || (fname === 'getoption' ? !o.get : !o.set)) {
    throw argError(1, fname, `unsupported option \`${name.slice(0, 35)}'`);
  }
  return o;
}

/** level and name for setsockopt, or null where this platform lacks the option. */
function sockopt(n: NativeSockets, o: Option): [number, number] | null {
  const level = o.level ? n.constants[o.level] : undefined;
  const name = o.name ? n.constants[o.name] : undefined;
  return level === undefined || name === undefined ? null : [level, name];
}

/** `errorText` turns a pending SO_ERROR value into LuaSocket's text. */
export function getOption(fd: number, name: string, errorText: (errno: number) => string): GetResult {
  const o = lookup(name, 'getoption');
  const n = native;
  if (!n) return [null, NOT_SUPPORTED];
  const so = sockopt(n, o);
  if (!so) return [null, NOT_SUPPORTED];
  if (fd < 0) return [null, 'getsockopt failed'];
  switch (o.kind) {
    case 'linger': {
      const [err, on, seconds] = n.getLinger(fd);
      return err ? [null, 'getsockopt failed'] : [{ on, timeout: seconds }];
    }
    case 'error': {
      const v = n.getSocketError(fd);
      if (v < 0) return [null, 'getsockopt failed'];
      // No pending error: LuaSocket returns a lone nil, which is an empty result here.
      return v === 0 ? [] : [errorText(v)];
    }
    default: {
      const [err, v] = n.getsockoptInt(fd, so[0], so[1]);
      if (err) return [null, 'getsockopt failed'];
      return [o.kind === 'bool' ? v !== 0 : v];
    }
  }
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

export function setOption(fd: number, name: string, value: unknown): SetResult {
  const o = lookup(name, 'setoption');
  // Values are checked before the socket is looked at, as LuaSocket does.
  let apply: (n: NativeSockets, so: [number, number]) => number;
  if (o.kind === 'bool') {
    const b = checkBoolean(value, 2, 'setoption');
    apply = (n, so) => n.setsockoptInt(fd, so[0], so[1], b ? 1 : 0);
  } else if (o.kind === 'linger') {
    const l = checkLinger(value);
    apply = (n) => n.setLinger(fd, l.on, l.seconds);
  } else {
    const i = toInt(value);
    apply = (n, so) => n.setsockoptInt(fd, so[0], so[1], i);
  }
  const n = native;
  if (!n) return [null, NOT_SUPPORTED];
  const so = sockopt(n, o);
  if (!so) return [null, NOT_SUPPORTED];
  if (fd < 0) return [null, 'setsockopt failed'];
  return apply(n, so) === 0 ? [1] : [null, 'setsockopt failed'];
}

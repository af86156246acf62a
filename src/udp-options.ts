/**
 * getoption / setoption of the datagram kinds (LuaSocket 3.1.0's udp.c and unixdgram.c
 * option tables, options.c's value checks): which names each call accepts and how values
 * are checked, before any engine applies them. 3.1.0's own quirks are kept: the
 * 'ipv6-multicast-hops' entries are IPV6_UNICAST_HOPS (the engine sees the name and maps
 * it), and a bad IPv6 membership interface is reported for argument #-2.
 */
import { argError, checkBoolean, checkString, LuaError, luaToNumber, luaTypeName, numberToLuaString } from './args.js';
import { inetAton } from './engine/portable/portable-resolve.js';
import type { DatagramHandle, DgramOptionName, DgramOptionValue, Membership } from './engine/types.js';

export type DgramGetResult = [boolean | number | string] | [] | [null, string];
export type DgramSetResult = [1] | [null, string];

type Kind = 'bool' | 'int' | 'mcast-if' | 'mreq4' | 'mreq6' | 'error';

/** udp.c's optget table, in its order. */
const UDP_GET: Partial<Record<DgramOptionName, Kind>> = {
  dontroute: 'bool',
  broadcast: 'bool',
  reuseaddr: 'bool',
  reuseport: 'bool',
  'ip-multicast-if': 'mcast-if',
  'ip-multicast-loop': 'bool',
  error: 'error',
  'ipv6-unicast-hops': 'int',
  'ipv6-multicast-hops': 'int',
  'ipv6-multicast-loop': 'bool',
  'ipv6-v6only': 'bool',
  'recv-buffer-size': 'int',
  'send-buffer-size': 'int',
};

/** udp.c's optset table. */
const UDP_SET: Partial<Record<DgramOptionName, Kind>> = {
  dontroute: 'bool',
  broadcast: 'bool',
  reuseaddr: 'bool',
  reuseport: 'bool',
  'ip-multicast-if': 'mcast-if',
  'ip-multicast-ttl': 'int',
  'ip-multicast-loop': 'bool',
  'ip-add-membership': 'mreq4',
  'ip-drop-membership': 'mreq4',
  'ipv6-unicast-hops': 'int',
  'ipv6-multicast-hops': 'int',
  'ipv6-multicast-loop': 'bool',
  'ipv6-add-membership': 'mreq6',
  'ipv6-drop-membership': 'mreq6',
  'ipv6-v6only': 'bool',
  'recv-buffer-size': 'int',
  'send-buffer-size': 'int',
};

/** unixdgram.c's optset table (it has no getoption). */
const UNIXDGRAM_SET: Partial<Record<DgramOptionName, Kind>> = { reuseaddr: 'bool' };

export type OptionTable = 'udp' | 'unixdgram';

function lookup(table: Partial<Record<DgramOptionName, Kind>>, name: string, fname: string): [DgramOptionName, Kind] {
  const kind = Object.hasOwn(table, name) ? table[name as DgramOptionName] : undefined;
  if (kind === undefined) throw argError(1, fname, `unsupported option \`${name.slice(0, 35)}'`);
  return [name as DgramOptionName, kind];
}

/** (int) lua_tonumber(v): non-numbers read as 0, fractions are truncated. */
function toInt(v: unknown): number {
  const n = luaToNumber(v);
  if (n === null || !Number.isFinite(n)) return 0;
  const t = Math.trunc(n);
  return t > 2147483647 || t < -2147483648 ? -2147483648 : t;
}

/** Lua's lua_isstring: strings and numbers; lua_tostring of them. */
function luaString(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return numberToLuaString(v);
  return null;
}

/** inet_pton(AF_INET6): a numeric IPv6 address, no scope id. */
export function isInet6(s: string): boolean {
  // node:net is loaded here, when an option needs it, not at import (it costs 1 ms of start-up).
  return !s.includes('%') && process.getBuiltinModule('node:net').isIPv6(s);
}

function checkTable(v: unknown): Record<string, unknown> {
  const t = luaTypeName(v);
  if (t !== 'table') throw argError(2, 'setoption', `table expected, got ${t}`);
  return v as Record<string, unknown>;
}

function membership4(v: unknown): Membership {
  const t = checkTable(v);
  const multi = luaString(t.multiaddr);
  if (multi === null) throw argError(2, 'setoption', "string 'multiaddr' field expected");
  const group = inetAton(multi);
  if (group === null) throw argError(2, 'setoption', "invalid 'multiaddr' ip address");
  const iface = luaString(t.interface);
  if (iface === null) throw argError(2, 'setoption', "string 'interface' field expected");
  const local = iface === '*' ? '0.0.0.0' : inetAton(iface);
  if (local === null) throw argError(2, 'setoption', "invalid 'interface' ip address");
  return { family: 4, multiaddr: group, iface: local };
}

function membership6(v: unknown): Membership {
  const t = checkTable(v);
  const multi = luaString(t.multiaddr);
  if (multi === null) throw argError(2, 'setoption', "string 'multiaddr' field expected");
  if (!isInet6(multi)) throw argError(2, 'setoption', "invalid 'multiaddr' ip address");
  let iface = 0;
  if (t.interface !== null && t.interface !== undefined) {
    const n = typeof t.interface === 'boolean' ? null : luaToNumber(t.interface);
    // 3.1.0 passes -1 as the argument index: Lua counts it from the top of the stack.
    if (n === null) throw new LuaError("bad argument #-2 to 'setoption' (number 'interface' field expected)");
    iface = Number.isFinite(n) ? Math.trunc(n) >>> 0 : 0;
  }
  return { family: 6, multiaddr: multi, iface };
}

/** getoption(name) on `handle` (null: the object has no socket). */
export function getDgramOption(handle: DatagramHandle | null, nameArg: unknown): DgramGetResult {
  const name = checkString(nameArg, 1, 'getoption');
  const [key] = lookup(UDP_GET, name, 'getoption');
  if (handle === null) return [null, 'getsockopt failed'];
  const r = handle.getoption(key);
  if ('err' in r) return [null, r.err];
  // No pending error: LuaSocket returns a lone nil, which is an empty result here.
  if ('none' in r) return [];
  const v = r.value;
  return [typeof v === 'object' ? String(v) : v];
}

/** setoption(name, value) on `handle`; values are checked before the socket is, as LuaSocket does. */
export function setDgramOption(table: OptionTable, handle: DatagramHandle | null, nameArg: unknown, value: unknown): DgramSetResult {
  const name = checkString(nameArg, 1, 'setoption');
  const [key, kind] = lookup(table === 'udp' ? UDP_SET : UNIXDGRAM_SET, name, 'setoption');
  let v: DgramOptionValue;
  switch (kind) {
    case 'bool':
      v = checkBoolean(value, 2, 'setoption');
      break;
    case 'int':
      v = toInt(value);
      break;
    case 'mcast-if': {
      const s = checkString(value, 2, 'setoption');
      const a = s === '*' ? '0.0.0.0' : inetAton(s);
      if (a === null) throw argError(2, 'setoption', 'ip expected');
      v = a;
      break;
    }
    case 'mreq4':
      v = membership4(value);
      break;
    default:
      v = membership6(value);
  }
  if (handle === null) return [null, 'setsockopt failed'];
  const err = handle.setoption(key, v);
  return err === null ? [1] : [null, err];
}

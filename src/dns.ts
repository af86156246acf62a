/**
 * socket.dns (LuaSocket's inet.c global functions, spec 7.6): argument checks and result
 * shapes. The engine answers (native: the C library's resolver on the calling thread,
 * exactly like LuaSocket; portable: Node's resolver in the I/O worker).
 */
import { ABSENT, arg, checkString, LuaError } from './args.js';
import { engine } from './engine/index.js';
import type { HostEntry } from './engine/types.js';
import { familyName } from './inet.js';

export interface HostInfo {
  name: string;
  alias: string[];
  ip: string[];
}

export type HostResult<T> = [T, HostInfo] | [null, string];

function info(h: HostEntry): HostInfo {
  return { name: h.name, alias: [...h.aliases], ip: [...h.addresses] };
}

export function toip(address: string): HostResult<string>;
export function toip(...args: unknown[]): HostResult<string> {
  const address = checkString(arg(args, 0), 1, 'toip');
  const h = engine.dns.gethost(address);
  if (typeof h === 'string') return [null, h];
  return [h.addresses[0] ?? '', info(h)];
}

export function tohostname(address: string): HostResult<string>;
export function tohostname(...args: unknown[]): HostResult<string> {
  const address = checkString(arg(args, 0), 1, 'tohostname');
  const h = engine.dns.gethost(address);
  if (typeof h === 'string') return [null, h];
  return [h.name, info(h)];
}

export function gethostname(): [string] | [null, string] {
  const r = engine.dns.gethostname();
  return typeof r === 'string' ? [r] : [null, r.err];
}

export interface AddrInfo {
  family: 'inet' | 'inet6';
  addr: string;
}

export function getaddrinfo(host: string): [AddrInfo[]] | [null, string];
export function getaddrinfo(...args: unknown[]): [AddrInfo[]] | [null, string] {
  const host = checkString(arg(args, 0), 1, 'getaddrinfo');
  const r = engine.dns.getaddrinfo(host);
  if (typeof r === 'string') return [null, r];
  return [r.map((a) => ({ family: familyName(a.family), addr: a.address }))];
}

export function getnameinfo(host?: string | null, serv?: string | number | null): [string[]] | [string[], string] | [null, string];
export function getnameinfo(...args: unknown[]): [string[]] | [string[], string] | [null, string] {
  const h = arg(args, 0);
  const s = arg(args, 1);
  const host = h === ABSENT || h === null || h === undefined ? null : checkString(h, 1, 'getnameinfo');
  const serv = s === ABSENT || s === null || s === undefined ? null : checkString(s, 2, 'getnameinfo');
  if (host === null && serv === null) throw new LuaError('host and serv cannot be both nil');
  const r = engine.dns.getnameinfo(host, serv);
  if (typeof r === 'string') return [null, r];
  return serv !== null ? [r.names, r.service] : [r.names];
}

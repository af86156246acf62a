/**
 * socket.dns (LuaSocket's inet.c global functions, spec 7.6). These block the caller in
 * the C library's resolver, exactly like LuaSocket's, and keep the I/O worker free.
 */
import { ABSENT, arg, checkString, LuaError } from './args.js';
import { errnoText } from './errors.js';
import { familyName, gaiText, requireNative } from './inet.js';
import type { NativeHostent } from './native.js';

export interface HostInfo {
  name: string;
  alias: string[];
  ip: string[];
}

export type HostResult<T> = [T, HostInfo] | [null, string];

/** inet_aton's idea of an IPv4 literal: 1 to 4 parts, decimal, octal or hex. */
const INET_ATON = /^(?:0[xX][0-9a-fA-F]*|\d+)(?:\.(?:0[xX][0-9a-fA-F]*|\d+)){0,3}$/;

function hostError(herrno: number, errno?: number): string {
  const n = requireNative();
  if (herrno === n.constants.HOST_NOT_FOUND) return 'host not found';
  if (herrno === n.constants.NETDB_INTERNAL && errno) return errnoText(errno);
  return n.hstrerror(herrno);
}

function gethost(address: string): [NativeHostent, null] | [null, string] {
  const n = requireNative();
  const [herrno, h, errno] = INET_ATON.test(address) ? n.gethostbyaddr(address) : n.gethostbyname(address);
  if (herrno !== 0 || !h) return [null, hostError(herrno, errno)];
  return [h, null];
}

function info(h: NativeHostent): HostInfo {
  return { name: h.name, alias: [...h.aliases], ip: [...h.addresses] };
}

export function toip(address: string): HostResult<string>;
export function toip(...args: unknown[]): HostResult<string> {
  const address = checkString(arg(args, 0), 1, 'toip');
  const [h, err] = gethost(address);
  if (!h) return [null, err];
  return [h.addresses[0] ?? '', info(h)];
}

export function tohostname(address: string): HostResult<string>;
export function tohostname(...args: unknown[]): HostResult<string> {
  const address = checkString(arg(args, 0), 1, 'tohostname');
  const [h, err] = gethost(address);
  if (!h) return [null, err];
  return [h.name, info(h)];
}

export function gethostname(): [string] | [null, string] {
  const [errno, name] = requireNative().gethostname();
  return errno ? [null, errnoText(errno)] : [name];
}

export interface AddrInfo {
  family: 'inet' | 'inet6';
  addr: string;
}

export function getaddrinfo(host: string): [AddrInfo[]] | [null, string];
export function getaddrinfo(...args: unknown[]): [AddrInfo[]] | [null, string] {
  const host = checkString(arg(args, 0), 1, 'getaddrinfo');
  const [code, list, errno] = requireNative().getaddrinfo(host, null, 0, false);
  if (code !== 0) return [null, gaiText(code, errno)];
  return [list.map(([f, addr]) => ({ family: familyName(f), addr }))];
}

export function getnameinfo(host?: string | null, serv?: string | number | null): [string[]] | [string[], string] | [null, string];
export function getnameinfo(...args: unknown[]): [string[]] | [string[], string] | [null, string] {
  const h = arg(args, 0);
  const s = arg(args, 1);
  const host = h === ABSENT || h === null || h === undefined ? null : checkString(h, 1, 'getnameinfo');
  const serv = s === ABSENT || s === null || s === undefined ? null : checkString(s, 2, 'getnameinfo');
  if (host === null && serv === null) throw new LuaError('host and serv cannot be both nil');
  const n = requireNative();
  const [code, list, errno] = n.getaddrinfo(host, serv, 0, false);
  if (code !== 0) return [null, gaiText(code, errno)];
  const names: string[] = [];
  let service = '';
  for (const [family, address, port] of list) {
    const [, hname, sname] = n.getnameinfo(family, address, port, host !== null, serv !== null);
    if (host !== null) names.push(hname ?? '');
    if (serv !== null) service = sname ?? '';
  }
  return serv !== null ? [names, service] : [names];
}

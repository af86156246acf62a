/**
 * Name resolution on the native engine: the C library's getaddrinfo, gethostbyname and
 * friends through the native helper, so port parsing, service names, "*", "" and family
 * mismatches give exactly glibc's answers, as in LuaSocket. Host names that need a real
 * lookup are resolved by the I/O worker instead when the call has a deadline, so that,
 * unlike LuaSocket (upstream issue #382), connect/bind honour their timeout during DNS.
 */
import { errnoText, GAI_TEXT } from '../../errors.js';
import type { NativeHostent } from '../../native.js';
import type { DnsEngine, Family, HostEntry, Resolved } from '../types.js';
import { workerLink } from '../worker-link.js';
import { requireNative } from './addon.js';

/** Text for a raw EAI_* code from the native getaddrinfo. */
function gaiText(code: number, errno?: number): string {
  const n = requireNative();
  const c = n.constants as unknown as Record<string, number | undefined>;
  for (const name of Object.keys(GAI_TEXT)) {
    if (c[name] === code) return GAI_TEXT[name] as string;
  }
  if (c.EAI_SYSTEM === code && errno) return n.strerror(errno);
  return n.gaiStrerror(code);
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
/** True when getaddrinfo answers without any lookup (literals, "*", ""). */
function isLocalAnswer(host: string | null): boolean {
  return host === null || host === '' || host === '*' || IPV4.test(host) || host.includes(':');
}

/** getaddrinfo's flags argument for a socket type (see NativeSockets.getaddrinfo). */
const SOCKTYPE_FLAGS = { stream: 0, dgram: 1, 'dgram-numeric': 3 } as const;

/** A dotted quad in canonical form (no leading zeros, which inet_aton reads as octal). */
const CANONICAL_IPV4 = /^(?:0|[1-9]\d{0,2})(?:\.(?:0|[1-9]\d{0,2})){3}$/;
const DECIMAL_PORT = /^\d{1,5}$/;

/**
 * getaddrinfo's answer for a canonical IPv4 literal and a decimal port, computed here (the
 * usual connect and bind of a script): one IPv4 stream candidate with the same text, as
 * glibc gives. null for anything else, which goes to getaddrinfo itself (short and octal
 * forms, IPv6, names, service names, ports out of range, an IPv6-only family).
 * Exported for the test that holds it to glibc.
 */
export function literalAnswer(host: string | null, serv: string, family: 0 | Family): Resolved | null {
  if (family === 6 || host === null || !DECIMAL_PORT.test(serv) || !CANONICAL_IPV4.test(host)) return null;
  const port = Number(serv);
  if (port > 65535) return null;
  for (const part of host.split('.')) if (Number(part) > 255) return null;
  return { ok: true, list: [{ family: 4, address: host, port }] };
}

export function nativeResolve(
  host: string | null,
  serv: string,
  family: 0 | Family,
  passive: boolean,
  deadline = Number.POSITIVE_INFINITY,
  socktype: 'stream' | 'dgram' | 'dgram-numeric' = 'stream',
): Resolved {
  const literal = literalAnswer(host, serv, family);
  if (literal) return literal;
  const n = requireNative();
  const flags = SOCKTYPE_FLAGS[socktype];
  if (socktype === 'dgram-numeric') {
    // UDP sendto: the host as given, and glibc's own texts for the failures.
    const [code, list, errno] = n.getaddrinfo(host, serv, family, passive, flags);
    if (code !== 0) return { ok: false, err: code === n.constants.EAI_SYSTEM && errno ? n.strerror(errno) : n.gaiStrerror(code) };
    return { ok: true, list: list.map(([f, address, port]) => ({ family: f, address, port })) };
  }
  // glibc treats a lone "*" as "no host" (wildcard when passive, loopback otherwise).
  const node = host === '*' ? null : host;
  if (isLocalAnswer(node) || !Number.isFinite(deadline)) {
    const [code, list, errno] = n.getaddrinfo(node, serv, family, passive, flags);
    if (code !== 0) return { ok: false, err: gaiText(code, errno) };
    return { ok: true, list: list.map(([f, address, port]) => ({ family: f, address, port })) };
  }
  // A real name with a deadline: validate the service locally, look the name up in the worker.
  const [scode, slist, serrno] = n.getaddrinfo(family === 6 ? '::1' : '127.0.0.1', serv, family, false, flags);
  if (scode !== 0) return { ok: false, err: gaiText(scode, serrno) };
  const port = slist[0]?.[2] ?? 0;
  const r = workerLink().call({ op: 'lookup', host: node as string, family }, deadline);
  if (r === null) return { ok: false, err: 'timeout' };
  if (!('addresses' in r)) return { ok: false, err: 'lookupError' in r ? r.lookupError : 'unknown error' };
  return { ok: true, list: r.addresses.map((a) => ({ family: a.family, address: a.address, port })) };
}

/** inet_aton's idea of an IPv4 literal: 1 to 4 parts, decimal, octal or hex. */
const INET_ATON = /^(?:0[xX][0-9a-fA-F]*|\d+)(?:\.(?:0[xX][0-9a-fA-F]*|\d+)){0,3}$/;

function hostError(herrno: number, errno?: number): string {
  const n = requireNative();
  if (herrno === n.constants.HOST_NOT_FOUND) return 'host not found';
  if (herrno === n.constants.NETDB_INTERNAL && errno) return errnoText(errno);
  return n.hstrerror(herrno);
}

function entry(h: NativeHostent): HostEntry {
  return { name: h.name, aliases: [...h.aliases], addresses: [...h.addresses] };
}

export const nativeDns: DnsEngine = {
  gethost(address) {
    const n = requireNative();
    const [herrno, h, errno] = INET_ATON.test(address) ? n.gethostbyaddr(address) : n.gethostbyname(address);
    if (herrno !== 0 || !h) return hostError(herrno, errno);
    return entry(h);
  },
  gethostname() {
    const [errno, name] = requireNative().gethostname();
    return errno ? { err: errnoText(errno) } : name;
  },
  getaddrinfo(host) {
    const [code, list, errno] = requireNative().getaddrinfo(host, null, 0, false);
    if (code !== 0) return gaiText(code, errno);
    return list.map(([family, address]) => ({ family, address }));
  },
  getnameinfo(host, serv) {
    const n = requireNative();
    const [code, list, errno] = n.getaddrinfo(host, serv, 0, false);
    if (code !== 0) return gaiText(code, errno);
    const names: string[] = [];
    let service = '';
    for (const [family, address, port] of list) {
      const [, hname, sname] = n.getnameinfo(family, address, port, host !== null, serv !== null);
      if (host !== null) names.push(hname ?? '');
      if (serv !== null) service = sname ?? '';
    }
    return { names, service };
  },
};

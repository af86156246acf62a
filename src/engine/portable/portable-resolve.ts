/**
 * getaddrinfo as LuaSocket calls it, for the portable engine: numeric hosts and ports are
 * parsed here with glibc's rules (inet_aton forms, "*", "", port wrap-around, service
 * names from the services database), and names go to Node's resolver in the I/O worker,
 * which runs the C library's getaddrinfo. So results and error texts match the native
 * engine for everything a loopback script meets.
 */
import { readFileSync } from 'node:fs';
import { GAI_GLIBC_TEXT, GAI_TEXT } from '../../errors.js';
import type { Family, InetAddress, Resolved } from '../types.js';
import { workerLink } from '../worker-link.js';

const NONAME = GAI_TEXT.EAI_NONAME as string;
const SERVICE = GAI_TEXT.EAI_SERVICE as string;
const ADDRFAMILY = GAI_TEXT.EAI_ADDRFAMILY as string;

/** inet_aton: 1 to 4 parts, decimal, octal (leading 0) or hex (0x); the last fills the rest. */
export function inetAton(s: string): string | null {
  if (!/^[0-9a-fA-FxX.]+$/.test(s)) return null;
  const parts = s.split('.');
  if (parts.length > 4) return null;
  const nums: number[] = [];
  for (const p of parts) {
    let n: number;
    if (/^0[xX][0-9a-fA-F]*$/.test(p)) n = p.length > 2 ? Number.parseInt(p.slice(2), 16) : 0;
    else if (/^0[0-7]*$/.test(p)) n = Number.parseInt(p, 8);
    else if (/^[1-9]\d*$/.test(p)) n = Number(p);
    else return null;
    nums.push(n);
  }
  const last = nums.pop() as number;
  if (nums.some((n) => n > 255) || last >= 256 ** (4 - nums.length)) return null;
  let v = 0;
  for (const n of nums) v = v * 256 + n;
  v = v * 256 ** (4 - nums.length) + last;
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

/** An IPv6 literal in inet_ntop's form, or null. */
function ipv6(s: string): string | null {
  const bare = s.split('%')[0] as string;
  if (!process.getBuiltinModule('node:net').isIPv6(bare)) return null;
  const text = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  // The URL serializer writes IPv4-mapped addresses in hex; inet_ntop writes them dotted.
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(text);
  if (!mapped) return text;
  const hi = Number.parseInt(mapped[1] as string, 16);
  const lo = Number.parseInt(mapped[2] as string, 16);
  return `::ffff:${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

let services: Map<string, number> | null = null;
let udpServices: Map<string, number> | null = null;
let serviceNames: Map<number, string> | null = null;

/** The services database's TCP and UDP entries (names and aliases). */
function loadServices(): void {
  services = new Map();
  udpServices = new Map();
  serviceNames = new Map();
  let text = '';
  try {
    text = readFileSync('/etc/services', 'latin1');
  } catch {
    return;
  }
  for (const line of text.split('\n')) {
    const words = (line.split('#')[0] as string).trim().split(/\s+/);
    const m = /^(\d+)\/(tcp|udp)$/.exec(words[1] ?? '');
    if (!m || !words[0]) continue;
    const port = Number(m[1]);
    const map = m[2] === 'tcp' ? services : udpServices;
    if (m[2] === 'tcp' && !serviceNames.has(port)) serviceNames.set(port, words[0]);
    for (const name of [words[0], ...words.slice(2)]) if (!map.has(name)) map.set(name, port);
  }
}

const NUMERIC_PORT = /^[ \t\n\v\f\r]*\+?(\d*)$/;

/**
 * glibc's service parsing: strtoul digits (spaces and '+' first) wrapped to 16 bits, else a
 * service name (of the socket type's entries: `dgram` for UDP).
 */
export function parsePort(serv: string, dgram = false): number | null {
  const m = NUMERIC_PORT.exec(serv);
  if (m && (m[1] !== '' || serv === '')) {
    const v = BigInt(m[1] || '0');
    return v >= 2n ** 64n ? null : Number(v % 65536n);
  }
  if (services === null) loadServices();
  return (dgram ? udpServices : services)?.get(serv) ?? null;
}

/** getnameinfo's service: the services database's name for `port`, else the number. */
export function serviceName(port: number): string {
  if (serviceNames === null) loadServices();
  return serviceNames?.get(port) ?? String(port);
}

function literal(node: string, family: 0 | Family, port: number): Resolved | null {
  const v4 = inetAton(node);
  if (v4 !== null) return family === 6 ? { ok: false, err: ADDRFAMILY } : { ok: true, list: [{ family: 4, address: v4, port }] };
  const v6 = ipv6(node);
  if (v6 !== null && family === 4) {
    // glibc answers a v4-mapped literal asked for as IPv4 with its IPv4 address.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(v6);
    return mapped ? { ok: true, list: [{ family: 4, address: mapped[1] as string, port }] } : { ok: false, err: ADDRFAMILY };
  }
  if (v6 !== null) return { ok: true, list: [{ family: 6, address: v6, port }] };
  return null;
}

/** No host: the wildcard (passive) or loopback addresses, in glibc's order. */
function anyOrLoopback(family: 0 | Family, passive: boolean, port: number): InetAddress[] {
  const v4: InetAddress = { family: 4, address: passive ? '0.0.0.0' : '127.0.0.1', port };
  const v6: InetAddress = { family: 6, address: passive ? '::' : '::1', port };
  if (family === 4) return [v4];
  if (family === 6) return [v6];
  return passive ? [v4, v6] : [v6, v4];
}

/**
 * UDP sendto's getaddrinfo (AI_NUMERICHOST | AI_NUMERICSERV) with glibc's own texts: a
 * literal and digits only; "-N" passes strtoul's check but not the port's, as in glibc.
 */
function resolveNumeric(host: string, serv: string, family: 0 | Family): Resolved {
  const fail = (name: string): Resolved => ({ ok: false, err: GAI_GLIBC_TEXT[name] as string });
  let port = parsePort(serv, true);
  if (port === null || !NUMERIC_PORT.test(serv)) {
    const neg = /^[ \t\n\v\f\r]*-(\d+)$/.exec(serv);
    if (!neg) return fail(port === null && NUMERIC_PORT.test(serv) ? 'EAI_SERVICE' : 'EAI_NONAME');
    if (BigInt(neg[1] as string) !== 0n) return fail('EAI_SERVICE');
    port = 0;
  }
  // A scope id is only taken for link-local addresses; anything else is not numeric.
  if (host.includes('%') && !/^fe[89ab]/i.test(host)) return fail('EAI_NONAME');
  const lit = host === '' ? null : literal(host, family, port);
  if (lit === null) return fail('EAI_NONAME');
  return lit.ok ? lit : fail('EAI_ADDRFAMILY');
}

export function portableResolve(
  host: string | null,
  serv: string,
  family: 0 | Family,
  passive: boolean,
  deadline = Number.POSITIVE_INFINITY,
  socktype: 'stream' | 'dgram' | 'dgram-numeric' = 'stream',
): Resolved {
  if (socktype === 'dgram-numeric') return resolveNumeric(host ?? '', serv, family);
  const port = parsePort(serv, socktype === 'dgram');
  if (port === null) return { ok: false, err: SERVICE };
  const node = host === '*' ? null : host;
  if (node === null) return { ok: true, list: anyOrLoopback(family, passive, port) };
  if (node === '') return { ok: false, err: NONAME };
  const lit = literal(node, family, port);
  if (lit) return lit;
  const r = workerLink().call({ op: 'lookup', host: node, family }, deadline);
  if (r === null) return { ok: false, err: 'timeout' };
  if (!('addresses' in r)) return { ok: false, err: 'lookupError' in r ? r.lookupError : NONAME };
  return { ok: true, list: r.addresses.map((a) => ({ family: a.family, address: a.address, port })) };
}

/**
 * UDP socket options on the native engine: setsockopt(2) / getsockopt(2) on the real
 * socket through the native helper, with LuaSocket 3.1.0's mapping (ipv6-multicast-hops
 * is IPV6_UNICAST_HOPS there) and its failure texts ('getsockopt failed' / 'setsockopt
 * failed', never the errno's). Names and values were checked by udp-options.ts already.
 */
import { errnoText, NOT_SUPPORTED } from '../../errors.js';
import type { NativeConstants } from '../../native.js';
import type { DgramOptionName, DgramOptionValue, Membership, OptionRead } from '../types.js';
import { requireNative } from './addon.js';

type Key = keyof NativeConstants;
type Kind = 'bool' | 'int' | 'in-addr' | 'mreq' | 'error';

const SOCKOPT: Record<DgramOptionName, [Key, Key, Kind]> = {
  dontroute: ['SOL_SOCKET', 'SO_DONTROUTE', 'bool'],
  broadcast: ['SOL_SOCKET', 'SO_BROADCAST', 'bool'],
  reuseaddr: ['SOL_SOCKET', 'SO_REUSEADDR', 'bool'],
  reuseport: ['SOL_SOCKET', 'SO_REUSEPORT', 'bool'],
  'ip-multicast-if': ['IPPROTO_IP', 'IP_MULTICAST_IF', 'in-addr'],
  'ip-multicast-ttl': ['IPPROTO_IP', 'IP_MULTICAST_TTL', 'int'],
  'ip-multicast-loop': ['IPPROTO_IP', 'IP_MULTICAST_LOOP', 'bool'],
  'ip-add-membership': ['IPPROTO_IP', 'IP_ADD_MEMBERSHIP', 'mreq'],
  'ip-drop-membership': ['IPPROTO_IP', 'IP_DROP_MEMBERSHIP', 'mreq'],
  error: ['SOL_SOCKET', 'SO_ERROR', 'error'],
  'ipv6-unicast-hops': ['IPPROTO_IPV6', 'IPV6_UNICAST_HOPS', 'int'],
  // 3.1.0's tables point this name at the unicast hops.
  'ipv6-multicast-hops': ['IPPROTO_IPV6', 'IPV6_UNICAST_HOPS', 'int'],
  'ipv6-multicast-loop': ['IPPROTO_IPV6', 'IPV6_MULTICAST_LOOP', 'bool'],
  'ipv6-add-membership': ['IPPROTO_IPV6', 'IPV6_ADD_MEMBERSHIP', 'mreq'],
  'ipv6-drop-membership': ['IPPROTO_IPV6', 'IPV6_DROP_MEMBERSHIP', 'mreq'],
  'ipv6-v6only': ['IPPROTO_IPV6', 'IPV6_V6ONLY', 'bool'],
  'recv-buffer-size': ['SOL_SOCKET', 'SO_RCVBUF', 'int'],
  'send-buffer-size': ['SOL_SOCKET', 'SO_SNDBUF', 'int'],
};

function sockopt(name: DgramOptionName): [number, number, Kind] | null {
  const c = requireNative().constants;
  const [l, n, kind] = SOCKOPT[name];
  const level = c[l];
  const opt = c[n];
  return typeof level === 'number' && typeof opt === 'number' ? [level, opt, kind] : null;
}

/** A dotted IPv4 address as the 4 bytes of an in_addr (network order). */
function inAddr(dotted: string): Buffer {
  return Buffer.from(dotted.split('.').map(Number));
}

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
/** A trailing dotted quad, as node:net's isIPv4 accepts it (importing node:net costs 1 ms of start-up). */
const DOTTED_TAIL = new RegExp(`(?<![\\d.])(${OCTET}(?:\\.${OCTET}){3})$`);

/** inet_pton(AF_INET6): 16 bytes, '::' and a trailing dotted quad included. */
export function in6Addr(text: string): Buffer {
  const out = Buffer.alloc(16);
  let s = text;
  const tail: number[] = [];
  const dotted = DOTTED_TAIL.exec(s);
  if (dotted) {
    tail.push(...inAddr(dotted[1] as string));
    s = s.slice(0, -(dotted[1] as string).length);
    if (s.endsWith(':') && !s.endsWith('::')) s = s.slice(0, -1);
  }
  const [head, rest] = s.split('::') as [string, string | undefined];
  const words = (part: string | undefined) => (part ? part.split(':').filter((w) => w !== '') : []).map((w) => Number.parseInt(w, 16));
  const front = words(head);
  const back = words(rest);
  const bytes: number[] = [];
  for (const w of front) bytes.push(w >> 8, w & 255);
  const backBytes: number[] = [];
  for (const w of back) backBytes.push(w >> 8, w & 255);
  backBytes.push(...tail);
  if (rest === undefined) bytes.push(...backBytes);
  out.set(bytes, 0);
  if (rest !== undefined) out.set(backBytes, 16 - backBytes.length);
  return out;
}

/** struct ip_mreq or struct ipv6_mreq for a membership. */
function mreq(m: Membership): Buffer {
  if (m.family === 4) return Buffer.concat([inAddr(m.multiaddr), inAddr(m.iface)]);
  const b = Buffer.alloc(20);
  in6Addr(m.multiaddr).copy(b, 0);
  // ipv6mr_interface is an unsigned int in host order.
  if (new Uint8Array(new Uint32Array([1]).buffer)[0] === 1) b.writeUInt32LE(m.iface, 16);
  else b.writeUInt32BE(m.iface, 16);
  return b;
}

export function getDgramNativeOption(fd: number, name: DgramOptionName): OptionRead {
  const so = sockopt(name);
  if (!so) return { err: NOT_SUPPORTED };
  if (fd < 0) return { err: 'getsockopt failed' };
  const n = requireNative();
  const [level, opt, kind] = so;
  if (kind === 'error') {
    const v = n.getSocketError(fd);
    if (v < 0) return { err: 'getsockopt failed' };
    return v === 0 ? { none: true } : { value: errnoText(v) };
  }
  if (kind === 'in-addr') {
    const [err, bytes] = n.getsockoptBytes(fd, level, opt, 4);
    if (err || bytes.length < 4) return { err: 'getsockopt failed' };
    return { value: `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}` };
  }
  const [err, v] = n.getsockoptInt(fd, level, opt);
  if (err) return { err: 'getsockopt failed' };
  return { value: kind === 'bool' ? v !== 0 : v };
}

export function setDgramNativeOption(fd: number, name: DgramOptionName, value: DgramOptionValue): string | null {
  const so = sockopt(name);
  if (!so) return NOT_SUPPORTED;
  if (fd < 0) return 'setsockopt failed';
  const n = requireNative();
  const [level, opt, kind] = so;
  let rc: number;
  if (kind === 'in-addr') rc = n.setsockoptBytes(fd, level, opt, inAddr(value as string));
  else if (kind === 'mreq') rc = n.setsockoptBytes(fd, level, opt, mreq(value as Membership));
  else rc = n.setsockoptInt(fd, level, opt, typeof value === 'boolean' ? (value ? 1 : 0) : (value as number));
  return rc === 0 ? null : 'setsockopt failed';
}

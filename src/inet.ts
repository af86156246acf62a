/**
 * Addresses, ports and families (LuaSocket's inet.c). Resolution goes through the
 * C library's getaddrinfo (via the native helper), so port parsing, service names, "*",
 * "" and family mismatches give exactly glibc's answers. Host names that need a real
 * lookup are resolved by the I/O worker instead when the call has a deadline, so that,
 * unlike LuaSocket (upstream issue #382), connect/bind honour their timeout during DNS.
 */
import { engine } from './engine.js';
import { GAI_TEXT } from './errors.js';
import { type NativeFamily, native } from './native.js';

export type Family = 'inet' | 'inet6';

export interface Candidate {
  family: NativeFamily;
  address: string;
  port: number;
}

export type Resolved = { ok: true; list: Candidate[] } | { ok: false; err: string };

/** The family LuaSocket prints in getsockname/getpeername/getaddrinfo. */
export function familyName(f: NativeFamily): Family {
  return f === 6 ? 'inet6' : 'inet';
}

/** Text for a raw EAI_* code from the native getaddrinfo. */
export function gaiText(code: number, errno?: number): string {
  const n = native;
  if (!n) return 'unknown error';
  const c = n.constants;
  for (const name of Object.keys(GAI_TEXT)) {
    if ((c as unknown as Record<string, number | undefined>)[name] === code) {
      if (name === 'EAI_SYSTEM' && errno) return n.strerror(errno);
      return GAI_TEXT[name] as string;
    }
  }
  return n.gaiStrerror(code);
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
/** True when getaddrinfo answers without any lookup (literals, "*", ""). */
function isLocalAnswer(host: string | null): boolean {
  return host === null || host === '' || host === '*' || IPV4.test(host) || host.includes(':');
}

/**
 * getaddrinfo(host, serv) with LuaSocket's hints: stream sockets, the object's family
 * (0 = unspec), passive for bind. `deadline` (performance.now() ms) bounds a DNS lookup.
 */
export function resolve(
  host: string | null,
  serv: string,
  family: 0 | 4 | 6,
  passive: boolean,
  deadline = Number.POSITIVE_INFINITY,
): Resolved {
  const n = requireNative();
  // glibc treats a lone "*" as "no host" (wildcard when passive, loopback otherwise).
  const node = host === '*' ? null : host;
  if (isLocalAnswer(node) || deadline === Number.POSITIVE_INFINITY || !Number.isFinite(deadline)) {
    const [code, list, errno] = n.getaddrinfo(node, serv, family, passive);
    if (code !== 0) return { ok: false, err: gaiText(code, errno) };
    return { ok: true, list: list.map(([f, address, port]) => ({ family: f, address, port })) };
  }
  // A real name with a deadline: validate the service locally, look the name up in the worker.
  const [scode, slist, serrno] = n.getaddrinfo(family === 6 ? '::1' : '127.0.0.1', serv, family, false);
  if (scode !== 0) return { ok: false, err: gaiText(scode, serrno) };
  const port = slist[0]?.[2] ?? 0;
  const r = engine().call({ op: 'lookup', host: node as string, family }, deadline);
  if (r === null) return { ok: false, err: 'timeout' };
  if (!r.ok) return { ok: false, err: r.lookupError };
  return { ok: true, list: r.addresses.map((a) => ({ family: a.family, address: a.address, port })) };
}

export function requireNative(): NonNullable<typeof native> {
  if (!native) throw new Error('luasocket: the native helper is not available (run `npm rebuild luasocket`)');
  return native;
}

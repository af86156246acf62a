/**
 * socket.dns on the portable engine: Node's resolver in the I/O worker (getaddrinfo and
 * getnameinfo of the C library, run in libuv's thread pool). gethostbyname/gethostbyaddr
 * have no Node counterpart: toip/tohostname are answered from getaddrinfo (IPv4) and
 * getnameinfo, so names and addresses agree with the native engine, aliases are empty.
 */
import { hostname } from 'node:os';
import { GAI_TEXT } from '../../errors.js';
import type { DnsEngine, HostEntry } from '../types.js';
import { workerLink } from '../worker-link.js';
import { inetAton, portableResolve, serviceName } from './portable-resolve.js';

const HOST_NOT_FOUND = 'host not found';

/** getnameinfo's host for `address`, or null when it has no name. */
function nameOf(address: string): string | null {
  const r = workerLink().call({ op: 'lookup-service', address, port: 0 });
  if (r === null || !('service' in r) || !('host' in r.service)) return null;
  return r.service.host === address ? null : r.service.host;
}

export const portableDns: DnsEngine = {
  gethost(address): HostEntry | string {
    const v4 = inetAton(address);
    if (v4 !== null) {
      const name = nameOf(v4);
      return name === null ? HOST_NOT_FOUND : { name, aliases: [], addresses: [v4] };
    }
    const r = portableResolve(address, '0', 4, false, Number.POSITIVE_INFINITY);
    if (!r.ok) return HOST_NOT_FOUND;
    return { name: address, aliases: [], addresses: [...new Set(r.list.map((a) => a.address))] };
  },
  gethostname() {
    return hostname();
  },
  getaddrinfo(host) {
    // getaddrinfo(node, NULL) with no node: nothing to answer ("*" counts as no node).
    if (host === '' || host === '*') return GAI_TEXT.EAI_NONAME as string;
    const r = portableResolve(host, '0', 0, false);
    if (!r.ok) return r.err;
    return r.list.map((a) => ({ family: a.family, address: a.address }));
  },
  getnameinfo(host, serv) {
    const r = portableResolve(host, serv ?? '0', 0, false);
    if (!r.ok) return r.err;
    const names = host === null ? [] : r.list.map((a) => nameOf(a.address) ?? a.address);
    const service = serv === null ? '' : serviceName(r.list[0]?.port ?? 0);
    return { names, service };
  },
};

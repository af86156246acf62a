/**
 * UDP options on the portable engine: what node:dgram can apply for real. node:dgram has
 * an OS socket only once it is bound (explicitly, or implicitly by a first send or
 * connect), so a value set before that is kept and applied then (after checking it as the
 * kernel would), and reads back as set; a buffer size read before then is the kernel's
 * answer for a probe socket given the same value; a default the socket cannot have
 * changed is the kernel's (its constant, or the sysctl it reads). Options node:dgram has
 * no call for (dontroute, reuseport, IPv4 multicast settings of an IPv6 socket) and a
 * membership on a socket that is not bound yet answer 'not supported on this platform':
 * no value here pretends.
 */
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { DgramOptionName, DgramOptionValue, Membership } from '../src/engine/types.js';
import { NOT_SUPPORTED } from '../src/errors.js';
import type { OptionReply } from '../src/protocol.js';

const OK: OptionReply = { none: true };
const SET_FAILED: OptionReply = { err: 'setsockopt failed' };
const GET_FAILED: OptionReply = { err: 'getsockopt failed' };
const UNSUPPORTED: OptionReply = { err: NOT_SUPPORTED };

/** Is `address` one of this host's IPv4 addresses (what IP_MULTICAST_IF needs)? */
function localIPv4(address: string): boolean {
  if (address === '0.0.0.0') return true;
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => i.family === 'IPv4' && i.address === address));
}

/** The kernel's hop limit for a socket that set none (IPV6_UNICAST_HOPS reads it), or null. */
function defaultHopLimit(): number | null {
  try {
    const v = Number.parseInt(readFileSync('/proc/sys/net/ipv6/conf/all/hop_limit', 'latin1'), 10);
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

/**
 * A buffer size of a socket not bound yet: what the kernel answers for a fresh socket of
 * `family` given the same setting (`value` null: none), read from a bound probe socket.
 */
export function probeBufferSize(family: 4 | 6, recv: boolean, value: number | null, done: (r: OptionReply) => void): void {
  const p = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4' });
  const end = (r: OptionReply) => {
    p.close();
    done(r);
  };
  p.once('error', () => end(UNSUPPORTED));
  p.bind({ address: family === 6 ? '::1' : '127.0.0.1', port: 0 }, () => {
    try {
      if (value !== null) {
        if (recv) p.setRecvBufferSize(value);
        else p.setSendBufferSize(value);
      }
      // (value is stored as set() adjusted it.)
      end({ value: recv ? p.getRecvBufferSize() : p.getSendBufferSize() });
    } catch {
      end(GET_FAILED);
    }
  });
}

export class DgramOptions {
  /** SO_REUSEADDR and IPV6_V6ONLY: node:dgram takes them when it creates the socket. */
  reuseaddr = false;
  v6only: boolean;
  private broadcast = false;
  private multicastLoop = true;
  private multicastIf = '0.0.0.0';
  private multicastTtl: number | null = null;
  private hops: number | null = null;
  private recvBuffer: number | null = null;
  private sendBuffer: number | null = null;

  constructor(private readonly family: 4 | 6) {
    this.v6only = family === 6;
  }

  /** A buffer size set before the socket existed (null: none). */
  bufferSet(recv: boolean): number | null {
    return recv ? this.recvBuffer : this.sendBuffer;
  }

  /** The socket was just bound: applies what was set before. */
  applyAll(s: dgram.Socket): void {
    const tryApply = (f: () => void) => {
      try {
        f();
      } catch {
        // Checked when it was set; nothing to report now.
      }
    };
    if (this.broadcast) tryApply(() => s.setBroadcast(true));
    if (!this.multicastLoop) tryApply(() => s.setMulticastLoopback(false));
    if (this.family === 4 && this.multicastIf !== '0.0.0.0') tryApply(() => s.setMulticastInterface(this.multicastIf));
    if (this.multicastTtl !== null) tryApply(() => s.setMulticastTTL(this.multicastTtl as number));
    if (this.hops !== null) tryApply(() => s.setTTL(this.hops as number));
    if (this.recvBuffer !== null) tryApply(() => s.setRecvBufferSize(this.recvBuffer as number));
    if (this.sendBuffer !== null) tryApply(() => s.setSendBufferSize(this.sendBuffer as number));
  }

  get(s: dgram.Socket | null, name: DgramOptionName, bound: boolean): OptionReply {
    const v6 = this.family === 6;
    switch (name) {
      case 'broadcast':
        return { value: this.broadcast };
      case 'reuseaddr':
        return { value: this.reuseaddr };
      // An IPv6 socket's IPv4 multicast settings cannot be changed here: the kernel's defaults.
      case 'ip-multicast-loop':
        return { value: v6 ? true : this.multicastLoop };
      case 'ip-multicast-if':
        return { value: v6 ? '0.0.0.0' : this.multicastIf };
      case 'ipv6-multicast-loop':
        return v6 ? { value: this.multicastLoop } : GET_FAILED;
      case 'ipv6-v6only':
        return v6 ? { value: this.v6only } : GET_FAILED;
      case 'ipv6-unicast-hops':
      case 'ipv6-multicast-hops':
        if (!v6) return GET_FAILED;
        if (this.hops !== null) return { value: this.hops };
        return (() => {
          const h = defaultHopLimit();
          return h === null ? UNSUPPORTED : { value: h };
        })();
      case 'recv-buffer-size':
      case 'send-buffer-size':
        if (!bound || s === null) return UNSUPPORTED;
        try {
          return { value: name === 'recv-buffer-size' ? s.getRecvBufferSize() : s.getSendBufferSize() };
        } catch {
          return GET_FAILED;
        }
      default:
        return UNSUPPORTED;
    }
  }

  /** Applies `value` now (bound), or keeps it for the bind: { none } on success. */
  set(s: dgram.Socket | null, name: DgramOptionName, value: DgramOptionValue, bound: boolean): OptionReply {
    const live = bound && s !== null ? s : null;
    const v6 = this.family === 6;
    const apply = (check: boolean, f: (sock: dgram.Socket) => void, keep: () => void): OptionReply => {
      if (!check) return SET_FAILED;
      if (live) {
        try {
          f(live);
        } catch {
          return SET_FAILED;
        }
      }
      keep();
      return OK;
    };
    switch (name) {
      case 'broadcast':
        return apply(
          true,
          (k) => k.setBroadcast(value as boolean),
          () => (this.broadcast = value as boolean),
        );
      case 'reuseaddr':
        if (s !== null) return UNSUPPORTED;
        this.reuseaddr = value as boolean;
        return OK;
      case 'ipv6-v6only':
        // The kernel refuses it on IPv4 sockets and once bound.
        if (!v6 || s !== null) return SET_FAILED;
        this.v6only = value as boolean;
        return OK;
      case 'ip-multicast-loop':
      case 'ipv6-multicast-loop':
        if (v6 !== (name === 'ipv6-multicast-loop')) return v6 ? UNSUPPORTED : SET_FAILED;
        return apply(
          true,
          (k) => k.setMulticastLoopback(value as boolean),
          () => (this.multicastLoop = value as boolean),
        );
      case 'ip-multicast-ttl': {
        if (v6) return UNSUPPORTED;
        const ttl = value as number;
        return apply(
          ttl >= -1 && ttl <= 255,
          (k) => k.setMulticastTTL(ttl === -1 ? 1 : ttl),
          () => (this.multicastTtl = ttl === -1 ? 1 : ttl),
        );
      }
      case 'ip-multicast-if': {
        if (v6) return UNSUPPORTED;
        const a = value as string;
        return apply(
          localIPv4(a),
          (k) => k.setMulticastInterface(a),
          () => (this.multicastIf = a),
        );
      }
      case 'ipv6-unicast-hops':
      case 'ipv6-multicast-hops': {
        if (!v6) return SET_FAILED;
        const h = value as number;
        return apply(
          h >= -1 && h <= 255,
          (k) => k.setTTL(h === -1 ? 64 : h),
          () => (this.hops = h === -1 ? null : h),
        );
      }
      case 'ip-add-membership':
      case 'ip-drop-membership':
      case 'ipv6-add-membership':
      case 'ipv6-drop-membership':
        return this.membership(live, name, value as Membership);
      case 'recv-buffer-size':
      case 'send-buffer-size': {
        // libuv reads the size when given 0 (the kernel's minimum, as 1 gives), and takes
        // a negative int only as the unsigned value the kernel would see.
        const n = (value as number) === 0 ? 1 : (value as number) >>> 0;
        const keep = () => {
          if (name === 'recv-buffer-size') this.recvBuffer = n;
          else this.sendBuffer = n;
        };
        return apply(
          true,
          (k) => (name === 'recv-buffer-size' ? k.setRecvBufferSize(n) : k.setSendBufferSize(n)),
          live === null ? keep : () => {},
        );
      }
      default:
        return UNSUPPORTED;
    }
  }

  private membership(live: dgram.Socket | null, name: DgramOptionName, m: Membership): OptionReply {
    const v6 = name.startsWith('ipv6');
    if (v6 !== (this.family === 6)) return this.family === 6 ? UNSUPPORTED : SET_FAILED;
    // node:dgram would bind the socket to join a group: only a bound socket can.
    if (live === null) return UNSUPPORTED;
    const iface = m.family === 6 ? (m.iface ? `::%${m.iface}` : undefined) : m.iface;
    try {
      if (name.endsWith('add-membership')) live.addMembership(m.multiaddr, iface);
      else live.dropMembership(m.multiaddr, iface);
      return OK;
    } catch {
      return SET_FAILED;
    }
  }
}

/**
 * Socket options on the portable engine: what node:net can really apply (no-delay,
 * keep-alive, an abortive close for linger 0, IPv6-only at listen), and the state of
 * SO_REUSEADDR that libuv itself sets when it binds. Everything else answers
 * 'not supported on this platform': no value here pretends.
 */
import { NOT_SUPPORTED } from '../../errors.js';
import type { SocketOptions } from '../../protocol.js';
import type { Family, OptionName, OptionRead, OptionValue } from '../types.js';

/** Hands the options node:net applies to the socket, once one exists (a worker round trip). */
type Apply = (options: SocketOptions) => void;

export class PortableOptions {
  /** IPV6_V6ONLY for listen and bind probes; LuaSocket turns it on for IPv6 sockets. */
  v6only: boolean;
  noDelay = false;
  keepAlive = false;
  /** linger {on = true, timeout = 0}: close resets the connection. */
  abortOnClose = false;

  constructor(
    private readonly family: Family,
    private readonly apply: Apply,
  ) {
    this.v6only = family === 6;
  }

  /** What node:net applies: given to connect and listen, and to every later change. */
  get socketOptions(): SocketOptions {
    return { noDelay: this.noDelay, keepAlive: this.keepAlive };
  }

  /** An accepted socket starts with its listener's options, as in the kernel. */
  inherit(o: SocketOptions): void {
    this.noDelay = o.noDelay;
    this.keepAlive = o.keepAlive;
  }

  /** `bound`: the socket is (or will be) bound by libuv, which always sets SO_REUSEADDR. */
  get(name: OptionName, bound: boolean): OptionRead {
    switch (name) {
      case 'tcp-nodelay':
        return { value: this.noDelay };
      case 'keepalive':
        return { value: this.keepAlive };
      case 'reuseaddr':
        return { value: bound };
      case 'linger':
        return { value: { on: this.abortOnClose, seconds: 0 } };
      default:
        return { err: NOT_SUPPORTED };
    }
  }

  set(name: OptionName, value: OptionValue): string | null {
    switch (name) {
      case 'tcp-nodelay':
        this.noDelay = value === true;
        this.apply(this.socketOptions);
        return null;
      case 'keepalive':
        this.keepAlive = value === true;
        this.apply(this.socketOptions);
        return null;
      case 'reuseaddr':
        // libuv sets it whenever it binds (listen, or connect from a local address).
        return value === true ? null : NOT_SUPPORTED;
      case 'linger': {
        const l = value as { on: boolean; seconds: number };
        if (l.on && l.seconds !== 0) return NOT_SUPPORTED;
        this.abortOnClose = l.on;
        return null;
      }
      case 'ipv6-v6only':
        if (this.family !== 6) return 'setsockopt failed';
        this.v6only = value === true;
        return null;
      default:
        return NOT_SUPPORTED;
    }
  }
}

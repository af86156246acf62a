/**
 * THE engine boundary. The API layer (tcp.ts, select.ts, options.ts, dns.ts, inet.ts) talks
 * to one `Engine` and to the `StreamHandle`s it makes, and never asks which implementation
 * runs underneath:
 *
 *  - native   (engine/native/): system calls on the calling thread through the native
 *             helper; the I/O worker only keeps rx rings filled.
 *  - portable (engine/portable/): the I/O worker owns every socket through node:net; the
 *             caller makes worker round trips for control calls and uses the rings for data.
 *
 * Errors cross this boundary as LuaSocket's texts (strings) or, for data calls, ErrCodes
 * (protocol.ts), so both engines report the same words for the same events.
 */
import type { Stream } from '../buffer.js';
import type { InetAddress, SockAddress, TlsSource, UnixAddress } from '../protocol.js';
import type { Timeout } from '../timeout.js';
import type { WorkerLink } from './worker-link.js';

export type { InetAddress, SockAddress, UnixAddress } from '../protocol.js';

/** Address families as the engines number them (0 = unspecified, for resolver hints). */
export type Family = 4 | 6;

/** The counters getstats reports: bytes taken by receive patterns and accepted by sends. */
export interface Stats {
  received: number;
  sent: number;
}

/** What an object shares with its handle: its timeouts and statistics. */
export interface Owner {
  readonly tm: Timeout;
  readonly stats: Stats;
}

/** getaddrinfo with LuaSocket's hints: candidates in resolver order, or LuaSocket's text. */
export type Resolved = { ok: true; list: InetAddress[] } | { ok: false; err: string };

/** select's view of one object. */
export interface Readiness {
  /**
   * Where select lists the object among ready ones (LuaSocket: ascending descriptor). The
   * descriptor where there is one; the portable engine, whose sockets may have none yet,
   * numbers them in creation order, as the kernel's lowest-free descriptors mostly do.
   */
  order: number;
  readable: boolean;
  writable: boolean;
  /** The link whose wake word signals a change of this readiness; null when only polling can tell. */
  link: WorkerLink | null;
}

/** A validated option value (options.ts checks names and values before an engine sees them). */
export type OptionValue = boolean | number | { on: boolean; seconds: number };

/** LuaSocket 3.1.0's UDP option names (udp.c's tables; udp-options.ts checks them). */
export type DgramOptionName =
  | 'dontroute'
  | 'broadcast'
  | 'reuseaddr'
  | 'reuseport'
  | 'ip-multicast-if'
  | 'ip-multicast-ttl'
  | 'ip-multicast-loop'
  | 'ip-add-membership'
  | 'ip-drop-membership'
  | 'error'
  | 'ipv6-unicast-hops'
  | 'ipv6-multicast-hops'
  | 'ipv6-multicast-loop'
  | 'ipv6-add-membership'
  | 'ipv6-drop-membership'
  | 'ipv6-v6only'
  | 'recv-buffer-size'
  | 'send-buffer-size';

/** A multicast group to join or leave: IPv4 (dotted addresses) or IPv6 (numeric text and an interface index). */
export type Membership = { family: 4; multiaddr: string; iface: string } | { family: 6; multiaddr: string; iface: number };

/**
 * A validated UDP option value: a boolean, an integer, a dotted IPv4 address
 * (ip-multicast-if) or a membership.
 */
export type DgramOptionValue = boolean | number | string | Membership;

/** LuaSocket's option names, as options.ts lists them. */
export type OptionName =
  | 'keepalive'
  | 'reuseaddr'
  | 'reuseport'
  | 'tcp-nodelay'
  | 'tcp-keepidle'
  | 'tcp-keepcnt'
  | 'tcp-keepintvl'
  | 'linger'
  | 'error'
  | 'recv-buffer-size'
  | 'send-buffer-size'
  | 'ipv6-v6only'
  | 'tcp-defer-accept'
  | 'tcp-fastopen'
  | 'tcp-fastopen-connect';

/** getoption's outcome: a value, nothing (no pending error), or LuaSocket's failure text. */
export type OptionRead = { value: OptionValue | string } | { none: true } | { err: string };

/** What the stream methods (receive, send, close, ...) need: any byte stream, TCP or TLS. */
export interface DataHandle {
  /** The OS descriptor getfd() reports, -1 when there is none (closed, or the engine cannot tell). */
  readonly fd: number;
  /** The handle stands for an OS socket: not closed, not emptied by setfd(-1). */
  readonly open: boolean;
  /** Sends all of `data` unless it times out or fails: [bytes the kernel took, 0 or an ErrCode]. */
  send(data: Uint8Array, tm: Timeout): [number, number];
  /** The receive side, started on first use; null when there is nothing to read from ('closed'). */
  reader(tm: Timeout): Stream | null;
  shutdown(how: 'send' | 'receive' | 'both'): void;
  /** Closes the socket; buffered input stays readable through the reader. */
  close(): void;
  /** setfd: the handle now answers for `fd` (-1: none); the old descriptor is not closed. */
  setfd(fd: number): void;
  readiness(): Readiness;
  /** select(…, 0): would the kernel wake a reader that shared memory does not show yet? */
  kernelAhead(): boolean;
}

/** One stream socket (TCP). Every method is a system call or a worker round trip. */
export interface StreamHandle extends DataHandle {
  /** bind(2): null on success, else LuaSocket's text. */
  bind(address: InetAddress): string | null;
  listen(backlog: number): string | null;
  /**
   * One connection attempt to `address`, waiting per `tm`: null on success, else LuaSocket's
   * text ('timeout' leaves the attempt pending). A repeat on the same socket answers as the
   * kernel's state machine does (spec 6.6).
   */
  connect(address: InetAddress, tm: Timeout): string | null;
  /** The next connection, waiting per `tm`: a handle for `owner`, or LuaSocket's text. */
  accept(tm: Timeout, owner: Owner): StreamHandle | string;
  name(which: 'sock' | 'peer'): InetAddress | string;
  getoption(name: OptionName): OptionRead;
  /** null on success, else LuaSocket's text. */
  setoption(name: OptionName, value: OptionValue): string | null;
  /**
   * Hands the connection over to a TLS session in the worker: where its bytes come from
   * (portable: the worker's channel; native: a dup of the descriptor), or LuaSocket's text.
   * The handle stops reading; closing it afterwards closes only what the caller still holds.
   */
  tlsSource(): TlsSource | string;
}

/**
 * What one datagram receive gave: its bytes (cut to the size asked), `buf[start, end)`, in
 * memory the handle reuses at its next call, and, when asked, its sender; or LuaSocket's text.
 */
export type DatagramRead = { buf: Buffer; start: number; end: number; from: SockAddress | null } | { err: string };

/**
 * One datagram socket: UDP (IPv4/IPv6) or unix-domain. LuaSocket's udp.c and
 * unixdgram.c on top of it decide states and argument errors; errors come back as
 * LuaSocket's texts (an I/O call on no socket is LuaSocket's IO_CLOSED, which the
 * datagram kinds spell 'refused').
 */
export interface DatagramHandle {
  /** The OS descriptor getfd() reports, -1 when there is none (closed, or the engine cannot tell). */
  readonly fd: number;
  readonly open: boolean;
  /** bind(2): null on success, else LuaSocket's text. */
  bind(address: SockAddress): string | null;
  /** connect(2) (immediate for UDP; a unix connect may wait per `tm`): null or LuaSocket's text. */
  connect(address: SockAddress, tm: Timeout): string | null;
  /** setpeername('*'): connect(2) to AF_UNSPEC; errors are ignored, as in LuaSocket. */
  disconnect(): void;
  /** One datagram to the connected peer: bytes sent, or LuaSocket's text. */
  send(data: Uint8Array, tm: Timeout): number | string;
  /** One datagram to `to`: bytes sent, or LuaSocket's text. */
  sendto(data: Uint8Array, to: SockAddress, tm: Timeout): number | string;
  /** The next datagram cut to `size` bytes (the rest is discarded), waiting per `tm`. */
  receive(size: number, tm: Timeout, wantFrom: boolean): DatagramRead;
  /** The socket's own or peer address, or LuaSocket's text. */
  name(which: 'sock' | 'peer'): SockAddress | string;
  getoption(name: DgramOptionName): OptionRead;
  /** null on success, else LuaSocket's text. */
  setoption(name: DgramOptionName | 'reuseaddr', value: DgramOptionValue): string | null;
  close(): void;
  /** setfd: the handle now answers for `fd` (-1: none); the old descriptor is not closed. */
  setfd(fd: number): void;
  readiness(): Readiness;
  /** select(…, 0): does the kernel hold a datagram the worker has not moved to the ring yet? */
  kernelAhead(): boolean;
}

/** One unix-domain stream socket: TCP's machinery with paths for addresses. */
export interface UnixStreamHandle extends DataHandle {
  bind(address: UnixAddress): string | null;
  listen(backlog: number): string | null;
  /** LuaSocket's socket_connect to a path, waiting per `tm`: null or LuaSocket's text. */
  connect(address: UnixAddress, tm: Timeout): string | null;
  accept(tm: Timeout, owner: Owner): UnixStreamHandle | string;
  /** getsockname's path (bytes up to the first NUL; empty when unbound), or LuaSocket's text. */
  name(): Uint8Array | string;
  setoption(name: OptionName, value: OptionValue): string | null;
  /**
   * A connect into a full backlog that 3.1.0 reports as a success (the socket polled
   * writable) left the socket unconnected: reads fail as recv(2) does there.
   */
  readonly unconnected: boolean;
}

/** socket.dns, before LuaSocket's result shaping (dns.ts). */
export interface HostEntry {
  name: string;
  aliases: string[];
  addresses: string[];
}

export interface DnsEngine {
  /** gethostbyname / gethostbyaddr (an IPv4 literal): the entry, or LuaSocket's text. */
  gethost(address: string): HostEntry | string;
  gethostname(): string | { err: string };
  /** getaddrinfo(host, nil): families and numeric addresses, or LuaSocket's text. */
  getaddrinfo(host: string): Array<{ family: Family; address: string }> | string;
  /** getnameinfo over every address of getaddrinfo(host, serv), or LuaSocket's text. */
  getnameinfo(host: string | null, serv: string | null): { names: string[]; service: string } | string;
}

export interface Engine {
  readonly name: 'native' | 'portable';
  /** A new stream socket of `family` (LuaSocket's inet_trysocket), or LuaSocket's text. */
  stream(family: Family, owner: Owner): StreamHandle | string;
  /** A handle for a descriptor given to setfd on an object that had none. */
  fromFd(fd: number, owner: Owner): StreamHandle;
  /** A new UDP socket of `family` (IPv6: v6only on), or LuaSocket's text. */
  udp(family: Family, owner: Owner): DatagramHandle | string;
  /** A new unix-domain stream socket, or LuaSocket's text ('not supported on this platform' where the engine has none). */
  unixStream(owner: Owner): UnixStreamHandle | string;
  /** A new unix-domain datagram socket, or LuaSocket's text ('not supported on this platform' where the engine has none). */
  unixDgram(owner: Owner): DatagramHandle | string;
  /** setfd on a datagram object that had no socket: a handle for `fd` of `family`. */
  datagramFromFd(fd: number, family: 0 | Family | 'unix', owner: Owner): DatagramHandle;
  /** setfd on a unix stream object that had no socket. */
  unixStreamFromFd(fd: number, owner: Owner): UnixStreamHandle;
  /**
   * getaddrinfo(host, serv) with LuaSocket's hints: stream sockets (`socktype` 'dgram':
   * datagram sockets; 'dgram-numeric': also numeric host and port only, with glibc's own
   * error texts, as UDP sendto), `family` (0 = unspec), passive for bind. `deadline`
   * (performance.now() ms) bounds a name lookup.
   */
  resolve(
    host: string | null,
    serv: string,
    family: 0 | Family,
    passive: boolean,
    deadline?: number,
    socktype?: 'stream' | 'dgram' | 'dgram-numeric',
  ): Resolved;
  readonly dns: DnsEngine;
  /** select over objects that are not this package's: poll their descriptor (false where the engine cannot). */
  pollFd(fd: number, events: 1 | 4): boolean;
  /**
   * select's wait when only the kernel can tell: blocks until one of `fds` reports its
   * event (1 readable, 4 writable) or `timeoutMs` passes. False where the engine cannot.
   */
  waitFds(fds: Int32Array, events: Int32Array, timeoutMs: number): boolean;
  /** Closes now the sockets of objects the garbage collector freed (the script is about to wait anyway). */
  collectGarbage(): void;
}

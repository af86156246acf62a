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
import type { InetAddress, TlsSource } from '../protocol.js';
import type { Timeout } from '../timeout.js';
import type { WorkerLink } from './worker-link.js';

export type { InetAddress } from '../protocol.js';

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
  /**
   * getaddrinfo(host, serv) with LuaSocket's hints: stream sockets, `family` (0 = unspec),
   * passive for bind. `deadline` (performance.now() ms) bounds a name lookup.
   */
  resolve(host: string | null, serv: string, family: 0 | Family, passive: boolean, deadline?: number): Resolved;
  readonly dns: DnsEngine;
  /** select over objects that are not this package's: poll their descriptor (false where the engine cannot). */
  pollFd(fd: number, events: 1 | 4): boolean;
  /** Closes now the sockets of objects the garbage collector freed (the script is about to wait anyway). */
  collectGarbage(): void;
}

import type { MessagePort } from 'node:worker_threads';
import type { DgramOptionName, DgramOptionValue } from './engine/types.js';

/**
 * The contract between the calling thread and the I/O worker. Both sides import this
 * module and nothing else describes the shared memory: every offset lives here.
 *
 * Two kinds of shared memory:
 *
 * 1. The link's control block (one per calling thread): a few Int32 words.
 *    `SEQ` is the wake word. The worker bumps it and calls Atomics.notify after anything
 *    a waiting caller might care about (data, EOF, connect settled, connection pending,
 *    send space freed, a reply posted). The caller reads SEQ, checks its condition in
 *    shared memory, and only then Atomics.wait()s on the value it read, so no wake-up is
 *    ever lost. `HEARTBEAT` is bumped by the worker on a timer so a caller can tell a
 *    dead worker from a quiet one.
 *
 * 2. One channel per socket: a header of Int32 words, the rx ring and (for sockets whose
 *    writes the worker owns) the tx ring. Ring positions are free-running uint32 counters
 *    stored in Int32 slots (read with `>>> 0`); ring sizes are powers of two, so
 *    `counter & (size - 1)` is the offset and `(head - tail) >>> 0` the fill level,
 *    wrap-around included. Each side only ever writes its own counters, so no locks.
 *
 *    rx: the worker writes incoming bytes at RX_HEAD, the caller consumes at RX_TAIL.
 *
 *    tx (portable engine, TLS): the caller copies bytes in at its own head and adds their
 *    number to TX_AVAIL; the worker takes up to TX_PIECE_BYTES at a time by lowering
 *    TX_AVAIL (compare-and-swap), writes them to node:net straight from the ring, and
 *    counts them in TX_DONE once node:net's userland queue is empty (the kernel holds
 *    them; their ring space is free again). A send succeeds when TX_DONE covers it. A send
 *    that times out takes back what the worker has not taken yet with
 *    Atomics.exchange(TX_AVAIL, 0): what was taken is committed and reaches the peer, what
 *    was not is never sent, so the index it reports is exact for the byte stream the peer
 *    sees (at most one piece of it was still in node:net rather than the kernel).
 *
 * 3. One datagram channel per UDP socket of the portable engine: a header (`Dg`) and a
 *    ring of records, one per datagram: a DG_RECORD_HEADER (payload length, sender's port,
 *    family and address length), the sender's numeric address (ASCII) and the payload,
 *    padded to 4 bytes; a record never wraps (a DG_WRAP length sends the reader back to
 *    the ring's start). The worker appends what node:dgram delivers and drops a datagram
 *    that does not fit (the kernel drops what does not fit its buffer, too); the caller
 *    consumes at TAIL. An ICMP error node:dgram reports is the socket's pending error
 *    (ERR), taken once by the next receive, send or getoption('error').
 *
 * Engines:
 *  - native: the caller connects, listens, accepts and sends with system calls through
 *    the native helper; a connection is handed to the worker ('adopt', a dup of its
 *    descriptor) at its first read, and from then on the worker keeps its rx ring filled.
 *  - portable: the worker owns every socket through node:net ('connect', 'listen',
 *    'probe-bind'); accepted connections are pushed to the caller on the reply port
 *    ('accepted') and counted in the listener's PENDING word.
 *
 * Commands (caller -> worker) travel by postMessage; replies that the caller must wait
 * for travel on a MessagePort that the caller drains with receiveMessageOnPort after a
 * SEQ change. State that the caller polls (data, EOF, errors, connect state, pending
 * connections, tx progress) is written into the channel header, never sent as messages.
 */

/** Words of the link's control block. */
export const Ctl = {
  SEQ: 0,
  HEARTBEAT: 1,
  /** Set to 1 by the worker once it is listening for commands. */
  READY: 2,
  /**
   * 1 while the caller sleeps in Atomics.wait: the worker only pays for Atomics.notify then.
   * (The caller sets it, then waits on SEQ's old value, so a bump in between is never lost.)
   */
  SLEEPING: 3,
  /** Number of Int32 words. */
  WORDS: 4,
} as const;

/** How often the worker bumps HEARTBEAT, and how long silence means it is dead. */
export const HEARTBEAT_MS = 100;
export const HEARTBEAT_DEAD_MS = 3000;
/** A worker that has not started within this long is treated as dead. */
export const STARTUP_DEAD_MS = 15000;

/** Words of a channel header. */
export const Hdr = {
  RX_HEAD: 0,
  RX_TAIL: 1,
  /** Bit set of RxFlag. */
  RX_FLAGS: 2,
  /** ErrCode of the read side once RxFlag.ERROR is set. */
  RX_ERR: 3,
  /** tx: bytes the caller put in the ring that the worker has not taken yet. */
  TX_AVAIL: 4,
  /** tx: 1 while node:net holds bytes the kernel did not take (the peer is not reading). */
  TX_BLOCKED: 5,
  /** tx: counter of bytes the kernel holds (node:net's userland queue drained past them); ring space up to it is free. */
  TX_DONE: 6,
  /** tx: ErrCode of the write side once writing failed or was shut down (0 while fine). */
  TX_ERR: 7,
  /** A State value: the socket's life as the worker sees it (portable engine). */
  STATE: 8,
  /** ErrCode of a failed connect or listen. */
  STATE_ERR: 9,
  /** Listener: connections accepted by the worker, not yet taken by the caller. */
  PENDING: 10,
  /** The OS descriptor of the worker's socket, for getfd (-1 while there is none). */
  FD: 11,
  /**
   * While RxFlag.WANT is set: the RX_HEAD counter a blocked receive needs before it can
   * finish (a byte count still missing). The worker does not wake the caller for less, so a
   * receive(65536) over 16 KiB TLS records sleeps once, not four times.
   */
  RX_WANT: 12,
  /** Number of Int32 words (the header is padded to 64 bytes). */
  WORDS: 16,
} as const;

export const HEADER_BYTES = Hdr.WORDS * 4;

export const RxFlag = {
  EOF: 1,
  ERROR: 2,
  /**
   * The worker stopped reading because the ring is full. It waits (Atomics.waitAsync) on
   * RX_TAIL; the caller calls Atomics.notify on RX_TAIL once it has freed space.
   */
  PAUSED: 4,
  /** RX_WANT holds the head a waiting receive needs (see Hdr.RX_WANT). */
  WANT: 8,
} as const;

/** Values of Hdr.STATE. */
export const State = {
  IDLE: 0,
  CONNECTING: 1,
  CONNECTED: 2,
  /** The connect attempt failed; STATE_ERR says why. */
  FAILED: 3,
  LISTENING: 4,
  /** The worker destroyed the socket (closed by the caller, or the worker is tearing down). */
  GONE: 5,
} as const;

/**
 * Error codes that travel through shared memory. Each maps to LuaSocket's exact text in
 * errors.ts. Errors outside this list travel as errno numbers: ERRNO_BASE + errno.
 */
export const ErrCode = {
  NONE: 0,
  CLOSED: 1,
  TIMEOUT: 2,
  REFUSED: 3,
  UNKNOWN: 4,
  /** receive with a maxsize: the payload would exceed it (upstream PR #463). */
  OVERSIZED: 5,
  /**
   * The peer reset the connection (ECONNRESET): LuaSocket's text is 'closed' too, but it is
   * an error, reported once (a '*a' that meets it fails), then the stream reads as ended.
   */
  RESET: 6,
  /** What node cannot do on the portable engine: 'not supported on this platform'. */
  UNSUPPORTED: 7,
  ERRNO_BASE: 1000,
} as const;

/** Words of a datagram channel's header (portable engine, UDP). */
export const Dg = {
  /** Byte counter of the next record the worker writes. */
  HEAD: 0,
  /** Byte counter of the first record the caller has not consumed. */
  TAIL: 1,
  /** The socket's pending error (an ErrCode; 0: none): the caller takes it with Atomics.exchange. */
  ERR: 2,
  /** The OS descriptor of the worker's socket (-1 until node:dgram has one). */
  FD: 3,
  /** Datagrams dropped because the ring was full. */
  DROPPED: 4,
  WORDS: 16,
} as const;

/** The datagram ring: a power of two, larger than the largest UDP datagram and its record header. */
export const DGRAM_RING_BYTES = 1 << 18;
/** A datagram record: u32 payload length, u16 port, u8 family (4/6), u8 address length. */
export const DG_RECORD_HEADER = 8;
/** A record length that means "the next record is at the ring's start". */
export const DG_WRAP = 0xffffffff;
export const DgLayout = { ringOffset: Dg.WORDS * 4, bytes: Dg.WORDS * 4 + DGRAM_RING_BYTES } as const;

/** The rx ring size: a power of two. Memory is committed lazily as pages are touched. */
export const RX_RING_BYTES = 1 << 20;
/** The tx ring size (portable engine and TLS): a power of two. */
export const TX_RING_BYTES = 1 << 18;
/** The worker takes at most this much from the tx ring per write (bounds what is committed but not in the kernel). */
export const TX_PIECE_BYTES = 1 << 16;

/**
 * Readiness lives in shared memory, one worker turn behind the kernel. When the kernel
 * already reports an event the worker has not published yet (a call with timeout 0 right
 * after the peer acted), the caller waits at most this long for the worker to catch up,
 * so it sees what LuaSocket, which asks the kernel, would see.
 */
export const SETTLE_MS = 100;

/** LuaSocket's input buffer: one "fill" moves at most this many bytes (spec 5.1). */
export const FILL_BYTES = 8192;

/** Layout of a channel buffer: header, rx ring, then the tx ring when the channel has one. */
export const Layout = {
  rxOffset: HEADER_BYTES,
  txOffset: HEADER_BYTES + RX_RING_BYTES,
  /** A channel whose writes the caller makes itself (native engine). */
  rxOnly: HEADER_BYTES + RX_RING_BYTES,
  /** A channel whose writes go through the worker. */
  duplex: HEADER_BYTES + RX_RING_BYTES + TX_RING_BYTES,
  /** A listener: the header only. */
  headerOnly: HEADER_BYTES,
} as const;

/** A socket address as both sides pass it: numeric IPv4/IPv6 text and a port. */
export interface InetAddress {
  family: 4 | 6;
  address: string;
  port: number;
}

/**
 * A unix-domain socket address: the path's bytes as LuaSocket passes them (a C string: no
 * NUL inside, shorter than sun_path; empty for the kernel's autobind).
 */
export interface UnixAddress {
  family: 'unix';
  path: Uint8Array;
}

/** Either kind of socket address. */
export type SockAddress = InetAddress | UnixAddress;

/** Commands, caller -> worker. `rid` present means the caller waits for a Reply. */
export type Command =
  /** native: a connection the caller made or accepted; the worker takes over its reading. */
  | { op: 'adopt'; id: number; sab: SharedArrayBuffer; fd: number }
  /**
   * Forget a channel; `abort` resets the connection (linger 0) instead of a graceful close.
   * With `rid` the worker replies once the socket's descriptor is closed (as close(2) returns).
   */
  | { op: 'close'; id: number; abort?: boolean; rid?: number }
  | { op: 'lookup'; rid: number; host: string; family: 0 | 4 | 6 }
  /** getnameinfo for socket.dns (portable engine). */
  | { op: 'lookup-service'; rid: number; address: string; port: number }
  /**
   * portable: bind. node:net cannot bind without listening, so the worker listens on the
   * address and resets whatever connects until 'listen'; replies with the address bound.
   * (Unix-domain paths too: node:net's pipes.)
   */
  | { op: 'bind'; rid: number; id: number; sab: SharedArrayBuffer; address: SockAddress; ipv6Only: boolean }
  /**
   * portable: listen (on the socket 'bind' made, when channel `id` exists, else on
   * `address`); replies with the address, then pushes 'accepted' messages.
   */
  | {
      op: 'listen';
      rid: number;
      id: number;
      sab: SharedArrayBuffer;
      address: SockAddress;
      backlog: number;
      ipv6Only: boolean;
      /** Options accepted connections inherit from the listener, as in the kernel. */
      options: SocketOptions;
    }
  /**
   * portable: connect; progress is published in the channel's STATE word. `unbind` is the
   * channel of a 'bind' whose address the connection takes (closed first), or 0.
   */
  | {
      op: 'connect';
      id: number;
      sab: SharedArrayBuffer;
      remote: SockAddress;
      local: SockAddress | null;
      unbind: number;
      /** Applied before the connection is published as connected. */
      options: SocketOptions;
    }
  /** portable: local and peer names of a channel's socket. */
  | { op: 'names'; rid: number; id: number }
  /** portable: half-close the sending side once every taken byte is written. */
  | { op: 'shutdown'; id: number }
  /** portable: socket options node:net can apply; the reply comes once they are applied. */
  | { op: 'set-option'; rid: number; id: number; options: SocketOptions }
  /**
   * TLS (both engines): take over a socket (portable: an existing channel; native: a dup of
   * the caller's descriptor) and run a TLS session on it in channel `id`; the handshake's
   * progress is published in STATE.
   */
  | { op: 'tls'; id: number; sab: SharedArrayBuffer; source: TlsSource; options: TlsOptions }
  /** TLS: the session's details (peer certificate, verification, protocol, cipher, error). */
  | { op: 'tls-info'; rid: number; id: number }
  /** portable UDP: a node:dgram socket of `family` for channel `id` (unbound until bind, connect or send). */
  | { op: 'dgram-open'; id: number; sab: SharedArrayBuffer; family: 4 | 6 }
  /**
   * native: a UDP socket the caller owns (a dup of its descriptor): the worker reads its
   * datagrams into the ring from now on, as 'adopt' does for a connection.
   */
  | { op: 'dgram-adopt'; id: number; sab: SharedArrayBuffer; fd: number; family: 4 | 6 }
  /** portable UDP: bind; replies `done` (0, or -ErrCode). */
  | { op: 'dgram-bind'; rid: number; id: number; address: InetAddress }
  /** portable UDP: connect (null: disconnect, LuaSocket's setpeername('*')); replies `done`. */
  | { op: 'dgram-connect'; rid: number; id: number; remote: InetAddress | null }
  /** portable UDP: one datagram (to the connected peer when `to` is null); replies `done`: bytes sent, or -ErrCode. */
  | { op: 'dgram-send'; rid: number; id: number; data: Uint8Array; to: InetAddress | null }
  /** portable UDP: getoption (`value` null) or setoption; replies `option`. */
  | { op: 'dgram-option'; rid: number; id: number; name: DgramOptionName; value: DgramOptionValue | null }
  /** Fault injection for the reliability tests: the worker dies after `afterMs`. */
  | { op: 'crash'; how: 'throw' | 'exit' | 'hang'; afterMs: number };

/**
 * Where a TLS session's socket comes from: a descriptor (native: a dup of the caller's)
 * and/or the channel that has been reading it (the worker hands the session whatever that
 * channel read from ring counter `from` on, so no byte of the peer's is lost).
 */
export interface TlsSource {
  fd: number | null;
  channel: number | null;
  from: number;
}

/** A TLS context as the worker needs it (PEM texts, read and checked on the caller). */
export interface TlsOptions {
  mode: 'client' | 'server';
  /** Trusted CAs (PEM); null: Node's own store. Extra CAs are added to the store unless `caOnly`. */
  ca: string[] | null;
  cert: string | null;
  key: string | null;
  passphrase: string | null;
  /** verify 'peer': a client rejects an unverified server; a server asks for a client certificate. */
  verifyPeer: boolean;
  /** verify 'fail_if_no_peer_cert' (servers). */
  requirePeerCert: boolean;
  minVersion: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3' | null;
  maxVersion: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3' | null;
  ciphers: string | null;
  /** SNI, and the name the server's certificate is checked against (clients). */
  servername: string | null;
  alpn: string[] | null;
}

/** What conn:info(), getpeercertificate() and getpeerverification() report. */
export interface TlsInfo {
  /** The handshake's failure, in LuaSec's words, or null. */
  error: string | null;
  authorized: boolean;
  /** Why the peer is not verified (Node's text), or null. */
  authorizationError: string | null;
  /** The peer's certificate chain, leaf first, DER. */
  peerChain: Uint8Array[];
  protocol: string | null;
  cipher: { name: string; standardName: string; version: string } | null;
  bits: number | null;
  alpn: string | null;
  servername: string | null;
}

/** The options node:net applies for real (portable engine). */
export interface SocketOptions {
  noDelay: boolean;
  keepAlive: boolean;
}

/** A socket name as a reply carries it: an address, or the ErrCode of getsockname/getpeername. */
export type NameReply = SockAddress | { err: number };

/** An option as a reply carries it: its value, no value (no pending error), or LuaSocket's text. */
export type OptionReply = { value: boolean | number | string } | { none: true } | { err: string };

/** Replies, worker -> caller, on the reply port. */
export type Reply =
  | { rid: number; ok: true; addresses: Array<{ address: string; family: 4 | 6 }> }
  | { rid: number; ok: false; lookupError: string }
  | { rid: number; service: { host: string } | { lookupError: string } }
  | { rid: number; bound: SockAddress | { err: number } }
  | { rid: number; names: { local: NameReply; peer: NameReply } }
  | { rid: number; tls: TlsInfo }
  /** A command carried out: 0, or what it answers (an ErrCode, a count) where it answers one. */
  | { rid: number; done: number }
  | { rid: number; option: OptionReply };

/** What 'tls-info' answers for a channel that has no session (any more). */
export const NO_TLS_INFO: TlsInfo = {
  error: 'closed',
  authorized: false,
  authorizationError: null,
  peerChain: [],
  protocol: null,
  cipher: null,
  bits: null,
  alpn: null,
  servername: null,
};

/** A connection a portable listener accepted, pushed on the reply port. */
export interface Accepted {
  op: 'accepted';
  listener: number;
  id: number;
  sab: SharedArrayBuffer;
  fd: number;
}

/** Everything the worker posts on the reply port. */
export type PortMessage = Reply | Accepted;

export interface WorkerData {
  ctl: SharedArrayBuffer;
  replyPort: MessagePort;
  /** Identifies this link's channels in the native queue of garbage-collected objects. */
  token: number;
}

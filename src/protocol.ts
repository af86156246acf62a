import type { MessagePort } from 'node:worker_threads';

/**
 * The contract between the calling thread and the I/O worker. Both sides import this
 * module and nothing else describes the shared memory: every offset lives here.
 *
 * Two kinds of shared memory:
 *
 * 1. The engine's control block (one per calling thread): a few Int32 words.
 *    `SEQ` is the wake word. The worker bumps it and calls Atomics.notify after anything
 *    a waiting caller might care about (data, EOF, connect settled, connection pending,
 *    send space freed, a reply posted). The caller reads SEQ, checks its condition in
 *    shared memory, and only then Atomics.wait()s on the value it read, so no wake-up is
 *    ever lost. `HEARTBEAT` is bumped by the worker on a timer so a caller can tell a
 *    dead worker from a quiet one.
 *
 * 2. One channel per socket: a header of Int32 words followed by the rx ring. The
 *    worker writes incoming bytes at RX_HEAD, the caller consumes at RX_TAIL. Both are
 *    free-running uint32 counters (stored in Int32 slots, read with `>>> 0`); the ring
 *    size is a power of two so `counter & (size - 1)` is the offset and
 *    `(head - tail) >>> 0` the fill level, wrap-around included. Each side only ever
 *    writes its own counter, so no locks are needed.
 *
 *    There is no tx ring: the caller sends with a non-blocking send(2) on its own
 *    descriptor of the socket (native helper), so a byte counts as sent exactly when the
 *    kernel accepted it, as in LuaSocket, and what a script sent survives its exit.
 *
 * Connecting and listening never involve the worker: the caller connects, listens and
 * accepts with the native helper, so the kernel's connect states and accept queue are the
 * only ones, exactly as in LuaSocket. A connection is handed to the worker ('adopt') at its
 * first read; from then on the worker keeps its ring filled.
 *
 * Commands (caller -> worker) travel by postMessage; replies that the caller must wait
 * for travel on a MessagePort that the caller drains with receiveMessageOnPort after a
 * SEQ change. State that the caller polls (data, EOF, errors) is
 * written into the channel header, never sent as messages.
 *
 * Descriptors: the caller and the worker each hold their own descriptor (a dup) of every
 * OS socket. The worker's drives node:net; the caller's serves sends and control calls
 * (names, options, shutdown) without a round trip, and outlives the worker's teardown.
 */

/** Words of the engine control block. */
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
  ERRNO_BASE: 1000,
} as const;

/** The rx ring size: a power of two. Memory is committed lazily as pages are touched. */
export const RX_RING_BYTES = 1 << 20;

/**
 * Readiness lives in shared memory, one worker turn behind the kernel. When the kernel
 * already reports an event the worker has not published yet (a call with timeout 0 right
 * after the peer acted), the caller waits at most this long for the worker to catch up,
 * so it sees what LuaSocket, which asks the kernel, would see.
 */
export const SETTLE_MS = 100;

/** LuaSocket's input buffer: one "fill" moves at most this many bytes (spec 5.1). */
export const FILL_BYTES = 8192;

/** Layout of a channel buffer. */
export const Layout = {
  rxOffset: HEADER_BYTES,
  total: HEADER_BYTES + RX_RING_BYTES,
} as const;

export interface Channel {
  id: number;
  sab: SharedArrayBuffer;
}

/** Commands, caller -> worker. `rid` present means the caller waits for a Reply. */
export type Command =
  /** A connection the caller made or accepted: the worker takes over its reading. */
  | { op: 'adopt'; id: number; sab: SharedArrayBuffer; fd: number }
  | { op: 'close'; id: number }
  | { op: 'lookup'; rid: number; host: string; family: 0 | 4 | 6 }
  /** Fault injection for the reliability tests: the worker dies after `afterMs`. */
  | { op: 'crash'; how: 'throw' | 'exit' | 'hang'; afterMs: number };

/** Replies, worker -> caller, on the reply port. */
export type Reply =
  | { rid: number; ok: true; addresses: Array<{ address: string; family: 4 | 6 }> }
  | { rid: number; ok: false; lookupError: string };

export interface WorkerData {
  ctl: SharedArrayBuffer;
  replyPort: MessagePort;
  /** Identifies this engine's channels in the native queue of garbage-collected objects. */
  token: number;
}

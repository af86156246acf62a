/**
 * Typed loader for the luasocket_native Node-API helper (native/*.c).
 *
 * The helper wraps POSIX socket calls on raw file descriptors. Nothing in it
 * throws except a TypeError for JS arguments of the wrong type (including a
 * non-int32 number); failures come back as values:
 *  - "errno" results are positive errno values, 0 meaning success;
 *  - calls producing an fd return it, or -errno on failure;
 *  - resolver calls return the raw EAI_* / h_errno code first.
 *
 * Where it is loaded from: the prebuilt binary for this platform, arch and libc
 * (prebuilds/<platform>-<arch>/luasocket[.glibc|.musl].node, shipped in the package
 * and made by scripts/build-native.mjs), else a node-gyp build (build/Release). No
 * install script runs; when neither loads, `native` is null and `nativeLoadError`
 * says why, and nothing is thrown.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** An opaque native handle (see guard()). */
export type NativeGuard = { readonly __nativeGuard: unique symbol };

/** Address family tag used across the addon: 4 = AF_INET, 6 = AF_INET6. */
export type NativeFamily = 4 | 6;

/** The family tag of AF_UNIX. */
export const UNIX_TAG = 1;

/**
 * A datagram's sender from recvfrom: `[size, 4|6, numeric host, port]`, `[size, 1, path]`
 * (unix: one char per byte, "" for an unnamed sender) or `[size, 0, getnameinfo's text]`.
 */
export type NativeSender = [size: number, family: 4 | 6, host: string, port: number] | [size: number, family: 0 | 1, text: string];

/** `[address, port, family]` as returned by getsockname/getpeername. */
export type NativeSockName = [address: string, port: number, family: NativeFamily];

/** One getaddrinfo result: `[family, numeric address, port]`. */
export type NativeAddrInfo = [family: NativeFamily, address: string, port: number];

/** A struct hostent, with addresses as numeric text. */
export interface NativeHostent {
  name: string;
  aliases: string[];
  addresses: string[];
}

/**
 * Numeric constants for the build platform. Those marked optional are only
 * present where the platform defines them.
 */
export interface NativeConstants {
  readonly SOL_SOCKET: number;
  readonly IPPROTO_TCP: number;
  readonly IPPROTO_IPV6: number;
  readonly SO_KEEPALIVE: number;
  readonly SO_REUSEADDR: number;
  readonly SO_REUSEPORT?: number;
  readonly SO_RCVBUF: number;
  readonly SO_SNDBUF: number;
  readonly SO_ERROR: number;
  readonly SO_LINGER: number;
  readonly TCP_NODELAY: number;
  readonly TCP_KEEPIDLE?: number;
  readonly TCP_KEEPCNT?: number;
  readonly TCP_KEEPINTVL?: number;
  readonly TCP_DEFER_ACCEPT?: number;
  readonly TCP_FASTOPEN?: number;
  readonly TCP_FASTOPEN_CONNECT?: number;
  readonly IPV6_V6ONLY: number;
  readonly IPPROTO_IP: number;
  readonly SO_DONTROUTE: number;
  readonly SO_BROADCAST: number;
  readonly IP_MULTICAST_IF: number;
  readonly IP_MULTICAST_TTL: number;
  readonly IP_MULTICAST_LOOP: number;
  readonly IP_ADD_MEMBERSHIP: number;
  readonly IP_DROP_MEMBERSHIP: number;
  readonly IPV6_UNICAST_HOPS: number;
  readonly IPV6_MULTICAST_LOOP: number;
  readonly IPV6_ADD_MEMBERSHIP: number;
  readonly IPV6_DROP_MEMBERSHIP: number;
  /** sizeof(sun_path): a unix-domain path must be shorter. */
  readonly UNIX_PATH_MAX: number;
  // getaddrinfo / getnameinfo codes (negative on glibc).
  readonly EAI_AGAIN: number;
  readonly EAI_BADFLAGS: number;
  readonly EAI_FAIL: number;
  readonly EAI_FAMILY: number;
  readonly EAI_MEMORY: number;
  readonly EAI_NONAME: number;
  readonly EAI_OVERFLOW?: number;
  readonly EAI_SERVICE: number;
  readonly EAI_SOCKTYPE: number;
  readonly EAI_SYSTEM: number;
  readonly EAI_ADDRFAMILY?: number;
  readonly EAI_NODATA?: number;
  // h_errno values for gethostbyname / gethostbyaddr.
  readonly HOST_NOT_FOUND: number;
  readonly TRY_AGAIN: number;
  readonly NO_RECOVERY: number;
  readonly NO_DATA: number;
  readonly NETDB_INTERNAL: number;
  // errno values.
  readonly EBADF: number;
  readonly EINVAL: number;
  readonly ENOTCONN: number;
  readonly EADDRINUSE: number;
  readonly EACCES: number;
  readonly ECONNREFUSED: number;
  readonly EISCONN: number;
  readonly EALREADY: number;
  readonly EINPROGRESS: number;
  readonly EAGAIN: number;
  readonly ECONNRESET: number;
  readonly EPIPE: number;
  readonly ETIMEDOUT: number;
  readonly ENOTSOCK: number;
  readonly EAFNOSUPPORT: number;
  readonly EINTR: number;
  readonly EMSGSIZE: number;
  readonly EPROTOTYPE: number;
  readonly ENAMETOOLONG: number;
}

export interface NativeSockets {
  /**
   * Non-blocking, close-on-exec SOCK_STREAM socket; IPv6 sockets get
   * IPV6_V6ONLY=1. Returns the fd, or -errno (-EAFNOSUPPORT for a bad family).
   */
  socket(family: NativeFamily): number;
  /**
   * Binds to a numeric IPv4/IPv6 literal. Returns 0 or errno: EINVAL when the
   * literal does not parse or the port is outside 0..65535.
   */
  bind(fd: number, family: NativeFamily, address: string, port: number): number;
  /** Non-blocking connect(2) to a numeric address: 0, or an errno (EINPROGRESS while pending). */
  connect(fd: number, family: NativeFamily, address: string, port: number): number;
  /** 0 or errno. */
  listen(fd: number, backlog: number): number;
  /** Local address, or errno. */
  getsockname(fd: number): NativeSockName | number;
  /** Peer address, or errno (ENOTCONN when unconnected). */
  getpeername(fd: number): NativeSockName | number;
  /** 0 or errno. */
  setsockoptInt(fd: number, level: number, name: number, value: number): number;
  /** `[errno, value]`; value is 0 on failure. */
  getsockoptInt(fd: number, level: number, name: number): [errno: number, value: number];
  /** SO_LINGER. 0 or errno. */
  setLinger(fd: number, on: boolean, seconds: number): number;
  /** SO_LINGER as `[errno, on, seconds]`. */
  getLinger(fd: number): [errno: number, on: boolean, seconds: number];
  /** Pending SO_ERROR value (reading clears it), or -errno if getsockopt failed. */
  getSocketError(fd: number): number;
  /** how: 0 = SHUT_RD, 1 = SHUT_WR, 2 = SHUT_RDWR. 0 or errno (EINVAL for bad how). */
  shutdown(fd: number, how: 0 | 1 | 2): number;
  /** 0 or errno. EINTR is reported as 0 on Linux, which has released the fd anyway. */
  close(fd: number): number;
  /** Non-blocking send(2) that raises no SIGPIPE: bytes sent, or -errno. */
  send(fd: number, data: Uint8Array, offset: number, length: number): number;
  /** poll(2) on several fds (events as for poll()) until one is ready or the timeout passes: how many are ready, or -errno. */
  pollMany(fds: Int32Array, events: Int32Array, timeoutMs: number): number;
  /** poll(2) on one fd; events/revents: 1 readable, 4 writable, 8 error, 16 hang-up, 32 invalid. -errno on failure. */
  poll(fd: number, events: number, timeoutMs: number): number;
  /**
   * A GC guard: once the returned handle has been garbage-collected, `fd` is closed and
   * `channel` (if > 0) is queued for `engine`'s worker. Stable Node-API runs finalizers only
   * on a later event-loop turn, so the helper also notices collections itself: the
   * descriptors of collected guards are closed at the next call that opens a descriptor
   * (socket, accept, dup, guard) after a collection, or at reclaim(), whichever comes first.
   */
  guard(fd: number, engine: number, channel: number): NativeGuard | null;
  /** The guarded object was closed explicitly: the guard will do nothing. */
  disarm(guard: NativeGuard): void;
  /**
   * Releases this thread's guards whose handles were collected, if a collection ran since
   * the helper last looked: how many. Cheap when none did, so a blocking call can make it
   * before it waits.
   */
  reclaim(): number;
  /** Channel ids of collected objects owned by `engine` (removed from the queue). */
  takeOrphans(engine: number): number[];
  /** Non-blocking accept (accept4(2) where there is one): the new descriptor, or -errno (-EAGAIN when none waits). */
  accept(fd: number): number;
  /** A close-on-exec duplicate (fcntl F_DUPFD_CLOEXEC): the new fd, or -errno. */
  dup(fd: number): number;
  /** 1 if the fd is a socket, 0 if not, -errno (e.g. -EBADF) on failure. */
  isSocket(fd: number): number;
  /**
   * `[errno, family, type]` from SO_DOMAIN (or the local address) and SO_TYPE; family is 4 or 6 for IP
   * sockets, otherwise the raw AF_* value. family/type are 0 on failure.
   */
  socketInfo(fd: number): [errno: number, family: number, type: number];
  /** strerror text, e.g. 9 -> "Bad file descriptor". */
  strerror(errno: number): string;
  /** gai_strerror text for an EAI_* code. */
  gaiStrerror(code: number): string;
  /**
   * getaddrinfo with SOCK_STREAM hints (family 0 = AF_UNSPEC), AI_PASSIVE when
   * passive; `flags` bit 1 asks for SOCK_DGRAM hints, bit 2 for AI_NUMERICHOST |
   * AI_NUMERICSERV. `[code, entries]`, code being the raw EAI_* value (0 = ok); with
   * EAI_SYSTEM a third element carries errno. Entries keep resolver order.
   */
  getaddrinfo(
    host: string | null,
    service: string | null,
    family: 0 | 4 | 6,
    passive: boolean,
    flags?: number,
  ): [code: number, list: NativeAddrInfo[], errno?: number];
  /**
   * getnameinfo with flags 0 (numeric fallback allowed). host/service are null
   * when not wanted or on failure; with EAI_SYSTEM a fourth element carries
   * errno. A literal that does not parse gives EAI_NONAME, a bad port
   * EAI_SERVICE, a bad family EAI_FAMILY.
   */
  getnameinfo(
    family: NativeFamily,
    address: string,
    port: number,
    wantHost: boolean,
    wantService: boolean,
  ): [code: number, host: string | null, service: string | null, errno?: number];
  /**
   * gethostbyname_r (IPv4; gethostbyname under a lock where there is no _r). `[h_errno, hostent | null]`; h_errno is 0 on
   * success, else HOST_NOT_FOUND / TRY_AGAIN / NO_RECOVERY / NO_DATA, or
   * NETDB_INTERNAL (-1) with errno as a third element.
   */
  gethostbyname(name: string): [herrno: number, hostent: NativeHostent | null, errno?: number];
  /**
   * gethostbyaddr_r on an IPv4 address parsed with inet_aton (short forms such
   * as "127.1" accepted); HOST_NOT_FOUND when it does not parse.
   */
  gethostbyaddr(ipv4: string): [herrno: number, hostent: NativeHostent | null, errno?: number];
  /** hstrerror text for an h_errno value. */
  hstrerror(herrno: number): string;
  /** `[errno, name]`; name is "" on failure. */
  gethostname(): [errno: number, name: string];
  /**
   * A non-blocking, close-on-exec socket of family 4, 6 or UNIX_TAG; SOCK_DGRAM when
   * `dgram`, else SOCK_STREAM. IPv6 sockets get IPV6_V6ONLY=1. The fd, or -errno.
   */
  socketOf(family: NativeFamily | typeof UNIX_TAG, dgram: boolean): number;
  /** Non-blocking sendto(2) of bytes [offset, offset + length) to a numeric address: bytes sent, or -errno. */
  sendto(fd: number, data: Uint8Array, offset: number, length: number, family: NativeFamily, address: string, port: number): number;
  /** Non-blocking recv(2) into [offset, offset + length): bytes (a longer datagram is cut, its rest discarded), or -errno. */
  recv(fd: number, buf: Uint8Array, offset: number, length: number): number;
  /**
   * recv(2) that waits (one poll(2)) up to `timeoutMs` while nothing is queued (0: no wait):
   * bytes, or -errno (-EAGAIN when the time passed).
   */
  recvWait(fd: number, buf: Uint8Array, offset: number, length: number, timeoutMs: number): number;
  /** recvfrom(2) waiting as recvWait: -errno, or the size and sender of one datagram (NativeSender). */
  recvfromWait(fd: number, buf: Uint8Array, offset: number, length: number, timeoutMs: number): NativeSender | number;
  /** connect(2) to AF_UNSPEC sized for `family` (LuaSocket's setpeername('*')): 0 or errno. */
  disconnect(fd: number, family: NativeFamily): number;
  /** bind(2) to a unix-domain path (bytes, without NUL): 0 or errno (ENAMETOOLONG when it does not fit). */
  bindUnix(fd: number, path: Uint8Array): number;
  /** Non-blocking connect(2) to a unix-domain path: 0, EINPROGRESS / EAGAIN, or the kernel's errno. */
  connectUnix(fd: number, path: Uint8Array): number;
  /** Non-blocking sendto(2) to a unix-domain path: bytes sent, or -errno. */
  sendtoUnix(fd: number, data: Uint8Array, offset: number, length: number, path: Uint8Array): number;
  /** The socket's own (or peer's) unix-domain path up to its first NUL, one char per byte; or errno. */
  unixName(fd: number, peer: boolean): string | number;
  /** setsockopt(2) with a structured value laid out by the caller: 0 or errno. */
  setsockoptBytes(fd: number, level: number, name: number, value: Uint8Array): number;
  /** getsockopt(2) of at most `size` (≤ 64) bytes: `[errno, bytes]`. */
  getsockoptBytes(fd: number, level: number, name: number, size: number): [errno: number, value: Buffer];
  readonly constants: NativeConstants;
}

const FUNCTIONS: readonly (keyof NativeSockets)[] = [
  'socket',
  'bind',
  'connect',
  'listen',
  'getsockname',
  'getpeername',
  'setsockoptInt',
  'getsockoptInt',
  'setLinger',
  'getLinger',
  'getSocketError',
  'shutdown',
  'close',
  'dup',
  'send',
  'accept',
  'guard',
  'disarm',
  'reclaim',
  'takeOrphans',
  'poll',
  'pollMany',
  'isSocket',
  'socketInfo',
  'strerror',
  'gaiStrerror',
  'getaddrinfo',
  'getnameinfo',
  'gethostbyname',
  'gethostbyaddr',
  'hstrerror',
  'gethostname',
  'socketOf',
  'sendto',
  'recv',
  'recvWait',
  'recvfromWait',
  'disconnect',
  'bindUnix',
  'connectUnix',
  'sendtoUnix',
  'unixName',
  'setsockoptBytes',
  'getsockoptBytes',
];

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n', 1)[0] ?? text;
}

/** Rejects a stale or foreign binary that lacks part of the expected surface. */
function missingExports(mod: unknown): string[] {
  if (typeof mod !== 'object' || mod === null) return ['(module is not an object)'];
  const record = mod as Record<string, unknown>;
  const missing = FUNCTIONS.filter((name) => typeof record[name] !== 'function');
  if (typeof record.constants !== 'object' || record.constants === null) missing.push('constants');
  return missing;
}

/**
 * glibc or musl: a helper built for one must never be loaded on the other. The executable's
 * ELF interpreter says which C library it runs on, for the price of one small read, where
 * building a diagnostic report (the fallback) costs several milliseconds of start-up.
 */
function linuxLibc(): 'glibc' | 'musl' | null {
  try {
    // The ELF interpreter named in the executable's first page: ld-linux (glibc) or ld-musl.
    const head = Buffer.alloc(4096);
    const fd = openSync(process.execPath, 'r');
    try {
      readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
    const text = head.toString('latin1');
    if (text.includes('/ld-musl-')) return 'musl';
    if (text.includes('/ld-linux')) return 'glibc';
  } catch {
    // Unreadable executable: ask the report.
  }
  try {
    const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } };
    return report.header?.glibcVersionRuntime ? 'glibc' : 'musl';
  } catch {
    return null;
  }
}

/**
 * Where to look, relative to the package root: the prebuilt helper for this platform
 * (the names scripts/build-native.mjs gives them), then a node-gyp build.
 */
function candidates(): { paths: string[]; target: string } {
  const dir = `prebuilds/${process.platform}-${process.arch}`;
  const paths: string[] = [];
  let target = `${process.platform}-${process.arch}`;
  if (process.platform === 'linux') {
    const libc = linuxLibc();
    target += ` ${libc ?? 'unknown libc'}`;
    if (libc) paths.push(`${dir}/luasocket.${libc}.node`);
  } else {
    paths.push(`${dir}/luasocket.node`);
  }
  paths.push('build/Release/luasocket_native.node');
  return { paths, target };
}

/** One registry per thread, shared by every copy of this module (the bundle and the per-file build). */
const ADDONS = Symbol.for('luasocket.native-addons');

/** The package root: this file runs as dist/src/native.js (or from src/ under a TS runner). */
const ROOTS = ['../../', '../'];

function load(): { native: NativeSockets | null; error: string | null } {
  const { paths, target } = candidates();
  const failures: string[] = [];
  for (const rel of paths) {
    const tried = ROOTS.map((root) => fileURLToPath(new URL(rel, new URL(root, import.meta.url))));
    const path = tried.find((p) => existsSync(p));
    if (!path) {
      failures.push(`${rel} not found`);
      continue;
    }
    let mod: unknown;
    try {
      mod = loadAddon(path);
    } catch (err) {
      failures.push(`${rel}: ${firstLine(err)}`);
      continue;
    }
    const missing = missingExports(mod);
    if (missing.length === 0) return { native: mod as NativeSockets, error: null };
    failures.push(`${rel}: stale build, missing ${missing.join(', ')}`);
  }
  return {
    native: null,
    error: `no native helper for ${target} (${failures.join('; ')}); \`npm run build:native\` builds one with a C compiler`,
  };
}

/**
 * Loads a Node-API helper. process.dlopen does what require() of a .node file does, without
 * the CommonJS loader (a millisecond of start-up); a path loaded before on this thread gets
 * the same exports, as require's cache would give.
 */
function loadAddon(path: string): unknown {
  const thread = globalThis as { [ADDONS]?: Map<string, unknown> };
  thread[ADDONS] ??= new Map();
  const loaded = thread[ADDONS];
  if (!loaded.has(path)) {
    const mod = { exports: {} as unknown };
    process.dlopen(mod, path);
    loaded.set(path, mod.exports);
  }
  return loaded.get(path);
}

const loaded = load();

/** The addon, or null when it could not be loaded (see nativeLoadError). */
export const native: NativeSockets | null = loaded.native;

/** One-line reason the addon failed to load, or null when it loaded. */
export const nativeLoadError: string | null = loaded.error;

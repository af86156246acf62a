/**
 * The `socket` namespace: LuaSocket's TCP API for synchronous JavaScript.
 *
 *   import * as socket from 'luasocket';
 *   const [c, err] = socket.connect('127.0.0.1', 8080);
 *   const [line] = c.receive('*l');
 *
 * Every function returns an array of LuaSocket's return values (nil = null); argument
 * errors are thrown as LuaError with LuaSocket's message; network errors are returned.
 */

import { ABSENT, arg, checkNumber, checkOption, checkString, optString } from './args.js';
import * as dnsModule from './dns.js';
import { engine as theEngine } from './engine/index.js';
import type { Family } from './engine/types.js';
import { newtry, protect, skip, TryError, try_ } from './except.js';
import { select } from './select.js';
import { TcpSocket } from './tcp.js';
import { gettime as now } from './timeout.js';
import { UdpSocket } from './udp.js';
import { unix } from './unix.js';

export { LuaError } from './args.js';
export type { Encoding } from './buffer.js';
export { WorkerDeadError } from './engine/worker-link.js';
export { newtry, protect, skip, TryError, try_ as try } from './except.js';
export * from './http/index.js';
export type { Data, Fail, Ok } from './object.js';
export { type Selectable, type SelectResult, select } from './select.js';
export { Certificate, type HandshakeResult, SslContext, type SslInfo, type SslParams, SslSocket, ssl } from './ssl/index.js';
export type { Pattern, ReceiveResult, SendResult, StatsResult } from './stream-object.js';
export type { Kind, NameResult, OptionArgument } from './tcp.js';
export { TcpSocket } from './tcp.js';
export type { ReceiveFromResult, UdpKind, UdpNameResult, UdpOptionArgument } from './udp.js';
export { UdpSocket } from './udp.js';
export type { DgramGetResult, DgramSetResult } from './udp-options.js';
export type { UnixDgramCreated, UnixModule, UnixStreamCreated } from './unix.js';
export { unix } from './unix.js';
export type { UnixDgramKind, UnixReceiveFromResult } from './unix-dgram.js';
export { UnixDgram } from './unix-dgram.js';
export type { UnixOptionArgument, UnixStreamKind } from './unix-stream.js';
export { UnixStream } from './unix-stream.js';

import { http, ltn12, url } from './http/index.js';
import { ssl } from './ssl/index.js';

/** The engine in use: 'native' (system calls through the native helper) or 'portable' (node:net in the I/O worker). */
export const engine: 'native' | 'portable' = theEngine.name;

/** The version this package reproduces (the 3.1.0 build itself misreports "LuaSocket 3.0.0"). */
export const _VERSION = 'LuaSocket 3.1.0';
/** select() has no descriptor limit here; kept for scripts that read it. */
export const _SETSIZE = 1024;
export const _SOCKETINVALID = -1;
export const _DATAGRAMSIZE = 8192;
export const BLOCKSIZE = 2048;

export const dns = {
  toip: dnsModule.toip,
  tohostname: dnsModule.tohostname,
  gethostname: dnsModule.gethostname,
  getaddrinfo: dnsModule.getaddrinfo,
  getnameinfo: dnsModule.getnameinfo,
};

export type Created = [TcpSocket] | [null, string];

function create(family: Family): Created {
  const sock = new TcpSocket(theEngine, 'master', family, null);
  const err = sock.renew(family);
  return err === null ? [sock] : [null, err];
}

/** A master object with no OS socket yet: its family is chosen by bind or connect. */
export function tcp(): Created {
  return [new TcpSocket(theEngine, 'master', 0, null)];
}

/** A master with an IPv4 socket. */
export function tcp4(): Created {
  return create(4);
}

/** A master with an IPv6 socket (IPV6_V6ONLY on, as LuaSocket does). */
export function tcp6(): Created {
  return create(6);
}

export type UdpCreated = [UdpSocket] | [null, string];

/** An unconnected UDP object with no OS socket yet: the first setsockname, setpeername or sendto picks the family. */
export function udp(..._ignored: unknown[]): UdpCreated {
  return [new UdpSocket(theEngine, 0, null)];
}

/** An unconnected UDP object with an IPv4 socket. */
export function udp4(): UdpCreated {
  return UdpSocket.open(theEngine, 4);
}

/** An unconnected UDP object with an IPv6 socket (IPV6_V6ONLY on, as LuaSocket does). */
export function udp6(): UdpCreated {
  return UdpSocket.open(theEngine, 6);
}

export type ConnectResult = [TcpSocket] | [null, string];

/** socket.connect(address, port [, locaddr [, locport [, family]]]) */
export function connect(
  address: string,
  port: string | number,
  locaddr?: string | null,
  locport?: string | number | null,
  family?: 'unspec' | 'inet' | 'inet6' | null,
): ConnectResult;
export function connect(...args: unknown[]): ConnectResult {
  const address = checkString(arg(args, 0), 1, 'connect');
  const port = checkString(arg(args, 1), 2, 'connect');
  const l = arg(args, 2);
  const locaddr = l === ABSENT || l === null || l === undefined ? null : checkString(l, 3, 'connect');
  const locport = optString(arg(args, 3), 4, 'connect', '0');
  const fam = checkOption(arg(args, 4), 5, 'connect', ['unspec', 'inet', 'inet6'] as const, 'unspec');
  const hint = fam === 'inet' ? 4 : fam === 'inet6' ? 6 : 0;
  const sock = new TcpSocket(theEngine, 'master', 0, null);
  if (locaddr !== null) {
    const err = sock.trybind(locaddr, locport, hint);
    if (err !== null) {
      sock.close();
      return [null, err];
    }
  }
  const r = sock.tryconnect(address, port);
  if (r[0] === null) {
    sock.close();
    return [null, r[1]];
  }
  return [sock];
}

export function connect4(address: string, port: string | number, locaddr?: string | null, locport?: string | number | null): ConnectResult {
  return connect(address, port, locaddr ?? null, locport ?? null, 'inet');
}

export function connect6(address: string, port: string | number, locaddr?: string | null, locport?: string | number | null): ConnectResult {
  return connect(address, port, locaddr ?? null, locport ?? null, 'inet6');
}

/** socket.bind(address, port [, backlog]): LuaSocket's Lua helper, step by step. */
export function bind(address: string, port: string | number, backlog?: number | null): ConnectResult;
export function bind(...args: unknown[]): ConnectResult {
  // LuaSocket's helper passes its arguments on as values: a missing one reads as nil.
  let host = arg(args, 0);
  if (host === ABSENT) host = null;
  if (host === '*') host = '0.0.0.0';
  const [list, gerr] = dns.getaddrinfo(host as string);
  if (list === null) return [null, gerr];
  let err = 'no info on address';
  for (const alt of list) {
    const [sock, e] = alt.family === 'inet' ? tcp4() : tcp6();
    if (sock === null) return [null, e];
    sock.setoption('reuseaddr', true);
    const port = arg(args, 1);
    const b = (sock.bind as (...a: unknown[]) => [1] | [null, string])(alt.addr, port === ABSENT ? null : port);
    if (b[0] === null) {
      err = b[1];
      sock.close();
      continue;
    }
    const bl = arg(args, 2);
    const l = bl === ABSENT ? sock.listen() : sock.listen(bl as number | null);
    if (l[0] === null) {
      err = l[1];
      sock.close();
      continue;
    }
    return [sock];
  }
  return [null, err];
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** socket.sleep(seconds): blocks the thread; returns no values. */
export function sleep(seconds: number): [];
export function sleep(...args: unknown[]): [] {
  const s = checkNumber(arg(args, 0), 1, 'sleep');
  // Sockets the collector freed are closed now, not on an event-loop turn a sleeper never takes.
  theEngine.collectGarbage();
  if (!(s > 0)) return [];
  const end = performance.now() + Math.min(s, 2147483647) * 1000;
  for (let left = end - performance.now(); left > 0; left = end - performance.now()) Atomics.wait(sleeper, 0, 0, left);
  return [];
}

/** socket.gettime(): wall-clock seconds since the epoch, sub-millisecond resolution. */
export function gettime(): [number] {
  return [now()];
}

const socket = {
  _VERSION,
  _SETSIZE,
  _SOCKETINVALID,
  _DATAGRAMSIZE,
  BLOCKSIZE,
  tcp,
  tcp4,
  tcp6,
  udp,
  udp4,
  udp6,
  unix,
  connect,
  connect4,
  connect6,
  bind,
  select,
  sleep,
  gettime,
  engine,
  skip,
  try: try_,
  newtry,
  protect,
  TryError,
  dns,
  ssl,
  http,
  url,
  ltn12,
};
export default socket;

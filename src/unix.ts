/**
 * socket.unix (LuaSocket's `require "socket.unix"`): a function that makes a stream
 * master (arguments ignored), with `stream` and `dgram` beside it and LuaSocket's aliases
 * `tcp` (= stream) and `udp` (= dgram).
 */
import { engine } from './engine/index.js';
import { UnixDgram } from './unix-dgram.js';
import { UnixStream } from './unix-stream.js';

export type UnixStreamCreated = [UnixStream] | [null, string];
export type UnixDgramCreated = [UnixDgram] | [null, string];

/** A unix-domain stream master (socket.unix.stream). */
function stream(..._ignored: unknown[]): UnixStreamCreated {
  return UnixStream.open(engine);
}

/** A unix-domain datagram object, unconnected (socket.unix.dgram). */
function dgram(..._ignored: unknown[]): UnixDgramCreated {
  return UnixDgram.open(engine);
}

export interface UnixModule {
  (...ignored: unknown[]): UnixStreamCreated;
  stream: (...ignored: unknown[]) => UnixStreamCreated;
  dgram: (...ignored: unknown[]) => UnixDgramCreated;
  /** LuaSocket's alias of stream. */
  tcp: (...ignored: unknown[]) => UnixStreamCreated;
  /** LuaSocket's alias of dgram. */
  udp: (...ignored: unknown[]) => UnixDgramCreated;
}

export const unix: UnixModule = Object.assign((...ignored: unknown[]) => stream(...ignored), {
  stream,
  dgram,
  tcp: stream,
  udp: dgram,
});

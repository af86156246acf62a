/**
 * Shared helpers of the client and server test files: a scripted peer torn down with the
 * test, a connected client, and checks for LuaSocket's raised errors.
 */
import type { ExecutionContext } from 'ava';
import * as socket from '../../src/index.js';
import { Peer } from './peer.js';

type Sock = socket.TcpSocket;
export type AnyFn = (...a: unknown[]) => unknown;

export function loose(obj: object, name: string): AnyFn {
  const f = (obj as Record<string, AnyFn>)[name] as AnyFn;
  return (...a: unknown[]) => f.apply(obj, a);
}

export function throwsLua(t: ExecutionContext, fn: () => unknown, message: string): void {
  t.throws(fn, { instanceOf: socket.LuaError, message });
}

export function listening(t: ExecutionContext, host = '127.0.0.1'): Peer {
  const peer = Peer.listen(host);
  t.teardown(() => peer.stop());
  return peer;
}

export function dial(t: ExecutionContext, peer: Peer, host = '127.0.0.1'): Sock {
  peer.accept();
  const [c, err] = socket.connect(host, peer.port);
  if (!c) throw new Error(`connect failed: ${err}`);
  t.teardown(() => c.close());
  return c;
}

export function pair(t: ExecutionContext, host = '127.0.0.1'): { peer: Peer; c: Sock } {
  const peer = listening(t, host);
  return { peer, c: dial(t, peer, host) };
}

/** Unwraps a constructor/connect/bind result and closes the object when the test ends. */
export function own(t: ExecutionContext, r: [Sock] | [null, string]): Sock {
  const s = r[0];
  if (s === null) {
    t.fail(`expected an object, got [null, ${JSON.stringify(r[1])}]`);
    throw new Error(String(r[1]));
  }
  t.teardown(() => {
    s.close();
  });
  return s;
}

/** The port of `s`'s local address (fails the test when there is none). */
export function portOf(t: ExecutionContext, s: Sock): number {
  const name = s.getsockname();
  if (name[0] === null) {
    t.fail(`getsockname failed: ${name[1]}`);
    return 0;
  }
  return name[1];
}

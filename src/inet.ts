/**
 * LuaSocket's inet.c: binding and connecting by address and port over the resolver's
 * candidates (inet_trybind, inet_tryconnect), and the family words it prints. Shared by
 * every IP object kind; the engine resolves names and does the system calls.
 */
import type { Engine, Family, InetAddress } from './engine/types.js';
import type { Timeout } from './timeout.js';

export type FamilyName = 'inet' | 'inet6';

/** The family LuaSocket prints in getsockname/getpeername/getaddrinfo. */
export function familyName(f: Family): FamilyName {
  return f === 6 ? 'inet6' : 'inet';
}

/** An IP object as the candidate loops see it. */
export interface InetEndpoint {
  /** The recorded family (0 until a bind or connect chose one). */
  family: 0 | Family;
  /** The resolver's socket type (LuaSocket's hints): stream unless said otherwise (UDP: 'dgram'). */
  readonly socktype?: 'stream' | 'dgram';
  /** Does the object have an OS socket now? */
  hasSocket(): boolean;
  /** Replaces the OS socket with a fresh one of `family`: null, or LuaSocket's text. */
  renew(family: Family): string | null;
  bindTo(address: InetAddress): string | null;
}

/** LuaSocket's inet_trybind; `hint` is the resolver family. null on success, else the text. */
export function tryBind(engine: Engine, obj: InetEndpoint, address: string, port: string, hint: 0 | Family): string | null {
  const r = engine.resolve(address === '*' ? null : address, port, hint, true, undefined, obj.socktype);
  if (!r.ok) return r.err;
  let err: string | null = 'no info on address';
  let current = obj.family;
  for (const c of r.list) {
    if (current !== c.family || !obj.hasSocket()) {
      err = obj.renew(c.family);
      if (err) continue;
      current = c.family;
    }
    err = obj.bindTo(c);
    if (err === null) {
      obj.family = current;
      break;
    }
  }
  return err;
}

/**
 * LuaSocket's inet_tryconnect: each candidate in resolver order gets a fresh operation
 * clock and, when the family differs or there is no socket, a fresh socket. It stops at
 * success, or after the first candidate when not blocking (upstream #99).
 */
export function tryConnect(
  engine: Engine,
  obj: InetEndpoint,
  address: string,
  port: string,
  tm: Timeout,
  attempt: (c: InetAddress) => string | null,
): string | null {
  tm.markStart();
  const r = engine.resolve(address, port, obj.family, false, tm.waitDeadline(), obj.socktype);
  if (!r.ok) return r.err;
  let err = 'no info on address';
  let current = obj.family;
  for (const c of r.list) {
    tm.markStart();
    if (current !== c.family || !obj.hasSocket()) {
      const e = obj.renew(c.family);
      if (e) {
        err = e;
        continue;
      }
      current = c.family;
    }
    const res = attempt(c);
    if (res === null || tm.immediate) {
      obj.family = current;
      return res;
    }
    err = res;
  }
  return err;
}

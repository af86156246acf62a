/**
 * Helpers of the UDP and unix-domain test files: objects closed with the test, a temp
 * directory for socket files removed at the end, and the port of a bound UDP object.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import * as socket from '../../src/index.js';

/** The portable engine answers some calls differently (README: the two engines). */
export const portable = socket.engine === 'portable';

/** Unwraps a constructor result and closes the object when the test ends. */
export function keep<T extends { close(): unknown }>(t: ExecutionContext, r: [T] | [null, string]): T {
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

/** A fresh udp4 object (latin1 strings, so every byte value round-trips). */
export function udp4(t: ExecutionContext): socket.UdpSocket {
  return keep(t, socket.udp4()).setencoding('latin1');
}

/** A udp4 object bound to 127.0.0.1 and an ephemeral port, with `timeout` seconds. */
export function bound(t: ExecutionContext, timeout = 5, host = '127.0.0.1'): { u: socket.UdpSocket; port: number } {
  const u = host.includes(':') ? keep(t, socket.udp6()).setencoding('latin1') : udp4(t);
  t.deepEqual(u.setsockname(host, 0), [1]);
  u.settimeout(timeout);
  return { u, port: portOf(t, u) };
}

/** The port of a bound UDP object. */
export function portOf(t: ExecutionContext, u: socket.UdpSocket): number {
  const n = u.getsockname();
  if (n[0] === null) {
    t.fail(`getsockname failed: ${n[1]}`);
    return 0;
  }
  return n[1];
}

/** A port that was bound and is closed now: datagrams to it draw ICMP port unreachable. */
export function deadPort(t: ExecutionContext): number {
  const [u] = socket.udp4();
  if (!u) throw new Error('udp4 failed');
  u.setsockname('127.0.0.1', 0);
  const p = portOf(t, u);
  u.close();
  return p;
}

/** A temp directory for socket files, removed when the test ends. */
export function sockDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'luasocket-unix-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true, maxRetries: 5 }));
  return dir;
}

/**
 * The socket a TLS session runs on (both engines). The session must see every byte the
 * peer sent that the script has not read: a channel that was reading the connection may
 * already hold some (a server's ClientHello, typically). Without such bytes node:tls
 * takes the socket itself; with them it runs over a Duplex that yields them first and then
 * the connection's later bytes.
 */
import net from 'node:net';
import { Duplex } from 'node:stream';
import type { TlsSource } from '../src/protocol.js';
import { Connection } from './connection.js';
import { StreamChannel } from './stream-channel.js';

export interface TlsBase {
  socket: net.Socket | Duplex;
  /** The OS descriptor, for getfd. */
  fd: number;
}

/** A Duplex over `socket` whose readable side starts with `prefix`, then what `subscribe` feeds it. */
function prefixed(prefix: Buffer, socket: net.Socket, subscribe: (push: (b: Buffer | null) => void) => void): Duplex {
  const d = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      socket.write(chunk, cb);
    },
    final(cb) {
      socket.end();
      cb();
    },
    destroy(err, cb) {
      socket.destroy();
      cb(err);
    },
  });
  d.push(prefix);
  subscribe((b) => d.push(b));
  socket.on('error', (e) => d.destroy(e));
  return d;
}

function fdOf(s: net.Socket): number {
  const fd = (s as unknown as { _handle?: { fd?: number } | null })._handle?.fd;
  return typeof fd === 'number' ? fd : -1;
}

/**
 * Resolves `source`: the channel `old` (already removed from the worker's table) gives up
 * its socket (portable) or its read-ahead (native, whose session gets a fresh descriptor).
 */
export function tlsBase(source: TlsSource, old: Connection | StreamChannel | undefined): TlsBase {
  if (source.fd !== null) {
    // Native: the old channel read through another descriptor; stop it, keep what it read.
    let prefix: Buffer = Buffer.alloc(0);
    if (old instanceof Connection) {
      prefix = old.takeUnread(source.from);
      old.close();
    }
    const socket = new net.Socket({ fd: source.fd, allowHalfOpen: true, readable: true, writable: true });
    if (prefix.length === 0) return { socket, fd: source.fd };
    const sub = (push: (b: Buffer | null) => void) => {
      socket.on('data', push);
      socket.on('end', () => push(null));
    };
    return { socket: prefixed(prefix, socket, sub), fd: source.fd };
  }
  if (!(old instanceof StreamChannel)) return { socket: new net.Socket(), fd: -1 };
  // Portable: the session takes over the worker's own socket.
  const prefix = old.connection.takeUnread(source.from);
  const socket = old.release();
  if (prefix.length === 0) return { socket, fd: fdOf(socket) };
  return { socket: prefixed(prefix, socket, (push) => old.connection.divert(push)), fd: fdOf(socket) };
}

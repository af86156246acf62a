/**
 * The read side of a UDP socket the caller owns (native engine): node:dgram takes over a
 * dup of the descriptor (`bind({ fd })`) and the worker appends every datagram to the
 * channel's ring, as it fills a connection's ring; the caller binds, connects and sends
 * on its own descriptor of the same socket.
 */
import dgram from 'node:dgram';
import { native } from '../src/native.js';
import type { Command } from '../src/protocol.js';
import { DatagramWriter } from './dgram-writer.js';

export class DatagramReader {
  private readonly writer: DatagramWriter;
  private readonly socket: dgram.Socket;

  constructor(cmd: Extract<Command, { op: 'dgram-adopt' }>, wake: () => void) {
    this.writer = new DatagramWriter(cmd.sab, wake);
    // libuv turns SO_REUSEADDR on when it opens a descriptor: the socket is the script's,
    // so its setting is put back as it was.
    const c = native?.constants;
    const reuse = c ? native?.getsockoptInt(cmd.fd, c.SOL_SOCKET, c.SO_REUSEADDR) : null;
    this.socket = dgram.createSocket(cmd.family === 6 ? 'udp6' : 'udp4');
    this.socket.on('message', (msg, rinfo) => this.writer.push(msg, rinfo));
    this.socket.on('error', (err: NodeJS.ErrnoException) => this.writer.failed(err));
    this.socket.bind({ fd: cmd.fd });
    if (c && reuse && reuse[0] === 0) native?.setsockoptInt(cmd.fd, c.SOL_SOCKET, c.SO_REUSEADDR, reuse[1]);
  }

  close(): void {
    this.writer.closed = true;
    try {
      this.socket.close();
    } catch {
      // Closed already.
    }
  }
}

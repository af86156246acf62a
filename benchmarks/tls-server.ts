/**
 * The TLS bulk server of W10, a process of its own (started by tls-peer.ts): node:tls with
 * a self-signed certificate, TLS 1.3 with one cipher suite (AES-256-GCM, every client's
 * first choice), so that every client decrypts the same way. Per connection it reads one
 * request line, "BULK <bytes>", writes that many bytes (byte i = 'A' + i % 61), then ends.
 * Commands on stdin as the C peer's: "stats" prints the counters as one JSON line,
 * "quit" or the end of input ends the program.
 *
 *   node dist/benchmarks/tls-server.js <key.pem> <cert.pem>
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import tls from 'node:tls';
import { HOST, tlsStreamByte } from './job.js';

/** The suite the server allows; a session that negotiated anything else is not counted as pinned. */
const TLS_SUITE = 'TLS_AES_256_GCM_SHA384';

/** The server's counters (tls-peer.ts subtracts a snapshot taken before a run). */
export interface TlsStats {
  /** Handshakes completed. */
  conns: number;
  /** Of those: TLS 1.3 with TLS_SUITE. */
  pinned: number;
  /** Well-formed BULK requests. */
  requests: number;
  /** Bytes handed to the TLS socket, and requests whose bytes were all handed over. */
  bytesSent: number;
  finished: number;
  /** Bad requests, and connections that failed before their bytes were all handed over. */
  bad: number;
}

/** A whole number of pattern periods (61), so that back-to-back writes continue the pattern. */
const PATTERN = Buffer.from(Array.from({ length: 61 * 4096 }, (_, i) => tlsStreamByte(i)));
const MAX_REQUEST = 64;

const stats: TlsStats = { conns: 0, pinned: 0, requests: 0, bytesSent: 0, finished: 0, bad: 0 };

function drainedOrClosed(sock: tls.TLSSocket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      sock.off('drain', done).off('close', done);
      resolve();
    };
    sock.on('drain', done).on('close', done);
  });
}

/** One connection: its request, then its bytes. */
class Transfer {
  /** Bytes of the request still to hand to the socket; -1 until the request is read. */
  private unsent = -1;
  private head = '';
  private failed = false;

  constructor(private readonly sock: tls.TLSSocket) {
    stats.conns++;
    if (sock.getProtocol() === 'TLSv1.3' && sock.getCipher()?.standardName === TLS_SUITE) stats.pinned++;
    sock.setNoDelay(true);
    // A client that has all its bytes may close with the server's close_notify unread (a
    // reset): only an error while bytes were still owed is a failure.
    sock.on('error', () => this.fail(this.unsent !== 0));
    sock.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  private fail(counts: boolean): void {
    if (counts && !this.failed) stats.bad++;
    this.failed = true;
    this.sock.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.unsent >= 0) return;
    this.head += chunk.toString('latin1');
    const lf = this.head.indexOf('\n');
    if (lf < 0) {
      if (this.head.length > MAX_REQUEST) this.fail(true);
      return;
    }
    const m = /^BULK (\d+)\r?$/.exec(this.head.slice(0, lf));
    if (!m) {
      this.fail(true);
      return;
    }
    stats.requests++;
    this.unsent = Number(m[1]);
    void this.stream();
  }

  private async stream(): Promise<void> {
    const sock = this.sock;
    while (this.unsent > 0 && !sock.destroyed) {
      const piece = this.unsent >= PATTERN.length ? PATTERN : PATTERN.subarray(0, this.unsent);
      this.unsent -= piece.length;
      stats.bytesSent += piece.length;
      if (!sock.write(piece)) await drainedOrClosed(sock);
    }
    if (this.unsent > 0) {
      this.fail(true);
      return;
    }
    stats.finished++;
    sock.end();
  }
}

function main(): void {
  const [keyFile, certFile] = process.argv.slice(2);
  if (!keyFile || !certFile) throw new Error('usage: tls-server.js <key.pem> <cert.pem>');
  const server = tls.createServer(
    { key: readFileSync(keyFile), cert: readFileSync(certFile), minVersion: 'TLSv1.3', ciphers: TLS_SUITE },
    (sock) => new Transfer(sock),
  );
  server.on('tlsClientError', () => {
    stats.bad++;
  });
  server.listen({ host: HOST, port: 0 }, () => {
    process.stdout.write(`port ${(server.address() as AddressInfo).port}\n`);
  });
  const commands = createInterface({ input: process.stdin });
  commands.on('line', (line) => {
    if (line === 'stats') process.stdout.write(`${JSON.stringify(stats)}\n`);
    else if (line === 'quit') process.exit(0);
  });
  commands.on('close', () => process.exit(0));
}

main();

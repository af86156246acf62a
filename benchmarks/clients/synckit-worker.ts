/**
 * The worker of the naive one-round-trip-per-call design: it owns node:net sockets and
 * their input buffers, and answers one synckit call per socket operation. Every receive,
 * send, connect, accept and close is a full round trip from the calling thread.
 */
import net from 'node:net';
import { runAsWorker } from 'synckit';
import { CLIENT_TIMEOUT_S } from '../job.js';

export type Pattern = '*l' | '*a' | number;
/** A receive answer, LuaSocket-shaped: data, or null with the error and the partial data. */
export type Received = [string | Uint8Array] | [null, string, string | Uint8Array];

export type Call =
  | [op: 'connect', host: string, port: number, timeoutS: number]
  | [op: 'send', id: number, data: Uint8Array]
  | [op: 'receive', id: number, pattern: Pattern]
  | [op: 'close', id: number]
  | [op: 'bind', host: string]
  | [op: 'accept', id: number];

const LF = 10;

/** Bytes buffered in the worker before it stops reading from the socket. */
const HIGH_WATER = 4 << 20;

/** One connected socket and what it received that no call has taken yet. */
class Conn {
  /** Received chunks not yet taken, oldest first; `size` bytes in all. */
  private chunks: Buffer[] = [];
  private size = 0;
  private ended = false;
  private error: string | null = null;
  private wakeup: (() => void) | null = null;

  constructor(
    readonly socket: net.Socket,
    timeoutS: number,
  ) {
    socket.setNoDelay(true);
    socket.setTimeout(timeoutS * 1000, () => {
      this.error = 'timeout';
      this.notify();
    });
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.size += chunk.length;
      if (this.size >= HIGH_WATER) socket.pause();
      this.notify();
    });
    socket.on('end', () => {
      this.ended = true;
      this.notify();
    });
    socket.on('error', (e) => {
      this.error = e.message;
      this.notify();
    });
  }

  private notify(): void {
    const w = this.wakeup;
    this.wakeup = null;
    w?.();
  }

  /** Waits for more data, EOF or an error (and lets the socket read again). */
  private more(): Promise<void> {
    if (this.socket.isPaused()) this.socket.resume();
    return new Promise((resolve) => {
      this.wakeup = resolve;
    });
  }

  /** Index of the first LF in the buffered bytes, or -1. */
  private findLF(): number {
    let base = 0;
    for (const c of this.chunks) {
      const i = c.indexOf(LF);
      if (i >= 0) return base + i;
      base += c.length;
    }
    return -1;
  }

  /** Removes and returns the first `n` buffered bytes (n <= size). */
  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (first && first.length >= n) {
      this.chunks[0] = first.subarray(n);
      if (first.length === n) this.chunks.shift();
      this.size -= n;
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n) {
      const c = this.chunks[0] as Buffer;
      const k = Math.min(c.length, n - got);
      c.copy(out, got, 0, k);
      got += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.size -= n;
    return out;
  }

  async receive(pattern: Pattern): Promise<Received> {
    for (;;) {
      if (pattern === '*l') {
        const lf = this.findLF();
        if (lf >= 0) {
          const line = this.take(lf + 1);
          const end = lf > 0 && line[lf - 1] === 13 ? lf - 1 : lf;
          return [line.toString('utf8', 0, end)];
        }
      } else if (typeof pattern === 'number' && this.size >= pattern) {
        return [new Uint8Array(this.take(pattern))];
      }
      if (this.ended || this.error) {
        const rest = this.take(this.size);
        const err = this.error ?? 'closed';
        if (pattern === '*a' && err === 'closed') return [new Uint8Array(rest)];
        return [null, err, pattern === '*l' ? rest.toString('utf8') : new Uint8Array(rest)];
      }
      await this.more();
    }
  }

  send(data: Uint8Array): Promise<number> {
    return new Promise((resolve, reject) => this.socket.write(data, (e) => (e ? reject(e) : resolve(data.length))));
  }
}

const conns = new Map<number, Conn>();
const servers = new Map<number, { server: net.Server; queue: net.Socket[]; wakeup: (() => void) | null }>();
let nextId = 1;

async function call(...c: Call): Promise<unknown> {
  switch (c[0]) {
    case 'connect': {
      const [, host, port, timeoutS] = c;
      const socket = await new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect({ host, port });
        s.once('error', reject);
        s.once('connect', () => {
          s.off('error', reject);
          resolve(s);
        });
      });
      const id = nextId++;
      conns.set(id, new Conn(socket, timeoutS));
      return id;
    }
    case 'send':
      return conns.get(c[1])?.send(c[2]) ?? Promise.reject(new Error('closed'));
    case 'receive':
      return conns.get(c[1])?.receive(c[2]) ?? [null, 'closed', ''];
    case 'close': {
      conns.get(c[1])?.socket.destroy();
      conns.delete(c[1]);
      const s = servers.get(c[1]);
      s?.server.close();
      for (const q of s?.queue ?? []) q.destroy();
      servers.delete(c[1]);
      return 1;
    }
    case 'bind': {
      const id = nextId++;
      const entry = { server: net.createServer(), queue: [] as net.Socket[], wakeup: null as (() => void) | null };
      entry.server.on('connection', (s) => {
        entry.queue.push(s);
        const w = entry.wakeup;
        entry.wakeup = null;
        w?.();
      });
      await new Promise<void>((resolve) => entry.server.listen({ host: c[1], port: 0, backlog: 32 }, resolve));
      servers.set(id, entry);
      return [id, (entry.server.address() as net.AddressInfo).port];
    }
    case 'accept': {
      const entry = servers.get(c[1]);
      if (!entry) throw new Error('closed');
      while (entry.queue.length === 0) await new Promise<void>((resolve) => (entry.wakeup = resolve));
      const id = nextId++;
      conns.set(id, new Conn(entry.queue.shift() as net.Socket, CLIENT_TIMEOUT_S));
      return id;
    }
  }
}

runAsWorker(call);

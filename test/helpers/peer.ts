/**
 * A scripted loopback peer for tests. luasocket calls block the test's thread, so the
 * peer runs in its own worker thread: actions are queued there and run in order; each
 * action returns a Ticket whose result() blocks (bounded) until the peer reports it.
 *
 *   const peer = Peer.listen();                 // 127.0.0.1, ephemeral port
 *   peer.accept(); peer.send('hello\n');
 *   const [c] = socket.connect('127.0.0.1', peer.port);
 *   c.receive();                               // ['hello']
 *   peer.recv(4).result();                     // { data: 'ping', eof: false }
 *   peer.stop();
 *
 * Data crosses as latin1 strings (one char per byte).
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';

export type PeerAction = { id: number; conn?: number } & (
  | { do: 'accept' }
  | { do: 'connect'; port: number; host?: string }
  | { do: 'send'; data: string }
  | { do: 'dribble'; data: string; chunk: number; everyMs: number }
  | { do: 'recv'; n: number; timeoutMs?: number }
  | { do: 'recvAll'; timeoutMs?: number }
  | { do: 'shutdown' }
  | { do: 'close' }
  | { do: 'rst' }
  | { do: 'sleep'; ms: number }
  | { do: 'pause' }
  | { do: 'resume' }
  | { do: 'stop' }
);

export interface PeerResult {
  id: number;
  ok: boolean;
  port?: number;
  conn?: number;
  data?: string;
  eof?: boolean;
  error?: string;
}

export interface PeerInit {
  wake: SharedArrayBuffer;
  port: MessagePort;
  host: string;
  listen: boolean;
}

type Body = PeerAction extends infer A ? (A extends PeerAction ? Omit<A, 'id'> : never) : never;

export class Ticket {
  constructor(
    private readonly peer: Peer,
    readonly id: number,
  ) {}

  /** Blocks until the peer finished this action (throws after `timeoutMs`). */
  result(timeoutMs = 10000): PeerResult {
    return this.peer.waitFor(this.id, timeoutMs);
  }
}

export class Peer {
  readonly port: number;
  private readonly worker: Worker;
  private readonly inbox: MessagePort;
  private readonly wake = new Int32Array(new SharedArrayBuffer(4));
  private readonly results = new Map<number, PeerResult>();
  private nextId = 1;

  private constructor(host: string, listen: boolean) {
    const { port1, port2 } = new MessageChannel();
    this.inbox = port1;
    const init: PeerInit = { wake: this.wake.buffer as SharedArrayBuffer, port: port2, host, listen };
    this.worker = new Worker(new URL('./peer-thread.js', import.meta.url), { workerData: init, transferList: [port2] });
    this.worker.unref();
    this.inbox.unref();
    this.port = this.waitFor(0, 10000).port ?? 0;
  }

  /** A peer listening on `host` (default 127.0.0.1) at an ephemeral port. */
  static listen(host = '127.0.0.1'): Peer {
    return new Peer(host, true);
  }

  /** A peer with no listener (it can `connect` to the library's servers). */
  static client(host = '127.0.0.1'): Peer {
    return new Peer(host, false);
  }

  /** @internal */
  waitFor(id: number, timeoutMs: number): PeerResult {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const seen = Atomics.load(this.wake, 0);
      for (let m = receiveMessageOnPort(this.inbox); m; m = receiveMessageOnPort(this.inbox)) {
        const r = m.message as PeerResult;
        this.results.set(r.id, r);
      }
      const r = this.results.get(id);
      if (r) {
        this.results.delete(id);
        if (!r.ok && r.error && id !== 0) return r;
        return r;
      }
      const left = end - Date.now();
      if (left <= 0) throw new Error(`peer: no result for action ${id} within ${timeoutMs} ms`);
      Atomics.wait(this.wake, 0, seen, left);
    }
  }

  private act(a: Body): Ticket {
    const id = this.nextId++;
    this.worker.postMessage({ ...a, id });
    return new Ticket(this, id);
  }

  accept(): Ticket {
    return this.act({ do: 'accept' });
  }
  connect(port: number, host?: string): Ticket {
    return this.act(host === undefined ? { do: 'connect', port } : { do: 'connect', port, host });
  }
  send(data: string | Uint8Array, conn?: number): Ticket {
    const s = typeof data === 'string' ? data : Buffer.from(data).toString('latin1');
    return this.act(conn === undefined ? { do: 'send', data: s } : { do: 'send', data: s, conn });
  }
  dribble(data: string, chunk: number, everyMs: number): Ticket {
    return this.act({ do: 'dribble', data, chunk, everyMs });
  }
  recv(n: number, timeoutMs?: number, conn?: number): Ticket {
    return this.act({ do: 'recv', n, ...(timeoutMs === undefined ? {} : { timeoutMs }), ...(conn === undefined ? {} : { conn }) });
  }
  recvAll(timeoutMs?: number, conn?: number): Ticket {
    return this.act({ do: 'recvAll', ...(timeoutMs === undefined ? {} : { timeoutMs }), ...(conn === undefined ? {} : { conn }) });
  }
  shutdown(conn?: number): Ticket {
    return this.act(conn === undefined ? { do: 'shutdown' } : { do: 'shutdown', conn });
  }
  close(conn?: number): Ticket {
    return this.act(conn === undefined ? { do: 'close' } : { do: 'close', conn });
  }
  rst(conn?: number): Ticket {
    return this.act(conn === undefined ? { do: 'rst' } : { do: 'rst', conn });
  }
  sleep(ms: number): Ticket {
    return this.act({ do: 'sleep', ms });
  }
  pause(conn?: number): Ticket {
    return this.act(conn === undefined ? { do: 'pause' } : { do: 'pause', conn });
  }
  resume(conn?: number): Ticket {
    return this.act(conn === undefined ? { do: 'resume' } : { do: 'resume', conn });
  }
  /** Closes everything and ends the peer thread. */
  stop(): void {
    try {
      this.act({ do: 'stop' }).result(5000);
    } catch {
      void this.worker.terminate();
    }
  }
}

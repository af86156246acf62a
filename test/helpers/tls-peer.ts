/**
 * The test side of tls-peer-thread.ts: starts the peer thread and reads its reports
 * synchronously (the test thread may be blocked in luasocket calls meanwhile).
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';

export interface TlsPeerInit {
  mode: 'server' | 'client';
  wake: SharedArrayBuffer;
  port: MessagePort;
  key?: string;
  cert?: string;
  ca?: string;
  requestCert?: boolean;
  connectPort?: number;
  send?: string;
}

export interface TlsPeerReport {
  event: 'listening' | 'secure' | 'end' | 'error' | 'tls-client-error';
  port?: number;
  authorized?: boolean;
  text?: string;
}

export class TlsPeer {
  private readonly wake = new Int32Array(new SharedArrayBuffer(4));
  private readonly inbox: MessagePort;
  private readonly worker: Worker;
  readonly port: number;

  private constructor(init: Omit<TlsPeerInit, 'wake' | 'port'>) {
    const { port1, port2 } = new MessageChannel();
    this.inbox = port1;
    this.worker = new Worker(new URL('./tls-peer-thread.js', import.meta.url), {
      workerData: { ...init, wake: this.wake.buffer, port: port2 },
      transferList: [port2],
    });
    this.port = init.mode === 'server' ? (this.next('listening').port ?? 0) : 0;
  }

  static server(opts: { key: string; cert: string; ca?: string; requestCert?: boolean }): TlsPeer {
    return new TlsPeer({ mode: 'server', ...opts });
  }

  static client(connectPort: number, opts: { ca?: string; key?: string; cert?: string; send?: string }): TlsPeer {
    return new TlsPeer({ mode: 'client', connectPort, ...opts });
  }

  /** The next report of kind `event`, waiting up to 10 s (earlier reports of other kinds are dropped). */
  next(event: TlsPeerReport['event']): TlsPeerReport {
    const end = performance.now() + 10000;
    for (;;) {
      const seen = Atomics.load(this.wake, 0);
      for (let m = receiveMessageOnPort(this.inbox); m; m = receiveMessageOnPort(this.inbox)) {
        const r = m.message as TlsPeerReport;
        if (r.event === event) return r;
      }
      const left = end - performance.now();
      if (left <= 0) throw new Error(`tls peer: no '${event}' report`);
      Atomics.wait(this.wake, 0, seen, left);
    }
  }

  stop(): Promise<number> {
    this.inbox.close();
    return this.worker.terminate();
  }
}

/**
 * The scripted loopback peer's thread: runs actions in order with node:net, reports each
 * result through a MessagePort and a wake word, so the test thread (which blocks inside
 * luasocket calls) can read results synchronously. See peer.ts.
 */
import net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import type { PeerAction, PeerInit, PeerResult } from './peer.js';

const { wake, port: out, host, listen } = workerData as PeerInit;
const wakeWords = new Int32Array(wake);

function report(r: PeerResult): void {
  out.postMessage(r);
  Atomics.add(wakeWords, 0, 1);
  Atomics.notify(wakeWords, 0);
}

const conns: net.Socket[] = [];
const inbox: Buffer[][] = [];
const ended: boolean[] = [];
const waiters: Array<() => void> = [];
let server: net.Server | null = null;
const backlog: net.Socket[] = [];
let acceptWaiter: ((s: net.Socket) => void) | null = null;

function track(s: net.Socket): number {
  const i = conns.length;
  conns.push(s);
  inbox.push([]);
  ended.push(false);
  s.setNoDelay(true);
  s.on('data', (d) => {
    inbox[i]?.push(d);
    for (const w of waiters.splice(0)) w();
  });
  s.on('end', () => {
    ended[i] = true;
    for (const w of waiters.splice(0)) w();
  });
  s.on('error', () => {
    ended[i] = true;
    for (const w of waiters.splice(0)) w();
  });
  s.on('close', () => {
    ended[i] = true;
    for (const w of waiters.splice(0)) w();
  });
  return i;
}

function conn(a: { conn?: number }): net.Socket {
  const c = conns[a.conn ?? conns.length - 1];
  if (!c) throw new Error('peer: no connection');
  return c;
}

function buffered(i: number): number {
  return (inbox[i] ?? []).reduce((n, b) => n + b.length, 0);
}

function take(i: number, n: number): Buffer {
  const all = Buffer.concat(inbox[i] ?? []);
  inbox[i] = [all.subarray(n)];
  return all.subarray(0, n);
}

function until(cond: () => boolean, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(cond()), ms);
    const check = () => {
      if (cond()) {
        clearTimeout(t);
        resolve(true);
      } else waiters.push(check);
    };
    check();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function run(a: PeerAction): Promise<PeerResult> {
  switch (a.do) {
    case 'accept': {
      const s = backlog.shift() ?? (await new Promise<net.Socket>((r) => (acceptWaiter = r)));
      return { id: a.id, ok: true, conn: track(s) };
    }
    case 'connect': {
      const s = net.connect({ port: a.port, host: a.host ?? host });
      const ok = await new Promise<string>((r) => {
        s.once('connect', () => r('ok'));
        s.once('error', (e: NodeJS.ErrnoException) => r(e.code ?? 'error'));
      });
      if (ok !== 'ok') return { id: a.id, ok: false, error: ok };
      return { id: a.id, ok: true, conn: track(s) };
    }
    case 'send': {
      const c = conn(a);
      await new Promise<void>((r) => c.write(Buffer.from(a.data, 'latin1'), () => r()));
      return { id: a.id, ok: true };
    }
    case 'dribble': {
      const c = conn(a);
      const data = Buffer.from(a.data, 'latin1');
      for (let i = 0; i < data.length; i += a.chunk) {
        if (i > 0) await sleep(a.everyMs);
        c.write(data.subarray(i, i + a.chunk));
      }
      return { id: a.id, ok: true };
    }
    case 'recv': {
      const i = a.conn ?? conns.length - 1;
      await until(() => buffered(i) >= a.n || (ended[i] ?? true), a.timeoutMs ?? 5000);
      const got = take(i, Math.min(a.n, buffered(i)));
      return { id: a.id, ok: true, data: got.toString('latin1'), eof: ended[i] ?? true };
    }
    case 'recvAll': {
      const i = a.conn ?? conns.length - 1;
      await until(() => ended[i] ?? true, a.timeoutMs ?? 5000);
      const got = take(i, buffered(i));
      return { id: a.id, ok: true, data: got.toString('latin1'), eof: ended[i] ?? true };
    }
    case 'shutdown':
      conn(a).end();
      return { id: a.id, ok: true };
    case 'close':
      conn(a).destroy();
      return { id: a.id, ok: true };
    case 'rst':
      conn(a).resetAndDestroy();
      return { id: a.id, ok: true };
    case 'sleep':
      await sleep(a.ms);
      return { id: a.id, ok: true };
    case 'pause':
      conn(a).pause();
      return { id: a.id, ok: true };
    case 'resume':
      conn(a).resume();
      return { id: a.id, ok: true };
    case 'stop':
      for (const c of conns) c.destroy();
      server?.close();
      setImmediate(() => process.exit(0));
      return { id: a.id, ok: true };
  }
}

let chain: Promise<unknown> = Promise.resolve();
parentPort?.on('message', (a: PeerAction) => {
  chain = chain.then(async () => {
    try {
      report(await run(a));
    } catch (e) {
      report({ id: a.id, ok: false, error: String((e as Error).message ?? e) });
    }
  });
});

if (listen) {
  server = net.createServer((s) => {
    if (acceptWaiter) {
      const w = acceptWaiter;
      acceptWaiter = null;
      w(s);
    } else backlog.push(s);
  });
  server.listen(0, host, () => {
    const addr = server?.address();
    report({ id: 0, ok: true, port: typeof addr === 'object' && addr ? addr.port : 0 });
  });
} else {
  report({ id: 0, ok: true, port: 0 });
}

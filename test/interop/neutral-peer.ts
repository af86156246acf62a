/**
 * The neutral peer of the differential check: a node:net process that neither
 * implementation under comparison is part of. Both runs of a sequence (real LuaSocket
 * through diff-runner.lua, this package through diff.ts) talk to their own fresh copy of
 * it, identically.
 *
 *   node neutral-peer.js      prints "ports CTL DATA DIR": CTL and DATA listen on
 *                             127.0.0.1, DIR is its temp directory for socket files
 *
 * The interpreter connects to CTL and sends one JSON command per line (a sequence's
 * "peer" step, variables already substituted); the peer answers each with one JSON line
 * when the action is done. Connections to DATA, to the unix stream listener (or made by
 * "connect") are numbered from 1 in the order they are accepted; "conn" picks one
 * (default: the newest).
 *
 * Actions: vars, accept {unix?}, connect {port | path}, send {data, delay?},
 * dribble {data, chunk, every}, recv {n, timeout?}, recvall {timeout?}, shutdown, close,
 * rst, pause, resume, wait {ms}, stop, and the datagram actions of neutral-dgram.ts.
 * Times are milliseconds. Connections are half-open capable: the peer only ends its side
 * on "shutdown" or "close". The peer exits by itself after 60 s.
 *
 * "vars" answers the variables a sequence may use besides $peer: $dir (a fresh temp
 * directory for socket files, removed at the end), $unixpeer (the unix stream listener
 * in it), $dgrampeer, $udppeer, $udp6peer and $udpdead (see neutral-dgram.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesOf, type DataSpec, encodeBytes } from './diff-data.js';
import { type DatagramCommand, DatagramPeers } from './neutral-dgram.js';

interface Command extends DatagramCommand {
  peer: string;
  conn?: number;
  port?: number | string;
  path?: string;
  unix?: boolean;
  data?: DataSpec;
  delay?: number;
  chunk?: number;
  every?: number;
  n?: number;
  ms?: number;
}

interface Conn {
  sock: net.Socket;
  inbox: Buffer[];
  eof: boolean;
  error: string | null;
  closed: boolean;
}

const conns: Conn[] = [];
const pending: net.Socket[] = [];
const pendingUnix: net.Socket[] = [];
const dir = mkdtempSync(join(tmpdir(), 'lsdiff-'));
const unixpeer = join(dir, 'peer.sock');
let datagrams: DatagramPeers | null = null;
const waiters = new Set<() => void>();

function wake(): void {
  for (const w of [...waiters]) w();
}

function until(cond: () => boolean, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const check = () => {
      if (!cond()) return;
      waiters.delete(check);
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      waiters.delete(check);
      resolve(cond());
    }, ms);
    waiters.add(check);
    check();
  });
}

function track(sock: net.Socket): number {
  const c: Conn = { sock, inbox: [], eof: false, error: null, closed: false };
  conns.push(c);
  sock.setNoDelay(true);
  sock.on('data', (d: Buffer) => {
    c.inbox.push(d);
    wake();
  });
  sock.on('end', () => {
    c.eof = true;
    wake();
  });
  sock.on('error', (e: NodeJS.ErrnoException) => {
    c.error = e.code ?? 'error';
    c.eof = true;
    wake();
  });
  sock.on('close', () => {
    c.closed = true;
    c.eof = true;
    wake();
  });
  return conns.length;
}

function conn(cmd: Command): Conn {
  const c = conns[(cmd.conn ?? conns.length) - 1];
  if (!c) throw new Error(`no connection ${cmd.conn ?? conns.length}`);
  return c;
}

const buffered = (c: Conn) => c.inbox.reduce((n, b) => n + b.length, 0);

function take(c: Conn, n: number): Buffer {
  const all = Buffer.concat(c.inbox);
  c.inbox = [all.subarray(n)];
  return all.subarray(0, n);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const write = (c: Conn, b: Buffer) => new Promise<void>((r) => c.sock.write(b, () => r()));

async function run(cmd: Command): Promise<Record<string, unknown>> {
  switch (cmd.peer) {
    case 'vars':
      return { ok: true, dir, unixpeer, ...datagrams?.vars };
    case 'accept': {
      const queue = cmd.unix ? pendingUnix : pending;
      await until(() => queue.length > 0, cmd.timeout ?? 5000);
      const s = queue.shift();
      if (!s) return { ok: false, error: 'no connection to accept' };
      return { ok: true, conn: track(s) };
    }
    case 'connect': {
      const to = cmd.path !== undefined ? { path: cmd.path } : { host: '127.0.0.1', port: Number(cmd.port) };
      const s = net.connect({ ...to, allowHalfOpen: true });
      const r = await new Promise<string>((resolve) => {
        s.once('connect', () => resolve('ok'));
        s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
      if (r !== 'ok') return { ok: false, error: r };
      return { ok: true, conn: track(s) };
    }
    case 'send': {
      const c = conn(cmd);
      const b = bytesOf(cmd.data ?? '');
      if (cmd.delay !== undefined) {
        setTimeout(() => c.sock.write(b), cmd.delay);
        return { ok: true };
      }
      await write(c, b);
      return { ok: true };
    }
    case 'dribble': {
      const c = conn(cmd);
      const b = bytesOf(cmd.data ?? '');
      const chunk = cmd.chunk ?? 1;
      const every = cmd.every ?? 100;
      const start = performance.now();
      void (async () => {
        for (let i = 0, k = 1; i < b.length; i += chunk, k++) {
          await sleep(Math.max(0, start + k * every - performance.now()));
          if (!c.sock.destroyed) c.sock.write(b.subarray(i, i + chunk));
        }
      })();
      return { ok: true };
    }
    case 'recv': {
      const c = conn(cmd);
      const n = cmd.n ?? 1;
      await until(() => buffered(c) >= n || c.eof, cmd.timeout ?? 5000);
      const got = take(c, Math.min(n, buffered(c)));
      return { ok: true, data: encodeBytes(got), eof: buffered(c) === 0 && c.eof };
    }
    case 'recvall': {
      const c = conn(cmd);
      await until(() => c.eof, cmd.timeout ?? 5000);
      const got = take(c, buffered(c));
      return { ok: true, data: encodeBytes(got), eof: c.eof, ...(c.error ? { error: c.error } : {}) };
    }
    case 'shutdown':
      conn(cmd).sock.end();
      return { ok: true };
    case 'close': {
      const c = conn(cmd);
      c.sock.destroy();
      await until(() => c.closed, 5000);
      return { ok: true };
    }
    case 'rst': {
      const c = conn(cmd);
      // Unix stream sockets have no RST: a plain close there.
      if (c.sock.remoteAddress === undefined) c.sock.destroy();
      else c.sock.resetAndDestroy();
      await until(() => c.closed, 5000);
      return { ok: true };
    }
    case 'pause':
      conn(cmd).sock.pause();
      return { ok: true };
    case 'resume':
      conn(cmd).sock.resume();
      return { ok: true };
    case 'wait':
      await sleep(cmd.ms ?? 0);
      return { ok: true };
    case 'stop':
      return { ok: true };
    default:
      return (await datagrams?.run(cmd)) ?? { ok: false, error: `unknown action ${cmd.peer}` };
  }
}

function stop(code: number): never {
  for (const c of conns) c.sock.destroy();
  for (const s of [...pending, ...pendingUnix]) s.destroy();
  datagrams?.stop();
  rmSync(dir, { recursive: true, force: true });
  process.exit(code);
}

setTimeout(() => stop(2), 60000).unref();

const data = net.createServer({ allowHalfOpen: true }, (s) => {
  pending.push(s);
  wake();
});
const ctl = net.createServer((s) => {
  ctl.close();
  let buf = '';
  let chain = Promise.resolve();
  s.setEncoding('latin1');
  s.on('data', (d: string) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      chain = chain.then(async () => {
        let cmd: Command | null = null;
        let reply: Record<string, unknown>;
        try {
          cmd = JSON.parse(line) as Command;
          reply = await run(cmd);
        } catch (e) {
          reply = { ok: false, error: String((e as Error).message ?? e) };
        }
        s.write(`${JSON.stringify(reply)}\n`, () => {
          if (cmd?.peer === 'stop') stop(0);
        });
      });
    }
  });
  s.on('close', () => stop(0));
  s.on('error', () => stop(1));
});

const unix = net.createServer({ allowHalfOpen: true }, (s) => {
  pendingUnix.push(s);
  wake();
});

const port = (srv: net.Server) => (srv.address() as net.AddressInfo).port;
let listening = 0;
const ready = () => {
  if (++listening < 3) return;
  DatagramPeers.start(dir, new Set([port(ctl), port(data)])).then(
    (d) => {
      datagrams = d;
      process.stdout.write(`ports ${port(ctl)} ${port(data)} ${dir}\n`);
    },
    stop.bind(null, 3),
  );
};
ctl.listen(0, '127.0.0.1', ready);
data.listen(0, '127.0.0.1', ready);
unix.listen(unixpeer, ready);

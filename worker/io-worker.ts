/**
 * The I/O worker: owns every socket of one calling thread and never blocks. It runs
 * commands from the caller, keeps the channels' rings filled and drained, and bumps the
 * wake word whenever something a waiting caller may care about has happened.
 */
import dns from 'node:dns';
import net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { errCodeOf, lookupErrorText } from '../src/errors.js';
import { native } from '../src/native.js';
import { type Command, ConnState, Ctl, ErrCode, Hdr, HEARTBEAT_MS, type Reply, type WorkerData } from '../src/protocol.js';
import { Connection } from './connection.js';
import { Listener } from './listener.js';

const { ctl, replyPort, token } = workerData as WorkerData;
const ctlWords = new Int32Array(ctl);
const connections = new Map<number, Connection>();
const listeners = new Map<number, Listener>();

function wake(): void {
  Atomics.add(ctlWords, Ctl.SEQ, 1);
  Atomics.notify(ctlWords, Ctl.SEQ);
}

function reply(r: Reply): void {
  replyPort.postMessage(r);
  wake();
}

// Liveness for the caller (silence on this word means the worker is gone), and the
// sockets whose objects the caller's garbage collector freed: LuaSocket closes those.
setInterval(() => {
  Atomics.add(ctlWords, Ctl.HEARTBEAT, 1);
  if (native) for (const id of native.takeOrphans(token)) close(id);
}, HEARTBEAT_MS);

function connect(cmd: Extract<Command, { op: 'connect' }>): void {
  const conn = new Connection(cmd.id, cmd.sab, wake);
  const opts = { allowHalfOpen: true, onread: conn.onread(), ...(cmd.fd >= 0 ? { fd: cmd.fd, manualStart: true } : {}) };
  const sock = new net.Socket(opts as net.SocketConstructorOpts);
  conn.attach(sock, false);
  connections.set(cmd.id, conn);
  Atomics.store(conn.hdr, Hdr.CONN_STATE, ConnState.PENDING);
  sock.connect({ port: cmd.port, host: cmd.host }, () => {
    Atomics.store(conn.hdr, Hdr.CONN_STATE, ConnState.OPEN_UNCONFIRMED);
    conn.established();
    wake();
  });
}

function listen(cmd: Extract<Command, { op: 'listen' }>): void {
  const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true });
  const listener = new Listener(cmd.id, cmd.sab, server, wake);
  let listening = false;
  server.once('listening', () => {
    listening = true;
    listeners.set(cmd.id, listener);
    reply({ rid: cmd.rid, ok: true });
  });
  server.on('error', (err: NodeJS.ErrnoException) => {
    if (!listening) reply({ rid: cmd.rid, ok: false, err: errCodeOf(err) });
    else Atomics.store(listener.hdr, Hdr.LISTEN_ERR, errCodeOf(err));
    wake();
  });
  server.listen({ fd: cmd.fd, backlog: cmd.backlog } as net.ListenOptions);
}

function accept(cmd: Extract<Command, { op: 'accept' }>): void {
  const listener = listeners.get(cmd.id);
  const sock = listener?.take();
  if (!sock) {
    reply({ rid: cmd.rid, ok: false, err: listener ? ErrCode.TIMEOUT : ErrCode.CLOSED });
    return;
  }
  sock.removeAllListeners('error');
  const conn = new Connection(cmd.newId, cmd.sab, wake);
  conn.attach(sock, true);
  connections.set(cmd.newId, conn);
  Atomics.store(conn.hdr, Hdr.CONN_STATE, ConnState.OPEN);
  conn.established();
  // The caller gets its own descriptor of the socket, made before anything can close ours.
  const fd = Atomics.load(conn.hdr, Hdr.FD);
  reply({ rid: cmd.rid, ok: true, fd: fd >= 0 && native ? native.dup(fd) : -1 });
}

function close(id: number): void {
  connections.get(id)?.close();
  connections.delete(id);
  listeners.get(id)?.close();
  listeners.delete(id);
}

function lookup(cmd: Extract<Command, { op: 'lookup' }>): void {
  dns.lookup(cmd.host, { all: true, family: cmd.family }, (err, addresses) => {
    if (err) reply({ rid: cmd.rid, ok: false, lookupError: lookupErrorText(err) });
    else
      reply({
        rid: cmd.rid,
        ok: true,
        addresses: addresses.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 })),
      });
  });
}

function crash(how: 'throw' | 'exit' | 'hang', afterMs: number): void {
  setTimeout(() => {
    if (how === 'exit') process.exit(1);
    if (how === 'hang') for (;;) Atomics.wait(ctlWords, Ctl.WORDS - 1, 0);
    throw new Error('injected fault');
  }, afterMs);
}

parentPort?.on('message', (cmd: Command) => {
  switch (cmd.op) {
    case 'connect':
      return connect(cmd);
    case 'listen':
      return listen(cmd);
    case 'accept':
      return accept(cmd);
    case 'resume':
      return connections.get(cmd.id)?.resume();
    case 'close':
      close(cmd.id);
      if (cmd.rid !== undefined) reply({ rid: cmd.rid, ok: true });
      return;
    case 'lookup':
      return lookup(cmd);
    case 'ping':
      return reply({ rid: cmd.rid, ok: true });
    case 'crash':
      return crash(cmd.how, cmd.afterMs);
    case 'adopt':
      return reply({ rid: cmd.rid, ok: false, err: ErrCode.UNKNOWN });
  }
});

Atomics.store(ctlWords, Ctl.READY, 1);
wake();

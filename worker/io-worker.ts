/**
 * The I/O worker: owns the sockets of one calling thread (native engine: their read side;
 * portable engine: all of them) and never blocks. It runs commands from the caller, keeps
 * the channels' rings filled and drained, and bumps the wake word whenever something a
 * waiting caller may care about has happened.
 */
import net from 'node:net';
import { constants } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { native } from '../src/native.js';
import { type Accepted, type Command, Ctl, ErrCode, HEARTBEAT_MS, NO_TLS_INFO, type Reply, type WorkerData } from '../src/protocol.js';
import { Connection } from './connection.js';
import { DgramChannel } from './dgram-channel.js';
import { DatagramReader } from './dgram-reader.js';
import { Listener } from './listener.js';
import { lookup, lookupService } from './resolver.js';
import { StreamChannel } from './stream-channel.js';
import { tlsBase } from './tls-source.js';

const { ctl, replyPort, token } = workerData as WorkerData;
const ctlWords = new Int32Array(ctl);

/** Every channel the worker serves, by id: what each kind needs to be closed. */
const channels = new Map<number, Connection | StreamChannel | Listener | DgramChannel | DatagramReader>();

function wake(): void {
  Atomics.add(ctlWords, Ctl.SEQ, 1);
  if (Atomics.load(ctlWords, Ctl.SLEEPING) !== 0) Atomics.notify(ctlWords, Ctl.SEQ);
}

function post(m: Reply | Accepted): void {
  replyPort.postMessage(m);
  wake();
}

// Liveness for the caller (silence on this word means the worker is gone), and the
// sockets whose objects the caller's garbage collector freed: LuaSocket closes those.
setInterval(() => {
  Atomics.add(ctlWords, Ctl.HEARTBEAT, 1);
  if (native) for (const id of native.takeOrphans(token)) close(id, false);
}, HEARTBEAT_MS);

/** native: a connection the caller made or accepted; read it into its ring from now on. */
function adopt(cmd: Extract<Command, { op: 'adopt' }>): void {
  const conn = new Connection(cmd.id, cmd.sab, wake);
  const sock = new net.Socket({
    fd: cmd.fd,
    allowHalfOpen: true,
    readable: true,
    writable: true,
    onread: conn.onread(),
  } as net.SocketConstructorOpts);
  conn.attach(sock);
  channels.set(cmd.id, conn);
  conn.startReading();
  wake();
}

function adoptChannel(ch: StreamChannel): void {
  channels.set(ch.id, ch);
}

function listen(cmd: Extract<Command, { op: 'listen' }>): void {
  const bound = channels.get(cmd.id);
  if (bound instanceof Listener) bound.listen(cmd.rid, cmd.options);
  else channels.set(cmd.id, new Listener(cmd, post, wake, adoptChannel));
}

function close(id: number, abort: boolean): void {
  const ch = channels.get(id);
  channels.delete(id);
  if (ch instanceof StreamChannel) ch.close(abort);
  else ch?.close();
}

function stream(id: number): StreamChannel | null {
  const ch = channels.get(id);
  return ch instanceof StreamChannel ? ch : null;
}

function datagram(id: number): DgramChannel | null {
  const ch = channels.get(id);
  return ch instanceof DgramChannel ? ch : null;
}

const GONE = ErrCode.ERRNO_BASE + constants.errno.EBADF;

/** The portable engine's UDP calls: each replies `done` (0 or a count, or -ErrCode / ErrCode). */
function dgramCall(cmd: Extract<Command, { op: 'dgram-bind' | 'dgram-connect' | 'dgram-send' | 'dgram-option' }>) {
  const ch = datagram(cmd.id);
  const reply = (done: number) => post({ rid: cmd.rid, done });
  switch (cmd.op) {
    case 'dgram-bind':
      return ch ? ch.bind(cmd.address, reply) : reply(GONE);
    case 'dgram-connect':
      return ch ? ch.connect(cmd.remote, reply) : reply(GONE);
    case 'dgram-send':
      return ch ? ch.send(cmd.data, cmd.to, reply) : reply(-GONE);
    case 'dgram-option':
      if (ch) return ch.option(cmd.name, cmd.value, (option) => post({ rid: cmd.rid, option }));
      post({ rid: cmd.rid, option: { err: cmd.value === null ? 'getsockopt failed' : 'setsockopt failed' } });
  }
}

const BAD_FD = { err: ErrCode.ERRNO_BASE + constants.errno.EBADF };
const NOT_CONNECTED = { err: ErrCode.ERRNO_BASE + constants.errno.ENOTCONN };

function names(cmd: Extract<Command, { op: 'names' }>): void {
  const ch = channels.get(cmd.id);
  if (ch instanceof Listener) post({ rid: cmd.rid, names: { local: ch.address ?? BAD_FD, peer: NOT_CONNECTED } });
  else if (ch instanceof StreamChannel || ch instanceof DgramChannel) post({ rid: cmd.rid, names: ch.names() });
  else post({ rid: cmd.rid, names: { local: BAD_FD, peer: BAD_FD } });
}

/** TLS over a socket the worker already has (portable) or one made from the caller's descriptor (native). */
function startTls(cmd: Extract<Command, { op: 'tls' }>): void {
  const id = cmd.source.channel;
  const old = id === null ? undefined : channels.get(id);
  if (id !== null) channels.delete(id);
  const base = tlsBase(cmd.source, old instanceof Connection || old instanceof StreamChannel ? old : undefined);
  channels.set(cmd.id, StreamChannel.secure(cmd, base.socket, base.fd, wake));
}

function tlsInfo(cmd: Extract<Command, { op: 'tls-info' }>): void {
  const info = stream(cmd.id)?.tlsInfo();
  post({
    rid: cmd.rid,
    tls: info ?? NO_TLS_INFO,
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
    case 'adopt':
      return adopt(cmd);
    case 'close':
      close(cmd.id, cmd.abort === true);
      if (cmd.rid !== undefined) post({ rid: cmd.rid, done: 0 });
      return;
    case 'lookup':
      return lookup(cmd, post);
    case 'lookup-service':
      return lookupService(cmd, post);
    case 'bind':
      channels.set(cmd.id, new Listener(cmd, post, wake, adoptChannel));
      return;
    case 'listen':
      return listen(cmd);
    case 'connect':
      if (cmd.unbind) close(cmd.unbind, false);
      channels.set(cmd.id, StreamChannel.connect(cmd, wake));
      return;
    case 'names':
      return names(cmd);
    case 'shutdown':
      return stream(cmd.id)?.shutdown();
    case 'set-option':
      stream(cmd.id)?.setOptions(cmd.options);
      return post({ rid: cmd.rid, done: 0 });
    case 'tls':
      return startTls(cmd);
    case 'tls-info':
      return tlsInfo(cmd);
    case 'dgram-open':
      channels.set(cmd.id, new DgramChannel(cmd, wake));
      return;
    case 'dgram-adopt':
      channels.set(cmd.id, new DatagramReader(cmd, wake));
      return;
    case 'dgram-bind':
    case 'dgram-connect':
    case 'dgram-send':
    case 'dgram-option':
      return dgramCall(cmd);
    case 'crash':
      return crash(cmd.how, cmd.afterMs);
  }
});

Atomics.store(ctlWords, Ctl.READY, 1);
wake();

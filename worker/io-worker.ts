/**
 * The I/O worker: owns every socket of one calling thread and never blocks. It runs
 * commands from the caller, keeps the channels' rings filled and drained, and bumps the
 * wake word whenever something a waiting caller may care about has happened.
 */
import dns from 'node:dns';
import net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { lookupErrorText } from '../src/errors.js';
import { native } from '../src/native.js';
import { type Command, Ctl, HEARTBEAT_MS, type Reply, type WorkerData } from '../src/protocol.js';
import { Connection } from './connection.js';

const { ctl, replyPort, token } = workerData as WorkerData;
const ctlWords = new Int32Array(ctl);
const connections = new Map<number, Connection>();

function wake(): void {
  Atomics.add(ctlWords, Ctl.SEQ, 1);
  if (Atomics.load(ctlWords, Ctl.SLEEPING) !== 0) Atomics.notify(ctlWords, Ctl.SEQ);
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

/** A connection the caller made or accepted: read it into its ring from now on. */
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
  connections.set(cmd.id, conn);
  conn.startReading();
  wake();
}

function close(id: number): void {
  connections.get(id)?.close();
  connections.delete(id);
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
    case 'adopt':
      return adopt(cmd);
    case 'close':
      return close(cmd.id);
    case 'lookup':
      return lookup(cmd);
    case 'crash':
      return crash(cmd.how, cmd.afterMs);
  }
});

Atomics.store(ctlWords, Ctl.READY, 1);
wake();

/**
 * select over every object kind together (TCP, UDP, unix stream, unix datagram on the
 * native engine): the same rules as for TCP alone: dirty objects first, then ready ones in
 * descriptor (creation) order; objects without a socket are skipped.
 */
import { join } from 'node:path';
import test from 'ava';
import * as socket from '../src/index.js';
import { bound, keep, portable, sockDir } from './helpers/dgram.js';

test('every kind in one select: writable ones in order, readable once data came, dirty first', (t) => {
  const dir = sockDir(t);
  const server = keep(t, socket.bind('127.0.0.1', 0));
  const port = server.getsockname()[1] as number;
  const c = keep(t, socket.connect('127.0.0.1', port)).setencoding('latin1');
  server.settimeout(5);
  const [ca] = server.accept();
  if (!ca) throw new Error('accept failed');
  t.teardown(() => ca.close());
  const { u, port: up } = bound(t);
  const path = join(dir, 'srv.sock');
  const us = keep(t, socket.unix());
  us.bind(path);
  us.listen();
  const x = keep(t, socket.unix()).setencoding('latin1');
  t.deepEqual(x.connect(path), [1]);
  us.settimeout(5);
  const [xa] = us.accept();
  if (!xa) throw new Error('accept failed');
  t.teardown(() => xa.close());
  const d = portable ? null : keep(t, socket.unix.dgram());
  const dpath = join(dir, 'd.sock');
  d?.bind(dpath);
  const n = keep(t, socket.udp());
  const z = keep(t, socket.udp4());
  z.close();
  const all = [c, u, x, ...(d ? [d] : []), n, z] as socket.Selectable[];
  t.deepEqual(socket.select(all, null, 0), [[], [], 'timeout']);
  t.deepEqual(socket.select(null, all, 0), [[], [c, u, x, ...(d ? [d] : [])]]);
  t.deepEqual(socket.select([n, z], [n, z], 0.1), [[], [], 'timeout']);

  ca.send('a\nb\n');
  const [sender] = socket.udp4();
  sender?.sendto('dgram', '127.0.0.1', up);
  sender?.close();
  xa.send('unix\n');
  if (d) {
    const [ds] = socket.unix.dgram();
    ds?.sendto('unix dgram', dpath);
    ds?.close();
  }
  const want = [c, u, x, ...(d ? [d] : [])];
  // Each has its data (the portable engine's worker publishes it a moment after the kernel has it).
  for (const o of want) t.deepEqual(socket.select([o], null, 5)[0], [o]);
  t.deepEqual(socket.select([...all].reverse(), null, 0)[0], want, 'in creation order, whatever the order passed');
  t.deepEqual(c.receive(), ['a']);
  t.deepEqual(u.receive(), ['dgram']);
  if (d) t.deepEqual(d.receive(), ['unix dgram']);
  t.deepEqual(c.dirty(), [true]);
  t.deepEqual(socket.select([u, x, c], null, 5)[0], [c, x], 'dirty first, and no wait');
  t.deepEqual(x.receive(2), ['un']);
  t.deepEqual(socket.select([x, c], null, 5)[0], [x, c], 'dirty ones in the order passed');
});

test('fresh objects: a unix master is readable and writable, a UDP socket writable only', (t) => {
  const m = keep(t, socket.unix());
  const six = keep(t, socket.udp6());
  t.deepEqual(socket.select([m, six], [m, six], 0), [[m], [m, six]]);
});

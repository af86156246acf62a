import test from 'ava';
import * as socket from '../src/index.js';
import { Peer } from './helpers/peer.js';

test.serial('a line goes out and comes back through a scripted peer', (t) => {
  const peer = Peer.listen();
  peer.accept();
  const echo = peer.recv(5);
  peer.send('pong\r\n');
  const [c, err] = socket.connect('127.0.0.1', peer.port);
  t.is(err, undefined);
  if (!c) return;
  t.deepEqual(c.send('ping\n'), [5]);
  t.deepEqual(echo.result().data, 'ping\n');
  t.deepEqual(c.receive('*l'), ['pong']);
  t.deepEqual(c.close(), [1]);
  peer.stop();
});

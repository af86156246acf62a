/**
 * `npm run demo`: straight-line blocking I/O, LuaSocket style, with no async/await.
 *
 * The demo starts its own local peer (a tiny line-based server in a worker thread, so it
 * keeps running while this thread blocks), then talks to it and prints every result as
 * LuaSocket would return it. Then it plays the server itself: a blocking echo server
 * built with socket.bind/accept, exercised by a second client.
 */
import { Worker } from 'node:worker_threads';
import * as socket from '../src/index.js';

function show(what: string, result: unknown): void {
  console.log(`${what.padEnd(44)} -> ${JSON.stringify(result)}`);
}

// A local peer: greets, then answers each line "ECHO <line>", and "BYE" closes.
const peerSource = `
const net = require('node:net');
const { parentPort } = require('node:worker_threads');
const server = net.createServer((s) => {
  s.write('hello from the peer\\r\\n');
  let buf = '';
  s.on('data', (d) => {
    buf += d;
    for (let i = buf.indexOf('\\n'); i >= 0; i = buf.indexOf('\\n')) {
      const line = buf.slice(0, i); buf = buf.slice(i + 1);
      if (line === 'BYE') { s.end('bye\\n'); return; }
      setTimeout(() => s.write('ECHO ' + line + '\\n'), line === 'slow' ? 300 : 0);
    }
  });
  s.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
`;

const peer = new Worker(peerSource, { eval: true });
peer.unref();
const port: number = await new Promise((resolve) => peer.once('message', resolve));

console.log(`-- client: connecting to the local peer on 127.0.0.1:${port}`);
const [c, err] = socket.connect('127.0.0.1', port);
if (c === null) throw new Error(`connect failed: ${err}`);
show("c.receive('*l')  (CR dropped)", c.receive('*l'));
show("c.send('ping\\n')", c.send('ping\n'));
show('c.receive()', c.receive());
show('c.settimeout(0.1)', c.settimeout(0.1));
show("c.send('slow\\n')", c.send('slow\n'));
show("c.receive('*l')  (answer takes 0.3 s)", c.receive('*l'));
show('c.settimeout(2)', c.settimeout(2));
show("c.receive('*l')  (now it arrives)", c.receive('*l'));
show("c.send('BYE\\n')", c.send('BYE\n'));
show("c.receive('*a')", c.receive('*a'));
show("c.receive('*a')  (nothing left)", c.receive('*a'));
show(
  'c.getstats()',
  c.getstats().map((v, i) => (i === 2 ? Number(v.toFixed(3)) : v)),
);
show('c.close()', c.close());

console.log('-- server: a blocking echo server on an ephemeral port');
const [server] = socket.bind('127.0.0.1', 0);
if (server === null) throw new Error('bind failed');
const [host, sport] = server.getsockname();
show('server.getsockname()', [host, sport]);
const [client] = socket.connect('127.0.0.1', sport as number);
if (client === null) throw new Error('second connect failed');
client.send('one\ntwo\n');
server.settimeout(1);
const [conn] = server.accept();
if (conn === null) throw new Error('accept failed');
for (let i = 0; i < 2; i++) {
  const [line] = conn.receive();
  conn.send(`you said ${line}\n`);
}
show('client.receive()', client.receive());
show('client.receive()', client.receive());
show('select: readable with nothing pending', socket.select([conn], null, 0.05));
client.close();
show('conn.receive() after the client closed', conn.receive());
conn.close();
server.close();
console.log('-- done: the script ends here and the process exits by itself');

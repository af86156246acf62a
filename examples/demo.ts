/**
 * `npm run demo`: straight-line blocking I/O, LuaSocket style, with no async/await.
 *
 * The demo starts its own local peers (a tiny line-based server and an HTTP server, in
 * worker threads, so they keep running while this thread blocks), then talks to them and
 * prints every result as LuaSocket would return it. Then it plays the server itself: a
 * blocking echo server built with socket.bind/accept, a UDP request/response and a
 * unix-domain echo, all on loopback.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

// A local HTTP server for socket.http.
const httpSource = `
const http = require('node:http');
const { parentPort } = require('node:worker_threads');
const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'text/plain');
  res.end('hello over http, ' + req.method + ' ' + req.url + '\\n');
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
`;

function startPeer(source: string): Promise<number> {
  const w = new Worker(source, { eval: true });
  w.unref();
  return new Promise((resolve) => w.once('message', resolve));
}
const port = await startPeer(peerSource);
const httpPort = await startPeer(httpSource);
console.log(`-- engine: ${socket.engine}`);

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
console.log('-- http: socket.http.request against a local server');
const [body, code, headers] = socket.http.request(`http://127.0.0.1:${httpPort}/demo`);
show('http.request(url) -> body, code', [body, code]);
show("headers['content-type']", headers?.['content-type']);

console.log('-- udp: a request and its response');
const [responder] = socket.udp4();
if (responder === null) throw new Error('udp4 failed');
show("responder.setsockname('127.0.0.1', 0)", responder.setsockname('127.0.0.1', 0));
const uport = responder.getsockname()[1] as number;
const [asker] = socket.udp();
if (asker === null) throw new Error('udp failed');
asker.settimeout(1);
show('asker.setpeername(127.0.0.1, port)', asker.setpeername('127.0.0.1', uport));
show("asker.send('what time is it?')", asker.send('what time is it?'));
responder.settimeout(1);
const [question, qip, qport] = responder.receivefrom();
show('responder.receivefrom()', [question, qip, typeof qport]);
responder.sendto('time to go', qip as string, qport as number);
show('asker.receive()', asker.receive());
asker.close();
responder.close();

console.log('-- unix: an echo over a socket file');
const dir = mkdtempSync(join(tmpdir(), 'luasocket-demo-'));
const path = join(dir, 'echo.sock');
const [listener] = socket.unix();
if (listener === null) throw new Error('unix failed');
show('listener.bind(path)', listener.bind(path));
show('listener.listen()', listener.listen());
const [uclient] = socket.unix();
if (uclient === null) throw new Error('unix failed');
show('uclient.connect(path)', uclient.connect(path));
listener.settimeout(1);
const [peerSide] = listener.accept();
if (peerSide === null) throw new Error('unix accept failed');
uclient.send('over a file\n');
const [uline] = peerSide.receive();
peerSide.send(`echo: ${uline}\n`);
show('uclient.receive()', uclient.receive());
uclient.close();
peerSide.close();
listener.close();
rmSync(dir, { recursive: true, force: true });

console.log('-- done: the script ends here and the process exits by itself');

/**
 * A node:tls peer on its own thread for test/ssl.test.ts (the test thread blocks inside
 * luasocket calls). As a server, each connection's first line picks its behaviour; as a
 * client, it connects to the test's server, sends a line and reports what came back.
 * Results travel on a MessagePort and a wake word, so the test reads them synchronously.
 */
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { workerData } from 'node:worker_threads';
import type { TlsPeerInit, TlsPeerReport } from './tls-peer.js';

const init = workerData as TlsPeerInit;
const wakeWords = new Int32Array(init.wake);

function report(r: TlsPeerReport): void {
  init.port.postMessage(r);
  Atomics.add(wakeWords, 0, 1);
  Atomics.notify(wakeWords, 0);
}

const file = (p: string | undefined) => (p ? readFileSync(p) : undefined);

/** What a server connection does, by the first line the client sends. */
function serve(c: tls.TLSSocket): void {
  c.on('error', () => {});
  let buf = '';
  const onLine = (line: string) => {
    switch (line) {
      case 'echo':
        c.write('hello\n');
        c.on('data', (d) => c.write(d));
        return;
      case 'partial':
        c.write('abc');
        c.once('data', () => c.write('def\nrest'));
        return;
      case 'bye':
        c.end('bye');
        return;
      case 'who': {
        const cert = c.getPeerCertificate();
        c.write(`${c.authorized ? 'authorized' : 'unauthorized'} ${cert?.subject?.CN ?? '-'}\n`);
        return;
      }
      case 'big':
        c.write(Buffer.alloc(4 << 20, 0x61));
        c.end();
        return;
      default:
        return; // 'stall' and anything else: say nothing
    }
  };
  const onData = (d: Buffer) => {
    buf += d.toString('latin1');
    const i = buf.indexOf('\n');
    if (i < 0) return;
    c.off('data', onData);
    onLine(buf.slice(0, i));
  };
  c.on('data', onData);
}

if (init.mode === 'server') {
  const server = tls.createServer(
    {
      key: file(init.key),
      cert: file(init.cert),
      ca: file(init.ca),
      requestCert: init.requestCert ?? false,
      rejectUnauthorized: false,
    },
    serve,
  );
  server.on('tlsClientError', (err) => report({ event: 'tls-client-error', text: err.message }));
  server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    report({ event: 'listening', port: typeof a === 'object' && a ? a.port : 0 });
  });
} else {
  const c = tls.connect({
    host: '127.0.0.1',
    port: init.connectPort ?? 0,
    servername: 'localhost',
    ca: file(init.ca),
    key: file(init.key),
    cert: file(init.cert),
    rejectUnauthorized: false,
  });
  let got = '';
  c.on('secureConnect', () => {
    report({ event: 'secure', authorized: c.authorized, text: String(c.authorizationError ?? '') });
    c.write(init.send ?? 'ping\n');
  });
  c.on('data', (d) => {
    got += d.toString('latin1');
  });
  c.on('end', () => report({ event: 'end', text: got }));
  c.on('error', (err) => report({ event: 'error', text: err.message }));
}

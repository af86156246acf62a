/**
 * Process lifetime: a script that leaves sockets open must still exit by itself (the I/O
 * worker may not keep Node alive), and a process blocked in receive() must die promptly
 * on SIGINT. Each case runs the compiled package in a child `node` process.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { Peer } from './helpers/peer.js';

const MODULE = fileURLToPath(new URL('../src/index.js', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url));

interface Child {
  /** Resolves when the child has exited (it is killed after `limitMs`). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  /** Resolves with the first stdout line (or null if the child exits first). */
  firstLine: Promise<string | null>;
  stdout: () => string;
  stderr: () => string;
  kill: (signal: NodeJS.Signals) => void;
}

function start(script: string, args: string[], limitMs: number): Child {
  const t0 = performance.now();
  const child = spawn(process.execPath, [fixture(script), MODULE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let lineWaiter: ((l: string | null) => void) | null = null;
  const firstLine = new Promise<string | null>((resolve) => {
    lineWaiter = resolve;
  });
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    out += d;
    const nl = out.indexOf('\n');
    if (nl >= 0 && lineWaiter) {
      lineWaiter(out.slice(0, nl));
      lineWaiter = null;
    }
  });
  child.stderr.on('data', (d: string) => {
    err += d;
  });
  const guard = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((resolve) => {
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      lineWaiter?.(null);
      resolve({ code, signal, ms: performance.now() - t0 });
    });
  });
  return { exited, firstLine, stdout: () => out, stderr: () => err, kill: (s) => child.kill(s) };
}

test.serial('a script that leaves a server, a client and an accepted client open exits by itself with 0', async (t) => {
  const child = start('exit-open.mjs', [], 20000);
  const r = await child.exited;
  t.is(child.stderr(), '');
  t.deepEqual(JSON.parse(child.stdout().trim() || '{}'), { server: 'tcp{server}', client: 'tcp{client}', accepted: 'tcp{client}' });
  t.deepEqual([r.code, r.signal], [0, null]);
  t.true(r.ms < 10000, `child exited after ${Math.round(r.ms)} ms`);
});

test.serial('a script connected to an outside listener, with a pending connect, exits by itself with 0', async (t) => {
  const peer = Peer.listen();
  t.teardown(() => peer.stop());
  peer.accept();
  peer.send('hello child\nmore that stays unread');
  // The pending non-blocking connect is left in the kernel's backlog, never accepted.
  const child = start('exit-open.mjs', [String(peer.port)], 20000);
  const r = await child.exited;
  t.is(child.stderr(), '');
  t.deepEqual(JSON.parse(child.stdout().trim() || '{}'), {
    server: 'tcp{server}',
    client: 'tcp{client}',
    accepted: 'tcp{client}',
    peerLine: 'hello child',
    pending: 'timeout',
  });
  t.deepEqual([r.code, r.signal], [0, null]);
  t.true(r.ms < 10000, `child exited after ${Math.round(r.ms)} ms`);
  // The child's sockets died with it: the peer sees the end of the connection.
  t.true(peer.recvAll(5000).result().eof, 'the connection ended with the process');
});

test.serial('a process blocked in receive() with a 30 s timeout dies promptly on SIGINT', async (t) => {
  const peer = Peer.listen();
  t.teardown(() => peer.stop());
  const accepted = peer.accept();
  const child = start('blocked-receive.mjs', [String(peer.port)], 40000);
  const line = await child.firstLine;
  t.is(line, 'blocking', child.stderr());
  t.true(accepted.result().ok);
  // Still alive a moment later: it is waiting inside receive().
  const early = await Promise.race([child.exited, new Promise<null>((r) => setTimeout(() => r(null), 300))]);
  t.is(early, null, 'the child is blocked, not finished');
  const t0 = performance.now();
  child.kill('SIGINT');
  const r = await child.exited;
  const ms = performance.now() - t0;
  t.true(r.signal === 'SIGINT' || r.code === 130, `exit code ${r.code}, signal ${r.signal}; stdout ${child.stdout()}`);
  t.true(ms < 10000, `died ${Math.round(ms)} ms after SIGINT`);
  t.true(peer.recvAll(5000).result().eof, 'the connection ended with the process');
});

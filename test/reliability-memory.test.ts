/**
 * Reliability: bounded memory (README, "Reliability" and "Differences": maxsize).
 *
 * 1. A peer floods 200 MiB at a script that does not read: the script's RSS stays bounded
 *    (its worker pauses the socket when the 1 MiB ring is full); then the script reads
 *    everything and gets every byte, in order (SHA-256). The script is a child process
 *    (test/fixtures/reliability-flood.ts) so that its RSS is its own; the flooding peer is
 *    a node:net socket in this process.
 * 2. receive(pattern, prefix, maxsize): arguments checked before any I/O, 'oversized' with
 *    exactly maxsize bytes and nothing lost, exact-size lines, CRs not counted, timeout
 *    partials shorter than maxsize, '*a' over the cap and completing at the cap.
 */
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import test, { type ExecutionContext } from 'ava';
import * as socket from '../src/index.js';
import { rssOf, startChild } from './fixtures/reliability-child.js';
import { Peer } from './helpers/peer.js';

const MiB = 1 << 20;

// ---------------------------------------------------------------- flood

test.serial('a peer flooding 200 MiB at a script that does not read: RSS stays bounded, then every byte arrives in order', async (t) => {
  const TOTAL = 200 * MiB;
  const CHUNK = 64 * 1024;
  const base = randomBytes(CHUNK);
  /** Chunk k: the random block with k written into its first 8 bytes (any reordering shows). */
  const chunk = (k: number) => {
    const b = Buffer.from(base);
    b.writeUInt32BE(k, 0);
    b.writeUInt32BE(k ^ 0x5a5a5a5a, 4);
    return b;
  };
  const sent = createHash('sha256');
  let written = 0;
  let progressAt = performance.now();
  let flooder: net.Socket | null = null;
  const server = net.createServer((s) => {
    flooder = s;
    s.on('error', () => {});
    const pump = () => {
      while (written < TOTAL) {
        const b = chunk(written / CHUNK);
        sent.update(b);
        written += b.length;
        progressAt = performance.now();
        if (!s.write(b)) {
          s.once('drain', pump);
          return;
        }
      }
      s.end();
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    (flooder as net.Socket | null)?.destroy();
    server.close();
  });
  const port = (server.address() as net.AddressInfo).port;

  const child = startChild('reliability-flood', [String(port)], { limitMs: 60000 });
  await child.waitEvent('connected');
  const pid = child.proc.pid as number;
  const rss0 = rssOf(pid);
  let peak = rss0;
  // The flood stalls once the ring, the kernel buffers and our own write buffer are full:
  // no progress for 1.5 s (or everything written, which a bounded reader cannot allow).
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      peak = Math.max(peak, rssOf(pid));
      if (written >= TOTAL || performance.now() - progressAt > 1500) {
        clearInterval(timer);
        resolve();
      }
    }, 50);
  });
  peak = Math.max(peak, rssOf(pid));
  const stalledAt = written;
  t.log(
    `flood stalled after ${(stalledAt / MiB).toFixed(1)} MiB; child RSS ${(rss0 / MiB).toFixed(0)} -> peak ${(peak / MiB).toFixed(0)} MiB`,
  );
  t.true(peak - rss0 < 64 * MiB, `RSS grew by ${((peak - rss0) / MiB).toFixed(1)} MiB while not reading`);
  t.true(stalledAt < TOTAL, 'the unread flood was held back, not swallowed');

  child.proc.stdin?.end('read\n');
  const run = await child.done;
  const done = run.events.find((e) => e.ev === 'done');
  t.truthy(done, run.stderr);
  t.log(`read ${((done?.bytes as number) / MiB).toFixed(1)} MiB, ended with ${done?.err}, written ${(written / MiB).toFixed(1)} MiB`);
  t.is(done?.bytes, TOTAL);
  t.is(done?.sha256, sent.digest('hex'), 'every byte, in order');
  t.is(done?.err, 'closed');
  t.is(done?.partial, 0);
  t.is(run.code, 0, run.stderr);
});

// ---------------------------------------------------------------- maxsize

type Sock = socket.TcpSocket;
type AnyFn = (...a: unknown[]) => unknown;

/** A client connected to a scripted peer; both closed when the test ends. */
function pair(t: ExecutionContext): { peer: Peer; c: Sock } {
  const peer = Peer.listen();
  t.teardown(() => peer.stop());
  peer.accept();
  const [c, err] = socket.connect('127.0.0.1', peer.port);
  if (!c) throw new Error(`connect: ${err}`);
  t.teardown(() => c.close());
  c.settimeout(5);
  return { peer, c };
}

/** Blocks until bytes (or EOF) reached the library for `c`. */
function arrived(t: ExecutionContext, c: Sock): void {
  t.deepEqual(socket.select([c], null, 5)[0], [c], 'data reached the client');
}

function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, performance.now() - t0];
}

test.serial('maxsize: invalid arguments raise before any I/O and leave the stream intact', (t) => {
  const { peer, c } = pair(t);
  peer.send('0123456789\n').result();
  arrived(t, c);
  const receive = (...a: unknown[]) => (c.receive as AnyFn).apply(c, a);
  const bad = (args: unknown[], message: string) =>
    t.throws(() => receive(...args), { instanceOf: socket.LuaError, message }, JSON.stringify(args));
  bad(['*l', null, 0], "bad argument #3 to 'receive' (maxsize must be at least 1)");
  bad(['*a', null, -5], "bad argument #3 to 'receive' (maxsize must be at least 1)");
  bad(['*l', null, 0.5], "bad argument #3 to 'receive' (maxsize must be at least 1)");
  bad(['*l', null, Number.NaN], "bad argument #3 to 'receive' (maxsize must be at least 1)");
  bad(['*l', null, 'ten'], "bad argument #3 to 'receive' (number expected, got string)");
  bad(['*l', null, {}], "bad argument #3 to 'receive' (number expected, got table)");
  bad(['*l', 'abcd', 4], "bad argument #2 to 'receive' (prefix must be shorter than maxsize)");
  bad(['*l', 'abcdef', 4], "bad argument #2 to 'receive' (prefix must be shorter than maxsize)");
  bad(['*a', 'é', 2], "bad argument #2 to 'receive' (prefix must be shorter than maxsize)"); // 2 bytes in UTF-8
  bad([10, null, 5], "bad argument #1 to 'receive' (pattern larger than maxsize)");
  bad(['10', null, 5], "bad argument #1 to 'receive' (pattern larger than maxsize)");
  bad([6, 'ab', '5'], "bad argument #1 to 'receive' (pattern larger than maxsize)");
  t.deepEqual(c.getstats()[0], 0, 'nothing was consumed');
  t.deepEqual(c.dirty(), [false], 'not even a fill happened');
  t.deepEqual(c.receive('*l', null, 11), ['0123456789'], 'the stream is intact');
  t.deepEqual(c.getstats()[0], 11);
});

test.serial(
  "maxsize: a line longer than maxsize gives 'oversized' with exactly maxsize bytes, and the rest of the line is still there",
  (t) => {
    const { peer, c } = pair(t);
    peer.send('abcdefghij\nnext\n').result();
    arrived(t, c);
    t.deepEqual(c.receive('*l', null, 4), [null, 'oversized', 'abcd']);
    t.deepEqual(c.receive('*l', 'AB', 4), [null, 'oversized', 'ABef'], 'the prefix counts towards maxsize');
    t.deepEqual(c.receive('*l', null, 4), ['ghij']);
    t.deepEqual(c.receive('*l', null, 4), ['next']);
    t.deepEqual(c.getstats()[0], 16, 'every byte consumed exactly once');
  },
);

test.serial('maxsize: a long line read in maxsize pieces across many fills loses and repeats nothing', (t) => {
  const { peer, c } = pair(t);
  const b = c.setencoding('latin1');
  // 200 KiB of bytes without LF or CR, then LF.
  const line = Buffer.from(randomBytes(200 * 1024).map((x) => (x === 10 || x === 13 ? 65 : x))).toString('latin1');
  peer.send(`${line}\ntail\n`);
  const MAX = 30000;
  let got = '';
  for (;;) {
    const r = b.receive('*l', null, MAX);
    if (r[0] !== null) {
      got += r[0];
      break;
    }
    t.is(r[1], 'oversized');
    t.is(r[2].length, MAX, 'exactly maxsize bytes each time');
    got += r[2];
  }
  t.is(got.length, line.length);
  t.true(got === line, 'the pieces join into the line');
  t.deepEqual(b.receive('*l', null, MAX), ['tail']);
});

test.serial('maxsize: a line of exactly maxsize bytes succeeds; CRs do not count', (t) => {
  const { peer, c } = pair(t);
  peer.send('abcd\nab\r\rcd\r\na\rb\rc\rd\re\n').result();
  arrived(t, c);
  t.deepEqual(c.receive('*l', null, 4), ['abcd']);
  t.deepEqual(c.receive('*l', null, 4), ['abcd'], 'CRs are dropped and not counted');
  t.deepEqual(c.receive('*l', null, 4), [null, 'oversized', 'abcd']);
  t.deepEqual(c.receive('*l', null, 4), ['e'], 'after the cut, the line goes on (its CRs dropped as always)');
});

test.serial('maxsize: a line of exactly maxsize bytes succeeds when its LF comes in a later segment', (t) => {
  const { peer, c } = pair(t);
  peer.send('abcd').result();
  arrived(t, c);
  // The LF follows shortly: the line is exactly maxsize long, so the call must wait for it.
  peer.sleep(200);
  peer.send('\n');
  const [r, ms] = timed(() => c.receive('*l', null, 4));
  t.deepEqual(r, ['abcd'], `after ${Math.round(ms)} ms`);
});

test.serial("maxsize: a timeout partial is always shorter than maxsize; at the cap the answer is 'oversized'", (t) => {
  const { peer, c } = pair(t);
  c.settimeout(0.2);
  peer.send('abc').result();
  arrived(t, c);
  const [r1, ms1] = timed(() => c.receive('*l', null, 4));
  t.deepEqual(r1, [null, 'timeout', 'abc']);
  t.true(ms1 >= 150 && ms1 < 1500, `timed out after ${Math.round(ms1)} ms`);
  peer.send('d').result();
  arrived(t, c);
  const [r2, ms2] = timed(() => c.receive('*l', 'abc', 4));
  t.deepEqual(r2, [null, 'oversized', 'abcd'], 'never a timeout partial of maxsize bytes');
  t.true(ms2 < 1500, `answered after ${Math.round(ms2)} ms`);
  peer.send('efgh').result();
  arrived(t, c);
  const [r3, ms3] = timed(() => c.receive('*a', null, 6));
  t.deepEqual(r3, [null, 'timeout', 'efgh'], "'*a' too");
  t.true(ms3 >= 150 && ms3 < 1500, `timed out after ${Math.round(ms3)} ms`);
  peer.send('ij').result();
  arrived(t, c);
  t.deepEqual(c.receive('*a', 'efgh', 6), [null, 'oversized', 'efghij']);
});

test.serial("maxsize: '*a' over the cap gives 'oversized' with maxsize bytes; the rest stays readable", (t) => {
  const { peer, c } = pair(t);
  peer.send('abcdefghij').result();
  arrived(t, c);
  t.deepEqual(c.receive('*a', null, 4), [null, 'oversized', 'abcd']);
  t.deepEqual(c.receive(6), ['efghij']);
  peer.send('klmn').result();
  peer.shutdown();
  t.deepEqual(c.receive('*a', null, 10), ['klmn'], 'below the cap, the end of the stream completes it');
});

test.serial("maxsize: '*a' that completes exactly at the cap succeeds, even when the peer's close comes after the bytes", (t) => {
  const { peer, c } = pair(t);
  peer.send('abcd').result();
  arrived(t, c);
  // The stream ends shortly after: the payload is exactly maxsize, so completion wins.
  peer.sleep(200);
  peer.shutdown();
  const [r, ms] = timed(() => c.receive('*a', null, 4));
  t.deepEqual(r, ['abcd'], `after ${Math.round(ms)} ms`);
});

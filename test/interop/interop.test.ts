/**
 * This package against the real LuaSocket (lua5.4 + lua-socket 3.1.0), in both directions:
 * this package's client against a LuaSocket server, and a LuaSocket client against this
 * package's server. The Lua half of every exchange is in lua-peer.lua (it checks what it
 * receives and prints a result line); the TypeScript half is below. Loopback only.
 */
import test, { type ExecutionContext } from 'ava';
import type { TcpSocket } from '../../src/index.js';
import * as socket from '../../src/index.js';
import { allBytes, Child, checksum, generate, luaStatus, skipTitle } from './lua.js';

type Conn = TcpSocket<string>;
type Half = (t: ExecutionContext, conns: Conn[]) => void;

const TIMEOUT = 15;
const MiB = 1048576;

/** Stops a loop that would otherwise wait forever on a broken peer. */
function mustBeReady<T>(r: [T[], T[]] | [T[], T[], 'timeout'], what: string): [T[], T[]] {
  if (r.length === 3) throw new Error(`${what}: select timed out`);
  return r;
}

/**
 * Runs `scenario` with lua-peer.lua playing `luaRole`, and `half` on this package's side
 * over `n` connections. Returns the Lua side's result object (it must exit with 0).
 */
async function exchange(t: ExecutionContext, luaRole: 'server' | 'client', scenario: string, n: number, half: Half) {
  let child: Child | null = null;
  let srv: TcpSocket | null = null;
  const conns: Conn[] = [];
  try {
    if (luaRole === 'server') {
      child = Child.lua('lua-peer.lua', ['server', scenario]);
      const m = /^port (\d+)$/.exec(await child.line());
      if (!m) throw new Error('lua-peer.lua did not print its port');
      for (let i = 0; i < n; i++) {
        const [c, err] = socket.connect('127.0.0.1', Number(m[1]));
        if (!c) throw new Error(`connect to the LuaSocket server: ${err}`);
        conns.push(c.setencoding('latin1'));
      }
    } else {
      const [s, err] = socket.bind('127.0.0.1', 0);
      if (!s) throw new Error(`bind: ${err}`);
      srv = s;
      s.settimeout(TIMEOUT);
      const port = s.getsockname()[1];
      child = Child.lua('lua-peer.lua', ['client', scenario, String(port)]);
      for (let i = 0; i < n; i++) {
        // The server is reported readable once the LuaSocket client's connection is pending.
        t.deepEqual(socket.select([s], null, TIMEOUT), [[s], []]);
        const [c, aerr] = s.accept();
        if (!c) throw new Error(`accept: ${aerr}`);
        conns.push(c.setencoding('latin1'));
      }
      s.close();
    }
    for (const c of conns) c.settimeout(TIMEOUT);
    try {
      half(t, conns);
    } catch (e) {
      // Often the consequence of the Lua side giving up: show why it did.
      for (const c of conns) c.close();
      const ex = await child.exit(10000).catch(() => null);
      throw new Error(`${(e as Error).message}; lua-peer.lua: ${ex ? ex.stderr || `exit ${ex.code}` : 'still running'}`);
    }
    for (const c of conns) c.close();
    const ex = await child.exit(30000);
    t.is(ex.code, 0, `lua-peer.lua failed: ${ex.stderr}`);
    const line = ex.stdout.split('\n').find((l) => l.startsWith('result '));
    if (!line) throw new Error(`no result from lua-peer.lua: ${ex.stdout} ${ex.stderr}`);
    return JSON.parse(line.slice(7)) as Record<string, unknown>;
  } finally {
    for (const c of conns) c.close();
    srv?.close();
    child?.kill();
  }
}

// ------------------------------------------------------------------ this package's halves

const lines: Half = (t, [c]) => {
  if (!c) return;
  const long = 'L'.repeat(100000);
  const huge = '0123456789'.repeat(300000);
  const want = ['alpha', 'beta', '', '', 'tab\tand spaces  ', 'crinside', long, huge, 'last'];
  want.forEach((w, i) => {
    const [got, err] = c.receive(i % 2 === 0 ? '*l' : undefined);
    // (t.is on a 3 MB string would print all of it on failure)
    t.true(got === w, `line ${i + 1} (${w.length} bytes): ${got === null ? err : `${got.length} bytes, different`}`);
  });
  const out = ['one\n', 'two\r\n', '\n', 'x\r\ry\r\n', `${'M'.repeat(70000)}\n`, `${'9876543210'.repeat(300000)}\n`, 'end\r\n'];
  for (const l of out) t.deepEqual(c.send(l), [l.length]);
};

const binary: Half = (t, [c]) => {
  if (!c) return;
  const block = allBytes(64).toString('latin1');
  t.deepEqual(c.receive(block.length), [block], 'every byte value, 64 times');
  t.deepEqual(c.send(block), [block.length]);
  const noLF = allBytes(1).toString('latin1').replace(/\n/g, '');
  t.deepEqual(c.receive(), [noLF.replace(/\r/g, '')], 'a binary line comes back without its CR bytes');
  t.deepEqual(c.send(allBytes(2).subarray(256)), [256], 'a Buffer is sent as raw bytes');
  t.deepEqual(c.send(`${noLF}\n`), [256]);
};

const bulk: Half = (t, [c]) => {
  if (!c) return;
  const size = 32 * MiB + 12;
  const out = generate(size);
  const sum = checksum(out);
  const b = c.setencoding('buffer');
  const [got, err] = b.receive(size);
  if (!got) throw new Error(`bulk receive: ${err}`);
  c.setencoding('latin1');
  t.is(got.length, size);
  t.is(checksum(got), sum, 'checksum of the 32 MiB received');
  const hashLine = `hash ${got.length} ${checksum(got)}\n`;
  t.deepEqual(c.send(hashLine), [hashLine.length]);
  t.deepEqual(c.send(out), [size]);
  t.deepEqual(c.receive(), [`hash ${size} ${sum}`], 'checksum computed by LuaSocket on what it received');
  // 16 MiB more, read in small pieces of an odd size.
  const size2 = 16 * MiB;
  const parts: Buffer[] = [];
  let n = 0;
  c.setencoding('buffer');
  while (n < size2) {
    const [p, perr] = b.receive(Math.min(4093, size2 - n));
    if (!p) throw new Error(`piece at ${n}: ${perr}`);
    parts.push(p);
    n += p.length;
  }
  c.setencoding('latin1');
  const got2 = Buffer.concat(parts);
  t.is(checksum(got2), checksum(generate(size2)), 'checksum of 16 MiB read in 4093-byte pieces');
  c.send(`hash ${got2.length} ${checksum(got2)}\n`);
};

const all: Half = (t, [c]) => {
  if (!c) return;
  const b = c.setencoding('buffer');
  const [got, err] = b.receive('*a');
  c.setencoding('latin1');
  if (!got) throw new Error(`'*a': ${err}`);
  t.is(got.length, 5 * MiB);
  t.is(checksum(got), checksum(generate(5 * MiB)));
  t.deepEqual(c.receive('*a'), [null, 'closed', ''], "a second '*a' reports closed");
  const out = generate(3 * MiB + 1);
  t.deepEqual(c.send(out), [out.length]);
  t.deepEqual(c.close(), [1]);
};

const LINE_PIECES = ['ab', 'cd\r', 'ef', 'gh\n'];
const COUNT_PIECES = ['12345', '67890', 'abcde'];

/** Reads `pieces` (sent one at a time by the peer) with timeout 0, resuming from each partial. */
function readPieces(t: ExecutionContext, c: Conn, pieces: string[], pattern: '*l' | number, final: string): number {
  let acc = '';
  let sofar = '';
  let timeouts = 0;
  pieces.forEach((piece, k) => {
    sofar += piece;
    const want = pattern === '*l' ? sofar.replace(/[\r\n]/g, '') : sofar;
    c.settimeout(0);
    for (;;) {
      mustBeReady(socket.select([c], null, TIMEOUT), `piece ${k + 1}`);
      const r = c.receive(pattern, acc);
      if (r[0] !== null) {
        t.is(k, pieces.length - 1, 'complete only after the last piece');
        t.is(r[0], final);
        break;
      }
      t.is(r[1], 'timeout');
      timeouts++;
      acc = r[2] as string;
      if (acc === want) break;
    }
    c.settimeout(TIMEOUT);
    if (k < pieces.length - 1) t.deepEqual(c.send('next\n'), [5]);
  });
  return timeouts;
}

function sendPieces(t: ExecutionContext, c: Conn, pieces: string[]): void {
  pieces.forEach((piece, k) => {
    t.deepEqual(c.send(piece), [piece.length]);
    if (k < pieces.length - 1) t.deepEqual(c.receive(), ['next']);
  });
}

const partial: Half = (t, [c]) => {
  if (!c) return;
  t.true(readPieces(t, c, LINE_PIECES, '*l', 'abcdefgh') >= LINE_PIECES.length - 1);
  t.true(readPieces(t, c, COUNT_PIECES, 15, '1234567890abcde') >= COUNT_PIECES.length - 1);
  sendPieces(t, c, LINE_PIECES);
  sendPieces(t, c, COUNT_PIECES);
};

const sendidx: Half = (t, [data, ctl]) => {
  if (!data || !ctl) return;
  const size = 16 * MiB;
  const out = generate(size);
  data.settimeout(0);
  let last = 0;
  let timeouts = 0;
  let signalled = false;
  for (;;) {
    const r = data.send(out, last + 1);
    if (r[0] !== null) {
      t.is(r[0], size, 'the last index is the size');
      break;
    }
    t.is(r[1], 'timeout');
    const idx = r[2] as number;
    t.true(idx >= last && idx < size, `index ${idx} after ${last}`);
    last = idx;
    timeouts++;
    if (!signalled) {
      ctl.send('go\n');
      signalled = true;
    }
    mustBeReady(socket.select(null, [data], TIMEOUT), 'waiting to send');
  }
  if (!signalled) ctl.send('go\n');
  t.true(timeouts >= 1, 'at least one timeout while the peer was not reading');
  data.settimeout(TIMEOUT);
  t.deepEqual(ctl.receive(), [`hash ${size} ${checksum(out)}`], 'checksum computed by LuaSocket');
  // LuaSocket's turn to send with timeout 0: we read only after its first timeout.
  t.deepEqual(ctl.receive(), ['go']);
  const [got, err] = data.setencoding('buffer').receive(size);
  data.setencoding('latin1');
  if (!got) throw new Error(`receive: ${err}`);
  t.is(checksum(got), checksum(out));
  ctl.send(`hash ${got.length} ${checksum(got)}\n`);
};

const shutdown: Half = (t, [a, b]) => {
  if (!a || !b) return;
  t.deepEqual(a.send('request'), [7]);
  t.deepEqual(a.shutdown('send'), [1]);
  t.deepEqual(a.send('more'), [null, 'closed', 0], 'sending after shutdown("send")');
  t.deepEqual(a.receive('*a'), ['response'], 'the other direction still works');
  t.deepEqual(a.receive(), [null, 'closed', '']);
  t.deepEqual(b.receive('*a'), ['question'], "'*a' ends at the peer's half-close");
  t.deepEqual(b.send('answer'), [6]);
  t.deepEqual(b.shutdown('both'), [1]);
  t.deepEqual(b.receive(), [null, 'closed', '']);
  t.deepEqual(b.send('x'), [null, 'closed', 0]);
};

const select: Half = (t, conns) => {
  const [c1, c2, c3] = conns;
  if (!c1 || !c2 || !c3) return;
  const byFd = [...conns].sort((x, y) => x.getfd()[0] - y.getfd()[0]);
  t.deepEqual(socket.select(null, conns, 0), [[], byFd], 'all writable, in descriptor order');
  const t0 = performance.now();
  t.deepEqual(socket.select(conns, null, 0.2), [[], [], 'timeout']);
  const dt = performance.now() - t0;
  t.true(dt >= 150 && dt < 1500, `select timeout took ${dt} ms`);
  for (const k of [1, 2, 0]) {
    const c = conns[k] as Conn;
    t.deepEqual(c.send(`ping ${k + 1}\n`), [7]);
    t.deepEqual(socket.select(conns, null, TIMEOUT), [[c], []], `only connection ${k + 1} is readable`);
    t.deepEqual(c.receive(), [`pong ${k + 1}`]);
  }
  c1.send('ping 1\n');
  c3.send('ping 3\n');
  const seen = new Set<Conn>();
  while (seen.size < 2) {
    const [r] = mustBeReady(socket.select(conns, null, TIMEOUT), 'two pongs');
    for (const c of r) {
      t.true(c === c1 || c === c3, 'only the pinged connections become readable');
      t.deepEqual(c.receive(), [c === c1 ? 'pong 1' : 'pong 3']);
      seen.add(c);
    }
  }
  c2.send('dirty\n');
  t.deepEqual(socket.select(conns, null, TIMEOUT), [[c2], []]);
  t.deepEqual(c2.receive(), ['x']);
  t.deepEqual(c2.dirty(), [true], 'the second line waits in the input buffer');
  const t1 = performance.now();
  t.deepEqual(socket.select(conns, null, TIMEOUT), [[c2], []], 'a dirty connection is readable at once');
  t.true(performance.now() - t1 < 1000);
  t.deepEqual(c2.receive(), ['y']);
  t.deepEqual(c1.send('bye\n'), [4]);
};

// ------------------------------------------------------------------ the tests

const scenarios: Array<[string, number, Half, (t: ExecutionContext, r: Record<string, unknown>) => void]> = [
  ['lines', 1, lines, (t, r) => t.is(r.lines, 7)],
  ['binary', 1, binary, (t, r) => t.is(r.bytes, 16384)],
  ['bulk', 1, bulk, (t, r) => t.is(r.checksum, checksum(generate(32 * MiB + 12)))],
  ['all', 1, all, (t, r) => t.is(r.checksum, checksum(generate(3 * MiB + 1)))],
  ['partial', 1, partial, (t, r) => t.true((r.lineTimeouts as number) >= 3 && (r.countTimeouts as number) >= 2)],
  ['sendidx', 2, sendidx, (t, r) => t.true((r.timeouts as number) >= 1)],
  ['shutdown', 2, shutdown, (t, r) => t.is(r.ok, true)],
  ['select', 3, select, (t, r) => t.is(r.pongs, 5)],
];

const titles: Record<string, string> = {
  lines: 'lines with LF and CRLF',
  binary: 'binary data with every byte value',
  bulk: '32 MiB each way with a checksum on both sides',
  all: "'*a' until close",
  partial: 'partial reads resumed with the prefix (timeout 0)',
  sendidx: 'send resumed from the returned index (timeout 0)',
  shutdown: 'shutdown("send") and shutdown("both")',
  select: 'select over three connections',
};

const status = luaStatus();
if (!status.ok) {
  test.skip(skipTitle(status), () => {});
} else {
  for (const [name, n, half, check] of scenarios) {
    test.serial(`${titles[name]}: this package's client, LuaSocket server`, async (t) => {
      check(t, await exchange(t, 'server', name, n, half));
    });
    test.serial(`${titles[name]}: LuaSocket client, this package's server`, async (t) => {
      check(t, await exchange(t, 'client', name, n, half));
    });
  }
}

/**
 * The paths the performance work changed, checked for what they must keep: every byte, in
 * order, exactly once. Streams several times the 1 MiB rx ring (the worker stops reading
 * while the ring is nearly full and resumes when the script frees it), '*a' of tens of
 * MiB, and sends of strings in each encoding whose byte length differs from their length.
 * Real loopback connections against the scripted peer; nothing here is timed.
 */
import { createHash } from 'node:crypto';
import test from 'ava';
import { literalAnswer } from '../src/engine/native/native-resolve.js';
import * as socket from '../src/index.js';
import { native } from '../src/native.js';
import { pair } from './helpers/client.js';

const MiB = 1 << 20;

/**
 * `n` bytes of a pattern with a period that is not a power of two (a misplaced piece shows),
 * without CR or LF ('*l' would drop or cut at them).
 */
function pattern(n: number, seed = 0): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) {
    const v = (i * 7 + seed + (i >>> 11)) % 251;
    b[i] = v === 10 || v === 13 ? 65 : v;
  }
  return b;
}

function sha(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

test.serial(
  'a stream 12 times the ring, read in mixed pieces after the ring filled, arrives whole; the end comes after the last byte',
  (t) => {
    const { peer, c } = pair(t);
    const b = c.setencoding('buffer');
    const data = pattern(12 * MiB);
    // Lines at known places, so '*l' has something to cut.
    for (let i = 5000; i < data.length; i += 70001) data[i] = 10;
    peer.send(data);
    peer.close();
    b.settimeout(10);
    // Give the worker time to fill the ring and stop reading (not asserted: correctness is).
    t.deepEqual(socket.select([b], null, 5)[0], [b]);
    socket.sleep(0.2);
    const parts: Buffer[] = [];
    let got = 0;
    const sizes = [1, 8191, 8192, 8193, 65536, 300000, 1 << 20, 3];
    for (let k = 0; got < data.length - 2 * MiB; k++) {
      if (k % 3 === 2) {
        const [line, err] = b.receive('*l');
        t.truthy(line, String(err));
        parts.push(line as Buffer, Buffer.from('\n'));
        got += (line as Buffer).length + 1;
        continue;
      }
      const [piece, err] = b.receive(sizes[k % sizes.length] as number);
      t.truthy(piece, String(err));
      parts.push(piece as Buffer);
      got += (piece as Buffer).length;
    }
    const [rest, err] = b.receive('*a');
    t.is(err, undefined);
    parts.push(rest as Buffer);
    const all = Buffer.concat(parts);
    t.is(all.length, data.length);
    t.is(sha(all), sha(data), 'every byte, in order');
    t.deepEqual(b.receive(1), [null, 'closed', Buffer.alloc(0)]);
  },
);

test.serial("'*a' of 40 MiB with a prefix: one Buffer of every byte in order; then 'closed'", (t) => {
  const { peer, c } = pair(t);
  const b = c.setencoding('buffer');
  const data = pattern(40 * MiB, 3);
  peer.send(data);
  peer.close();
  b.settimeout(20);
  const prefix = Buffer.from('prefix:');
  const [all, err] = b.receive('*a', prefix);
  t.is(err, undefined);
  t.true(Buffer.isBuffer(all));
  t.is((all as Buffer).length, prefix.length + data.length);
  t.is(sha(all as Buffer), sha(Buffer.concat([prefix, data])), 'every byte, in order');
  t.deepEqual(b.receive('*a'), [null, 'closed', Buffer.alloc(0)]);
});

test.serial("'*a' of 20 MiB as a latin1 string: one char per byte", (t) => {
  const { peer, c } = pair(t);
  const l = c.setencoding('latin1');
  const data = pattern(20 * MiB, 5);
  peer.send(data);
  peer.close();
  l.settimeout(20);
  const [all, err] = l.receive('*a');
  t.is(err, undefined);
  t.is((all as string).length, data.length);
  t.is(sha(Buffer.from(all as string, 'latin1')), sha(data));
});

test.serial("'*a' with a maxsize below a 12 MiB stream: 'oversized' with exactly maxsize bytes, the rest stays readable", (t) => {
  const { peer, c } = pair(t);
  const b = c.setencoding('buffer');
  const data = pattern(12 * MiB, 9);
  peer.send(data);
  peer.close();
  b.settimeout(20);
  const max = 5 * MiB + 7;
  const [none, err, partial] = b.receive('*a', 'ab', max);
  t.is(none, null);
  t.is(err, 'oversized');
  t.is((partial as Buffer).length, max);
  t.is(sha(partial as Buffer), sha(Buffer.concat([Buffer.from('ab'), data.subarray(0, max - 2)])));
  const [rest] = b.receive('*a');
  t.is(sha(rest as Buffer), sha(data.subarray(max - 2)), 'the rest, from the first byte not returned');
});

/** Strings whose byte length is not their length, in each encoding that sends them. */
const MIXED = 'aé€😀\u00ff\ud800z'; // 1, 2, 3, 4 bytes; a latin1 char; a lone surrogate (EF BF BD)

test.serial('strings are sent as their bytes, with ranges: UTF-8 (1- to 4-byte characters, lone surrogates) and latin1', (t) => {
  const { peer, c } = pair(t);
  c.settimeout(5);
  const cases: Array<['utf8' | 'latin1' | 'buffer', string, number | undefined, number | undefined]> = [
    ['utf8', MIXED, undefined, undefined],
    ['utf8', MIXED, 2, 7],
    ['utf8', MIXED, -5, -2],
    ['buffer', MIXED.repeat(3000), 10, -10],
    ['latin1', 'x\u00e9\u00ff\u0080y'.repeat(20000), 3, undefined],
    ['utf8', 'short', undefined, undefined],
  ];
  for (const [enc, s, i, j] of cases) {
    const bytes = Buffer.from(s, enc === 'latin1' ? 'latin1' : 'utf8');
    const size = bytes.length;
    const from = i === undefined ? 1 : i < 0 ? size + i + 1 : i;
    const to = j === undefined ? size : j < 0 ? size + j + 1 : j;
    const want = bytes.subarray(from - 1, to);
    const got = peer.recv(want.length);
    c.setencoding(enc);
    t.deepEqual(c.send(s, i, j), [to], `${enc} ${s.length} chars`);
    t.is(got.result().data, want.toString('latin1'), `${enc} ${s.length} chars: the bytes`);
  }
});

for (const [enc, unit, count] of [
  ['utf8', MIXED, 100_000], // 1.7 MB, worst case 2.4 MB: encoded in the reused buffer
  ['utf8', MIXED, 600_000], // 10 MB: a buffer of its own
  ['latin1', 'x\u00e9\u00ff\u0080y', 400_000], // 2 MB: the reused buffer
] as const) {
  test.serial(`a ${enc} string send that times out resumes from its byte index: every byte once (${count} x ${unit.length} chars)`, (t) => {
    const { peer, c } = pair(t);
    c.setencoding(enc);
    const s = unit.repeat(count);
    const bytes = Buffer.from(s, enc);
    peer.pause().result();
    // Fill the kernel's buffers first, so the string's send cannot complete.
    const filler = Buffer.alloc(64 << 20, 0x2e);
    c.settimeout(0.2);
    const f = c.send(filler);
    t.is(f[1], 'timeout');
    const fillerSent = f[2] as number;
    const r1 = c.send(s);
    t.deepEqual([r1[0], r1[1]], [null, 'timeout']);
    let last = r1[2] as number;
    t.true(last >= 0 && last < bytes.length, `last ${last} of ${bytes.length}`);
    peer.resume();
    const all = peer.recv(fillerSent + bytes.length, 20000);
    // The index is in bytes (it may fall inside a character), as in Lua.
    c.settimeout(10);
    for (let round = 0; last < bytes.length && round < 100; round++) {
      const r = c.send(s, last + 1);
      last = r[0] ?? (r[2] as number);
    }
    t.is(last, bytes.length);
    const got = all.result(20000).data as string;
    t.is(got.length, fillerSent + bytes.length);
    t.true(got.slice(fillerSent) === bytes.toString('latin1'), 'the peer got every byte of the string once, in order');
  });
}

test('the resolver shortcut for IPv4 literals gives exactly what getaddrinfo gives, and stands aside otherwise', (t) => {
  if (native === null) {
    t.pass('no native helper: the native engine is not in use');
    return;
  }
  const hosts = [
    '127.0.0.1',
    '0.0.0.0',
    '255.255.255.255',
    '10.20.30.40',
    '127.1',
    '010.0.0.1',
    '1.2.3.04',
    '256.1.1.1',
    '999.1.1.1',
    '1.2.3',
    '1.2.3.4.5',
    '::1',
    'localhost',
    '0x7f.0.0.1',
    '1.2.3.4 ',
  ];
  const ports = ['0', '80', '080', '65535', '65536', '70000', '', ' 80', '+80', 'http', '99999'];
  let shortcuts = 0;
  for (const host of hosts) {
    for (const port of ports) {
      for (const family of [0, 4, 6] as const) {
        for (const passive of [false, true]) {
          const fast = literalAnswer(host, port, family);
          if (fast === null) continue;
          shortcuts += 1;
          const [code, list] = native.getaddrinfo(host, port, family, passive);
          t.is(code, 0, `${host} ${port} ${family}: getaddrinfo fails, the shortcut answered`);
          t.deepEqual(
            fast.ok ? fast.list : null,
            list.map(([f, address, p]) => ({ family: f, address, port: p })),
            `${host} ${port} ${family} ${passive}`,
          );
        }
      }
    }
  }
  t.true(shortcuts >= 40, `the shortcut answered ${shortcuts} cases`);
  // Forms glibc reads differently (octal, short, out of range) are never shortcut.
  for (const host of ['127.1', '010.0.0.1', '1.2.3.04', '256.1.1.1', '999.1.1.1', '0x7f.0.0.1'])
    t.is(literalAnswer(host, '80', 0), null, host);
  for (const port of ['65536', '70000', '', ' 80', '+80', 'http']) t.is(literalAnswer('127.0.0.1', port, 0), null, port);
  t.is(literalAnswer('127.0.0.1', '80', 6), null);
});

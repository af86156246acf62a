/**
 * The paths the performance work changed, checked for what they must keep: every byte, in
 * order, exactly once. Streams several times the 1 MiB rx ring (the worker stops reading
 * while the ring is nearly full and resumes when the script frees it), '*a' of tens of
 * MiB, and sends of strings in each encoding whose byte length differs from their length.
 * Real loopback connections against the scripted peer; nothing here is timed.
 */
import { createHash } from 'node:crypto';
import test from 'ava';
import * as socket from '../src/index.js';
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

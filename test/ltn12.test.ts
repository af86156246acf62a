/**
 * socket.ltn12: sources, sinks, filters and pumps. The expected chunk sequences of the
 * chained cases were produced by LuaSocket 3.1.0's ltn12.lua (lua5.4) with the same
 * filters written in Lua.
 */
// The package entry first, as users load it (src/http/ imports it back).
import '../src/index.js';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { type Chunk, type Filter, ltn12, type Source } from '../src/http/index.js';
import * as socket from '../src/index.js';

const text = (c: Chunk | null): string | null => (c === null ? null : Buffer.from(c).toString());

/** Pumps `src` into a table sink: the pump's result and the chunks as strings. */
function drain(src: Source): { r: unknown[]; chunks: Array<string | null> } {
  const [sink, chunks] = ltn12.sink.table();
  const r = ltn12.pump.all(src, sink);
  return { r, chunks: chunks.map(text) };
}

/** A filter that hands its input on in pieces of `n` bytes. */
function splitter(n: number): Filter {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    if (chunk === null) {
      if (pending.length === 0) return [null];
      const out = pending.subarray(0, n);
      pending = pending.subarray(n);
      return [out];
    }
    pending = Buffer.concat([pending, Buffer.from(chunk)]);
    if (pending.length < n) return [''];
    const out = pending.subarray(0, n);
    pending = pending.subarray(n);
    return [out];
  };
}

const upper: Filter = (c) => [c === null ? null : Buffer.from(c).toString().toUpperCase()];

test('source.string gives BLOCKSIZE-byte Buffers of the UTF-8 bytes, then [null]', (t) => {
  const saved = ltn12.BLOCKSIZE;
  ltn12.BLOCKSIZE = 3;
  try {
    const [src] = ltn12.source.string('abcdé');
    t.deepEqual(src(), [Buffer.from('abc')]);
    t.deepEqual(src(), [Buffer.from([0x64, 0xc3, 0xa9])]);
    t.deepEqual(src(), [null]);
    t.deepEqual(src(), [null]);
    t.deepEqual(ltn12.source.string(null)[0](), [null]);
  } finally {
    ltn12.BLOCKSIZE = saved;
  }
});

test('source.chain through filter.chain (upper, then pieces of 4)', (t) => {
  const [f] = ltn12.filter.chain(upper, splitter(4));
  t.deepEqual(drain(ltn12.source.chain(ltn12.source.table(['hello', ' ', 'world'])[0], f)[0]), {
    r: [1],
    chunks: ['HELL', 'O WO', 'RLD'],
  });
  // The same with the filters given to source.chain directly.
  t.deepEqual(drain(ltn12.source.chain(ltn12.source.table(['hello', ' ', 'world'])[0], upper, splitter(4))[0]).chunks, [
    'HELL',
    'O WO',
    'RLD',
  ]);
});

test('filter.chain of two expanding filters', (t) => {
  const [f] = ltn12.filter.chain(splitter(5), splitter(2));
  t.deepEqual(drain(ltn12.source.chain(ltn12.source.table(['abcdefghijk', 'lm'])[0], f)[0]).chunks, [
    'ab',
    'cd',
    'ef',
    'gh',
    'ij',
    'kl',
    'm',
  ]);
});

test('sink.chain passes empty chunks on, as LuaSocket does', (t) => {
  const [table, chunks] = ltn12.sink.table();
  const [sink] = ltn12.sink.chain(splitter(3), table);
  t.deepEqual(ltn12.pump.all(ltn12.source.table(['abcdefg', 'hi'])[0], sink), [1]);
  t.deepEqual(chunks.map(text), ['abc', 'def', '', 'ghi', '']);
});

test('filter.cycle threads its context through a low-level filter', (t) => {
  const [f] = ltn12.filter.cycle<number, string>(
    (ctx, chunk, extra) => {
      if (chunk === null) return [null, ctx];
      if (chunk.length === 0) return ['', ctx];
      return [`${ctx}${extra}${text(chunk)}`, ctx + 1];
    },
    0,
    ':',
  );
  t.deepEqual(drain(ltn12.source.chain(ltn12.source.table(['a', 'b', 'c'])[0], f)[0]).chunks, ['0:a', '1:b', '2:c']);
});

test('source.cat concatenates sources and stops at an error', (t) => {
  const s = ltn12.source;
  const [src] = s.cat(s.string('ab')[0], s.empty()[0], s.string('cd')[0], s.error('bad')[0], s.string('x')[0]);
  t.deepEqual(drain(src), { r: [null, 'bad'], chunks: ['ab', 'cd'] });
});

test('source.rewind gives pushed-back chunks first, last pushed first', (t) => {
  const [src] = ltn12.source.rewind(ltn12.source.string('xyz')[0]);
  t.deepEqual(src(), [Buffer.from('xyz')]);
  t.deepEqual(src('A'), []);
  src('B');
  t.deepEqual(src(), ['B']);
  t.deepEqual(src(), ['A']);
  t.deepEqual(src(), [null]);
});

test('source.simplify and sink.simplify follow replacements', (t) => {
  const [src] = ltn12.source.simplify(() => [null, () => ['new', null]]);
  t.deepEqual(src(), ['new']);
  let seen: Array<Chunk | null> = [];
  const [table, chunks] = ltn12.sink.table();
  const [snk] = ltn12.sink.simplify((chunk) => {
    seen = [chunk];
    return [1, (c: Chunk | null) => table(c)];
  });
  snk('first');
  snk('second');
  t.deepEqual(seen, ['first']);
  t.deepEqual(chunks, ['second']);
});

test('pump.step results', (t) => {
  t.deepEqual(ltn12.pump.step(ltn12.source.empty()[0], ltn12.sink.null()[0]), [null]);
  t.deepEqual(ltn12.pump.step(ltn12.source.string('a')[0], ltn12.sink.error('nope')[0]), [null, 'nope']);
  t.deepEqual(ltn12.pump.step(ltn12.source.error('src')[0], ltn12.sink.error('snk')[0]), [null, 'src']);
  t.deepEqual(ltn12.pump.step(ltn12.source.string('a')[0], ltn12.sink.null()[0]), [1]);
  t.deepEqual(ltn12.pump.all(ltn12.source.string('abc')[0], ltn12.sink.error('full')[0]), [null, 'full']);
});

test("misbehaving filters raise LuaSocket's errors", (t) => {
  const [src] = ltn12.source.chain(ltn12.source.string('abc')[0], () => [null]);
  t.throws(() => src(), { instanceOf: socket.LuaError, message: 'filter returned inappropriate nil' });
  const [quiet] = ltn12.source.chain(ltn12.source.string('abc')[0], (c) => [c === null ? null : '']);
  t.deepEqual(quiet(), [null]);
  t.throws(() => quiet(), { instanceOf: socket.LuaError, message: 'source is empty!' });
  const pumpAll = ltn12.pump.all as unknown as (a: unknown, b: unknown) => unknown;
  t.throws(() => pumpAll(null, ltn12.sink.null()[0]), { instanceOf: socket.LuaError, message: 'assertion failed!' });
});

test('bare return values from user functions are accepted', (t) => {
  let n = 0;
  const src = (() => (n++ < 2 ? 'x' : undefined)) as unknown as Source;
  const { r, chunks } = drain(src);
  t.deepEqual(r, [1]);
  t.deepEqual(chunks, ['x', 'x']);
});

test('source.file and sink.file copy a file byte for byte (paths and descriptors)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ltn12-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const data = Buffer.from(Array.from({ length: 10000 }, (_, i) => (i * 7) & 0xff));
  writeFileSync(join(dir, 'in'), data);
  t.deepEqual(ltn12.pump.all(ltn12.source.file(join(dir, 'in'))[0], ltn12.sink.file(join(dir, 'out'))[0]), [1]);
  t.deepEqual(readFileSync(join(dir, 'out')), data);
  const fdIn = openSync(join(dir, 'in'), 'r');
  const fdOut = openSync(join(dir, 'out2'), 'w');
  t.deepEqual(ltn12.pump.all(ltn12.source.file(fdIn)[0], ltn12.sink.file(fdOut)[0]), [1]);
  t.deepEqual(readFileSync(join(dir, 'out2')), data);
});

test("file sources and sinks that cannot open are error sources and sinks with io.open's wording", (t) => {
  const missing = join(tmpdir(), 'ltn12-no-such-dir', 'x');
  t.deepEqual(ltn12.source.file(missing)[0](), [null, `${missing}: No such file or directory`]);
  t.deepEqual(ltn12.sink.file(missing)[0]('x'), [null, `${missing}: No such file or directory`]);
  t.deepEqual(ltn12.source.file(null)[0](), [null, 'unable to open file']);
  t.deepEqual(ltn12.sink.file(null, 'custom')[0]('x'), [null, 'custom']);
});

test('sink.table collects into a given array and returns it', (t) => {
  const mine: Chunk[] = ['already'];
  const [sink, same] = ltn12.sink.table(mine);
  t.is(same, mine);
  sink('more');
  sink(null);
  t.deepEqual(mine, ['already', 'more']);
});

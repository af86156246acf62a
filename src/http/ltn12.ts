/**
 * socket.ltn12: LuaSocket's LTN12 model ("LTN12 1.0.3") of sources, sinks, filters and
 * pumps, as plain JavaScript functions that follow the package's contract:
 *
 * - a source is `() => [chunk] | [null] | [null, err]` (`[null]`: no more data);
 * - a sink is `(chunk, err) => [1] | [null, err]` (chunk `null`: end of data);
 * - a filter is `(chunk) => [chunk]` (chunk `null`: end of data; `''` or an empty Buffer
 *   means "nothing now", as Lua's empty string);
 * - constructors return arrays too: `const [src] = ltn12.source.string('abc')`,
 *   `const [snk, chunks] = ltn12.sink.table()`.
 *
 * Chunks are bytes: every source this package makes yields Buffers (exact bytes, no limit
 * on size, no decoding cost); strings are accepted wherever a chunk goes in and stand for
 * their UTF-8 bytes, the package's default text encoding. Functions written by users may
 * also return a bare value instead of a one-element array, and `undefined` for nil.
 */
import { LuaError } from '../index.js';
import { fileSink, fileSource } from './ltn12-file.js';
import { bytesOf, truthy } from './lua.js';

export type Chunk = string | Uint8Array;
export type SourceResult = [Chunk] | [null] | [null, string];
export type Source = () => SourceResult;
export type SinkResult = [1] | [null] | [null, string];
export type Sink = (chunk: Chunk | null, err?: string | null) => SinkResult;
export type FilterResult = [Chunk | null];
export type Filter = (chunk: Chunk | null) => FilterResult | Chunk | null;
/** A low-level filter for filter.cycle: `(ctx, chunk, extra) => [filtered, newCtx]`. */
export type LowFilter<C, E> = (ctx: C, chunk: Chunk | null, extra: E) => [Chunk | null, C?];
export type StepResult = [1] | [null] | [null, string];
export type Step = (src: Source, snk: Sink) => StepResult;
/** A source that may replace itself: `[null, nextSource]` hands over to `nextSource`. */
export type FancySource = () => [Chunk | null, (string | FancySource | null)?];
/** A sink that may replace itself: `[1, nextSink]` hands over to `nextSink`. */
export type FancySink = (chunk: Chunk | null, err?: string | null) => [1 | null, (string | FancySink | null)?];
/** What source.file and sink.file accept: an open descriptor or a path. */
export type FileHandle = number | string;

/** Lua's `chunk == ""`: an empty chunk (nil is not empty). */
function isEmpty(c: Chunk | null | undefined): boolean {
  return c !== null && c !== undefined && c.length === 0;
}

/** The values a user function returned, as an array (a bare value counts as one). */
function values(r: unknown): unknown[] {
  return Array.isArray(r) ? r : [r];
}

function chunkOf(v: unknown): Chunk | null {
  return v === undefined || v === null || v === false ? null : (v as Chunk);
}

function errOf(v: unknown): string | null {
  return truthy(v) ? (v as string) : null;
}

function assert(v: unknown): void {
  if (!truthy(v)) throw new LuaError('assertion failed!');
}

function callFilter(f: Filter, chunk: Chunk | null): Chunk | null {
  return chunkOf(values(f(chunk))[0]);
}

/** Calls a source: the chunk (or null) and the error (or null). */
export function pull(src: Source): [Chunk | null, string | null] {
  const r = values(src());
  return [chunkOf(r[0]), errOf(r[1])];
}

/** Calls a sink: whether it accepted the chunk, and its error (or null). */
export function push(snk: Sink, chunk: Chunk | null, err: string | null): { ok: boolean; err: string | null } {
  const r = values(snk(chunk, err));
  return { ok: truthy(r[0]), err: errOf(r[1]) };
}

// ------------------------------------------------------------------ filters

function cycle<C, E>(low: LowFilter<C, E>, ctx?: C, extra?: E): [Filter] {
  assert(low);
  let state = ctx as C;
  return [
    (chunk) => {
      const r = values(low(state, chunk, extra as E));
      state = r[1] as C;
      return [chunkOf(r[0])];
    },
  ];
}

/**
 * One filter made of several, each fed what the previous one gives, with LTN12's rule
 * that an empty chunk means "call me again" and null means end of data.
 */
function chainFilters(...filters: Filter[]): [Filter] {
  const n = filters.length;
  let top = 0;
  let index = 0;
  let retry: Chunk | null = '';
  return [
    (input) => {
      let chunk = input;
      if (chunk === null) retry = null;
      for (;;) {
        const f = filters[index]!;
        if (index === top) {
          chunk = callFilter(f, chunk);
          if (isEmpty(chunk) || top === n - 1) return [chunk];
          if (chunk !== null) index += 1;
          else {
            top += 1;
            index = top;
          }
        } else {
          chunk = callFilter(f, chunk ?? '');
          if (isEmpty(chunk)) {
            index -= 1;
            chunk = retry;
          } else if (chunk !== null) {
            if (index === n - 1) return [chunk];
            index += 1;
          } else throw new LuaError('filter returned inappropriate nil');
        }
      }
    },
  ];
}

// ------------------------------------------------------------------ sources

const emptySource: Source = () => [null];

function sourceError(err: string): [Source] {
  return [() => [null, err]];
}

function sourceString(s?: Chunk | null): [Source] {
  if (s === null || s === undefined) return [emptySource];
  const bytes = bytesOf(s);
  let at = 0;
  return [
    () => {
      const size = Math.max(1, Math.trunc(ltn12.BLOCKSIZE));
      if (at >= bytes.length) return [null];
      const chunk = bytes.subarray(at, at + size);
      at += size;
      return [chunk];
    },
  ];
}

function sourceTable(t: ArrayLike<Chunk | null>): [Source] {
  if (typeof t !== 'object' || t === null) throw new LuaError('assertion failed!');
  let i = 0;
  return [() => [chunkOf(t[i++])] as SourceResult];
}

function sourceSimplify(src: FancySource): [Source] {
  assert(src);
  let current = src;
  return [
    () => {
      for (;;) {
        const [chunk, next] = values(current()) as [Chunk | null | undefined, string | FancySource | null | undefined];
        if (chunk !== null && chunk !== undefined) {
          if (typeof next === 'function') current = next;
          return [chunk];
        }
        // No chunk and a replacement: go on with the replacement at once (LuaSocket 3.1.0
        // would return the replacement in the error slot, ending a pump with it).
        if (typeof next !== 'function') return typeof next === 'string' ? [null, next] : [null];
        current = next;
      }
    },
  ];
}

/** A source whose chunks can be pushed back: `src(chunk)` stores one, `src()` reads. */
export type RewindSource = (chunk?: Chunk | null) => SourceResult | [];

function sourceRewind(src: Source): [RewindSource] {
  assert(src);
  const pushed: Chunk[] = [];
  return [
    (chunk?: Chunk | null) => {
      if (chunk === null || chunk === undefined) {
        const back = pushed.pop();
        return back === undefined ? (values(src()) as SourceResult) : [back];
      }
      pushed.push(chunk);
      return [];
    },
  ];
}

function sourceCat(...sources: Source[]): [Source] {
  const queue = [...sources];
  return [
    () => {
      while (queue.length > 0) {
        const [chunk, err] = pull(queue[0]!);
        if (chunk !== null) return [chunk];
        if (err !== null) return [null, err];
        queue.shift();
      }
      return [null];
    },
  ];
}

function sourceChain(src: Source, f: Filter, ...more: Filter[]): [Source] {
  const filter = more.length > 0 ? chainFilters(f, ...more)[0] : f;
  assert(src);
  assert(filter);
  let lastIn: Chunk | null = '';
  let lastOut: Chunk | null = '';
  let feeding = true;
  return [
    () => {
      if (lastOut === null) throw new LuaError('source is empty!');
      for (;;) {
        if (feeding) {
          const [chunk, err] = pull(src);
          lastIn = chunk;
          if (err !== null) return [null, err];
          lastOut = callFilter(filter, lastIn);
          if (lastOut === null) {
            if (lastIn !== null) throw new LuaError('filter returned inappropriate nil');
            return [null];
          }
          if (!isEmpty(lastOut)) {
            feeding = false;
            if (lastIn !== null) lastIn = '';
            return [lastOut];
          }
        } else {
          lastOut = callFilter(filter, lastIn);
          if (isEmpty(lastOut)) {
            if (isEmpty(lastIn)) feeding = true;
            else throw new LuaError('filter returned ""');
          } else if (lastOut === null) {
            if (lastIn !== null) throw new LuaError('filter returned inappropriate nil');
            return [null];
          } else return [lastOut];
        }
      }
    },
  ];
}

// ------------------------------------------------------------------ sinks

const nullSink: Sink = () => [1];

/** A sink that stores every chunk in `t` (a new array if none); returns [sink, t]. */
function sinkTable<T extends Chunk[]>(t?: T | null): [Sink, T] {
  const store = (t ?? []) as T;
  return [
    (chunk) => {
      if (chunk !== null && chunk !== undefined) store.push(chunk);
      return [1];
    },
    store,
  ];
}

function sinkSimplify(snk: FancySink): [Sink] {
  assert(snk);
  let current = snk;
  return [
    (chunk, err) => {
      const [ret, next] = values(current(chunk, err ?? null)) as [unknown, string | FancySink | null | undefined];
      if (!truthy(ret)) return typeof next === 'string' ? [null, next] : [null];
      if (typeof next === 'function') current = next;
      return [1];
    },
  ];
}

function sinkError(err: string): [Sink] {
  return [() => [null, err]];
}

/** sink.chain(filter..., sink): a sink that filters every chunk before passing it on. */
function sinkChain(f: Filter, snk: Sink, ...more: Array<Filter | Sink>): [Sink] {
  let filter = f;
  let target = snk;
  if (more.length > 0) {
    const all = [f, snk, ...more];
    target = all.pop() as Sink;
    filter = chainFilters(...(all as Filter[]))[0];
  }
  assert(filter);
  assert(target);
  return [
    (chunk, err) => {
      if (isEmpty(chunk)) return [1];
      const input = chunkOf(chunk);
      let filtered = callFilter(filter, input);
      const done: Chunk | null = input === null ? null : '';
      for (;;) {
        const r = push(target, filtered, err ?? null);
        if (!r.ok) return r.err === null ? [null] : [null, r.err];
        if (done === null ? filtered === null : isEmpty(filtered)) return [1];
        filtered = callFilter(filter, done);
      }
    },
  ];
}

// ------------------------------------------------------------------ pumps

/** Moves one chunk from `src` to `snk`: [1] while there is more, else [null] or [null, err]. */
function step(src: Source, snk: Sink): StepResult {
  const [chunk, srcErr] = pull(src);
  const r = push(snk, chunk, srcErr);
  if (chunk !== null && r.ok) return [1];
  const err = srcErr ?? r.err;
  return err === null ? [null] : [null, err];
}

/** Pumps until the source ends ([1]) or something fails ([null, err]). */
function all(src: Source, snk: Sink, stepper?: Step | null): [1] | [null, string] {
  assert(src);
  assert(snk);
  const move = stepper ?? step;
  for (;;) {
    const [ret, err] = values(move(src, snk));
    if (!truthy(ret)) return truthy(err) ? [null, err as string] : [1];
  }
}

/** The module, shaped like LuaSocket's ltn12 (BLOCKSIZE may be changed, as in Lua). */
export const ltn12 = {
  _VERSION: 'LTN12 1.0.3',
  BLOCKSIZE: 2048,
  filter: { cycle, chain: chainFilters },
  source: {
    empty: (): [Source] => [emptySource],
    error: sourceError,
    file: (handle?: FileHandle | null, ioErr?: string | null): [Source] => [fileSource(handle, ioErr, () => ltn12.BLOCKSIZE)],
    simplify: sourceSimplify,
    string: sourceString,
    table: sourceTable,
    rewind: sourceRewind,
    cat: sourceCat,
    chain: sourceChain,
  },
  sink: {
    table: sinkTable,
    simplify: sinkSimplify,
    file: (handle?: FileHandle | null, ioErr?: string | null): [Sink] => [fileSink(handle, ioErr)],
    null: (): [Sink] => [nullSink],
    error: sinkError,
    chain: sinkChain,
  },
  pump: { step, all },
};

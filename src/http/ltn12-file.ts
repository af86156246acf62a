/**
 * ltn12's file source and sink over Node descriptors. A handle is an open descriptor
 * (Lua's file handle) or a path, opened here; a path that cannot be opened gives an error
 * source or sink with io.open's wording ("PATH: No such file or directory").
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import type { FileHandle, Sink, Source } from './ltn12.js';
import { bytesOf } from './lua.js';

/** Node's text for a file-system error, worded like C's strerror (as Lua's io library). */
function ioText(e: unknown): string {
  const m = /^[A-Z0-9_]+: ([^,]+)/.exec((e as Error).message ?? '');
  const text = m ? m[1]! : String(e);
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** An open descriptor for `handle`, or the error text io.open would give. */
function openHandle(handle: FileHandle, flags: 'r' | 'w'): number | string {
  if (typeof handle === 'number') return handle;
  try {
    return openSync(handle, flags);
  } catch (e) {
    return `${handle}: ${ioText(e)}`;
  }
}

/**
 * The contents of a file, BLOCKSIZE bytes at a time; the descriptor is closed at the end.
 * `handle` is an open descriptor or a path (opened here; a failure gives an error source
 * with io.open's wording). `null` gives an error source with `ioErr`.
 */
export function fileSource(handle: FileHandle | null | undefined, ioErr: string | null | undefined, blockSize: () => number): Source {
  if (handle === null || handle === undefined) return () => [null, ioErr ?? 'unable to open file'];
  const fd = openHandle(handle, 'r');
  if (typeof fd === 'string') return () => [null, fd];
  let open = true;
  return () => {
    if (!open) return [null];
    const buf = Buffer.allocUnsafe(Math.max(1, Math.trunc(blockSize())));
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      open = false;
      closeSync(fd);
      return [null, ioText(e)];
    }
    if (n > 0) return [buf.subarray(0, n)];
    open = false;
    closeSync(fd);
    return [null];
  };
}

/**
 * A sink that writes every chunk to a file and closes it at the end. `handle` is an open
 * descriptor or a path (created or truncated here; a failure gives an error sink).
 */
export function fileSink(handle: FileHandle | null | undefined, ioErr?: string | null): Sink {
  if (handle === null || handle === undefined) return () => [null, ioErr ?? 'unable to open file'];
  const fd = openHandle(handle, 'w');
  if (typeof fd === 'string') return () => [null, fd];
  return (chunk) => {
    try {
      if (chunk === null || chunk === undefined) {
        closeSync(fd);
        return [1];
      }
      const bytes = bytesOf(chunk);
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
      return [1];
    } catch (e) {
      return [null, ioText(e)];
    }
  };
}

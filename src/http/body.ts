/**
 * Response bodies as LTN12 sources over a connection, chosen by LuaSocket's rules: any
 * transfer-encoding other than 'identity' is chunked, else a numeric content-length reads
 * that many bytes, else the body runs until the server closes. Each call returns at most
 * BODY_BLOCK bytes, so a body of any size (chunks of any size included) flows through
 * the sink without being held whole.
 */
import { BODY_BLOCK, type Connection } from './conn.js';
import { type ResponseHeaders, receiveHeaders } from './headers.js';
import type { Source } from './ltn12.js';
import { hexToNumber, toNumber } from './lua.js';

/** The body source for a response with these headers. */
export function bodySource(conn: Connection, headers: ResponseHeaders): Source {
  const te = headers['transfer-encoding'];
  if (te !== undefined && te !== 'identity') return chunkedSource(conn);
  const length = toNumber(headers['content-length']);
  if (length !== null) return byLengthSource(conn, length);
  return untilClosedSource(conn);
}

/** Exactly `length` bytes (a fractional length is rounded down). */
export function byLengthSource(conn: Connection, length: number): Source {
  let left = Math.floor(length);
  return () => {
    if (!(left > 0)) return [null];
    const r = conn.read(Math.min(BODY_BLOCK, left));
    if (!r.ok) return [null, r.err];
    left -= r.data.length;
    return [r.data];
  };
}

/** Everything until the server closes the connection. */
export function untilClosedSource(conn: Connection): Source {
  let done = false;
  return () => {
    if (done) return [null];
    const r = conn.read(BODY_BLOCK);
    if (r.ok) return [r.data];
    if (r.err !== 'closed') return [null, r.err];
    done = true;
    return r.partial.length > 0 ? [r.partial] : [null];
  };
}

/**
 * Chunked transfer coding: size lines in hexadecimal (extensions after ';' ignored), the
 * data in pieces of at most BODY_BLOCK bytes, and trailers read (and dropped, as LuaSocket
 * does) after the last chunk.
 */
export function chunkedSource(conn: Connection): Source {
  let left = 0;
  let done = false;
  return () => {
    if (done) return [null];
    if (left === 0) {
      const line = conn.read('*l');
      if (!line.ok) return [null, line.err];
      const size = hexToNumber(line.data.toString('latin1').replace(/;[\s\S]*/, ''));
      if (size === null) return [null, 'invalid chunk size'];
      if (size <= 0) {
        done = true;
        const trailers = receiveHeaders(conn.readLine);
        return trailers.ok ? [null] : [null, trailers.err];
      }
      left = size;
    }
    const r = conn.read(Math.min(BODY_BLOCK, left));
    if (!r.ok) return [null, r.err];
    left -= r.data.length;
    // The CRLF after the chunk data; as in LuaSocket, a failure here shows on the next read.
    if (left === 0) conn.read('*l');
    return [r.data];
  };
}

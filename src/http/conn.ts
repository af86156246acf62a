/**
 * One HTTP exchange on one connection (LuaSocket's http.open and its methods): connect
 * with http.TIMEOUT, send the request head and body, read the status line, headers and
 * body. Failures are thrown as HttpFailure carrying LuaSocket's error text; request()
 * turns them into `[null, err]` and closes the connection.
 */
import { type LineReader, type RequestHeaders, type ResponseHeaders, receiveHeaders } from './headers.js';
import { type Chunk, ltn12, type Sink, type Source, type Step } from './ltn12.js';
import { bytesOf, luaString } from './lua.js';

/** Bytes as the socket-like object gave them back. */
export type Received = string | Uint8Array;

/**
 * What a `create` function must return: the TCP object's methods http uses. Objects that
 * have setencoding are switched to 'buffer'; strings from others are taken as UTF-8.
 */
export interface HttpSocket {
  settimeout(value: number | null, mode?: string | null): unknown;
  connect(address: string, port: number | string): [unknown, string?] | unknown[];
  send(data: string | Uint8Array): [number] | [null, string, number] | unknown[];
  receive(pattern: '*l' | number, prefix?: Uint8Array | null, maxsize?: number | null): [Received] | [null, string, Received] | unknown[];
  close(): unknown;
  setencoding?(encoding: 'buffer'): unknown;
}

/** `create`: makes the (unconnected) socket-like object a request goes through. */
export type Create = () => [HttpSocket] | [null, string] | unknown[];

/** A failure with LuaSocket's error text; request() returns it as `[null, message]`. */
export class HttpFailure extends Error {
  constructor(readonly text: string) {
    super(text);
    this.name = 'HttpFailure';
  }
}

export function fail(text: string): never {
  throw new HttpFailure(text);
}

/** Body bytes read per call of a body source (LuaSocket reads 2048, or a chunk whole). */
export const BODY_BLOCK = 16384;
/** Longest status, header or chunk-size line accepted ('oversized' past it). */
export const MAX_LINE = 65536;

export type ReadResult = { ok: true; data: Buffer } | { ok: false; err: string; partial: Buffer };

const EMPTY = Buffer.alloc(0);

export class Connection {
  private constructor(private readonly sock: HttpSocket) {}

  /** Creates the socket with `create`, sets `timeout` and connects (LuaSocket's http.open). */
  static open(host: string, port: number | string, create: Create, timeout: number): Connection {
    const made = create();
    const sock = made[0] as HttpSocket | null | undefined;
    if (sock === null || sock === undefined || sock === (false as unknown)) fail(String(made[1] ?? 'nil'));
    const conn = new Connection(sock);
    try {
      sock.settimeout(timeout);
      const r = sock.connect(host, port);
      if (r[0] === null || r[0] === undefined || r[0] === false) fail(String(r[1]));
      sock.setencoding?.('buffer');
    } catch (e) {
      conn.close();
      throw e;
    }
    return conn;
  }

  close(): void {
    this.sock.close();
  }

  /** One receive call, with the data as a Buffer. */
  read(pattern: '*l' | number, prefix: Buffer | null = null): ReadResult {
    const r = this.sock.receive(pattern, prefix, pattern === '*l' ? MAX_LINE : null);
    if (r[0] !== null && r[0] !== undefined) return { ok: true, data: bytesOf(r[0] as Received) };
    return { ok: false, err: String(r[1]), partial: r[2] === undefined || r[2] === null ? EMPTY : bytesOf(r[2] as Received) };
  }

  readonly readLine: LineReader = () => {
    const r = this.read('*l');
    return r.ok ? r.data : { err: r.err };
  };

  send(data: Chunk): [1] | [null, string] {
    const r = this.sock.send(data);
    return r[0] === null || r[0] === undefined ? [null, String(r[1])] : [1];
  }

  /** Sends the request line and the header block in one write. */
  sendHead(method: string, uri: string, headers: Array<[string, string | number]>): void {
    let head = `${method} ${uri} HTTP/1.1\r\n`;
    for (const [name, value] of headers) head += `${name}: ${luaString(value)}\r\n`;
    const r = this.send(`${head}\r\n`);
    if (r[0] === null) fail(r[1]);
  }

  /** Sends the body from `source`: as is when a content-length was given, else chunked. */
  sendBody(headers: RequestHeaders, source: Source, step: Step | null): void {
    const sink: Sink = Object.hasOwn(headers, 'content-length') ? this.rawSink() : this.chunkedSink();
    const r = ltn12.pump.all(source, sink, step);
    if (r[0] === null) fail(r[1]);
  }

  private rawSink(): Sink {
    return (chunk) => (chunk === null ? [1] : this.send(chunk));
  }

  /** Chunked transfer coding; empty chunks are skipped (they would end the body early). */
  private chunkedSink(): Sink {
    return (chunk) => {
      if (chunk === null) return this.send('0\r\n\r\n');
      if (chunk.length === 0) return [1];
      const bytes = bytesOf(chunk);
      return this.send(Buffer.concat([Buffer.from(`${bytes.length.toString(16).toUpperCase()}\r\n`), bytes, Buffer.from('\r\n')]));
    };
  }

  /**
   * The status line: the code and the line, or code null with the first bytes when the
   * server answered without one (HTTP/0.9). A line with no code fails with the line.
   */
  receiveStatusLine(): { code: number | null; status: string; start: Buffer } {
    const first = this.read(5);
    if (!first.ok) fail(first.err);
    if (first.data.toString('latin1') !== 'HTTP/') return { code: null, status: first.data.toString('latin1'), start: first.data };
    const line = this.read('*l', first.data);
    if (!line.ok) fail(line.err);
    const status = line.data.toString('latin1');
    const m = /HTTP\/\d*\.\d* (\d\d\d)/.exec(status);
    if (!m) fail(status);
    return { code: Number(m[1]), status, start: first.data };
  }

  receiveHeaders(): ResponseHeaders {
    const r = receiveHeaders(this.readLine);
    if (!r.ok) fail(r.err);
    return r.headers;
  }

  /** Pumps a body source into `sink`; a source or sink error fails the request. */
  pump(source: Source, sink: Sink | null, step: Step | null): void {
    const r = ltn12.pump.all(source, sink ?? ltn12.sink.null()[0], step);
    if (r[0] === null) fail(r[1]);
  }
}

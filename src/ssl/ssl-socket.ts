/**
 * LuaSec's SSL connection object (ssl.c): the stream methods of any stream object
 * (receive with every pattern, prefix and partial, send with ranges, settimeout, close,
 * dirty, getfd, getstats), plus the handshake and what it learned. As in LuaSec, a data
 * call that would wait past its timeout answers 'wantread' / 'wantwrite', not 'timeout'.
 */
import { arg, checkString } from '../args.js';
import type { Encoding } from '../buffer.js';
import type { Engine, Readiness } from '../engine/types.js';
import type { Data } from '../object.js';
import { ErrCode } from '../protocol.js';
import { StreamObject } from '../stream-object.js';
import { Certificate } from './certificate.js';
import type { TlsHandle } from './tls-handle.js';

export type HandshakeResult = [true] | [null, string];

export interface SslInfo {
  protocol: string | null;
  cipher: string | null;
  bits: number | null;
  algbits: number | null;
  export: boolean;
}

export class SslSocket<D extends Data = string> extends StreamObject<D, TlsHandle> {
  protected readonly group = 'SSL';

  /** @internal use socket.ssl.wrap(). */
  constructor(engine: Engine, make: (owner: SslSocket<D>['owner']) => TlsHandle, encoding: Encoding) {
    super(engine, 'client', null);
    this.handle = make(this.owner);
    this.encoding = encoding;
  }

  override get class(): string {
    return 'SSL:Connection';
  }

  override toString(): string {
    return `SSL connection: ${super.toString().split(': ')[1]}`;
  }

  setencoding<E extends Encoding>(encoding: E): SslSocket<E extends 'buffer' ? Buffer : string> {
    this.applyEncoding(encoding);
    return this as unknown as SslSocket<E extends 'buffer' ? Buffer : string>;
  }

  gettimeout(): [number, number] {
    return this.timeouts('gettimeout');
  }

  protected adoptFd(): null {
    return null;
  }

  protected override errorText(code: number, op: 'receive' | 'send'): string {
    if (code === ErrCode.TIMEOUT) return op === 'receive' ? 'wantread' : 'wantwrite';
    return super.errorText(code, op);
  }

  #session(fname: string): TlsHandle | null {
    this.check(fname);
    return this.handle;
  }

  /** The server name to send (SNI) and, for a client that verifies, to check the certificate against. */
  sni(name: string): [];
  sni(...args: unknown[]): [] {
    const h = this.#session('sni');
    const name = checkString(arg(args, 0), 1, 'sni');
    if (h) h.options.servername = name;
    return [];
  }

  dohandshake(): HandshakeResult {
    const h = this.#session('dohandshake');
    if (h === null) return [null, 'closed'];
    this.tm.markStart();
    const r = h.handshake(this.tm);
    return r.done ? [true] : [null, r.err];
  }

  /** The peer's certificate (n = 1, the default: the leaf; 2: its issuer, ...), or nothing. */
  getpeercertificate(n?: number | null): [Certificate] | [null] {
    const chain = this.handle?.info().peerChain ?? [];
    const der = chain[(n ?? 1) - 1];
    return der ? [new Certificate(der)] : [null];
  }

  getpeerchain(): [Certificate[]] | [null] {
    this.check('getpeerchain');
    const chain = this.handle?.info().peerChain ?? [];
    return chain.length ? [chain.map((d) => new Certificate(d))] : [null];
  }

  /** [true] when the peer's certificate was verified, else [false, why]. */
  getpeerverification(): [true] | [false, string] {
    this.check('getpeerverification');
    const info = this.handle?.info();
    if (!info || info.error) return [false, 'closed'];
    return info.authorized ? [true] : [false, info.authorizationError ?? 'closed'];
  }

  /** The negotiated protocol and cipher (a table, or one field of it). */
  info(field?: keyof SslInfo): [SslInfo | SslInfo[keyof SslInfo]] | [null] {
    this.check('info');
    const i = this.handle?.info();
    if (!i || i.protocol === null) return [null];
    const all: SslInfo = { protocol: i.protocol, cipher: i.cipher?.name ?? null, bits: i.bits, algbits: i.bits, export: false };
    return [field === undefined ? all : all[field]];
  }

  getalpn(): [string] | [null] {
    this.check('getalpn');
    return [this.handle?.info().alpn ?? null];
  }

  getsniname(): [string] | [null] {
    this.check('getsniname');
    return [this.handle?.info().servername ?? null];
  }

  /** What the session is waiting for, as LuaSec's want(): 'nothing' once idle. */
  want(): ['nothing' | 'read'] {
    this.check('want');
    const h = this.handle;
    if (!h) return ['nothing'];
    const r = h.readiness();
    return [r.readable || r.writable ? 'nothing' : 'read'];
  }

  override readiness(): Readiness | null {
    return this.handle?.readiness() ?? null;
  }

  override kernelAhead(): boolean {
    return false;
  }
}

/**
 * socket.ssl: LuaSec's API (ssl.wrap, ssl.newcontext, ssl.loadcertificate) over this
 * package's blocking model. The TLS session runs in the I/O worker with node:tls; the
 * script sees LuaSec's objects, results and error texts.
 */
import { argError, luaTypeName } from '../args.js';
import { engine } from '../engine/index.js';
import { TcpSocket } from '../tcp.js';
import { loadcertificate } from './certificate.js';
import { newcontext, SslContext, type SslParams } from './context.js';
import { SslSocket } from './ssl-socket.js';
import { TlsHandle } from './tls-handle.js';

export { Certificate } from './certificate.js';
export { SslContext, type SslParams } from './context.js';
export { type HandshakeResult, type SslInfo, SslSocket } from './ssl-socket.js';

/**
 * ssl.wrap(tcp, params | context): the connected TCP object's socket becomes a TLS
 * connection (the TCP object keeps none, as in LuaSec). The handshake happens at
 * dohandshake() (or the first data call).
 */
export function wrap<D extends string | Buffer>(sock: TcpSocket<D>, params: SslParams | SslContext): [SslSocket<D>] | [null, string] {
  if (!(sock instanceof TcpSocket)) throw argError(1, 'wrap', `tcp{client} expected, got ${luaTypeName(sock)}`);
  let ctx: SslContext;
  if (params instanceof SslContext) ctx = params;
  else {
    const r = newcontext(params);
    if (r[0] === null) return [null, r[1]];
    ctx = r[0];
  }
  const base = sock.handOver();
  if (typeof base === 'string') return [null, base];
  const source = base.tlsSource();
  if (typeof source === 'string') {
    base.close();
    return [null, source];
  }
  const options = { ...ctx.options };
  return [new SslSocket<D>(engine, (owner) => new TlsHandle(base, source, options, owner), sock.getencoding())];
}

export const ssl = {
  _VERSION: '1.2.0',
  wrap,
  newcontext,
  loadcertificate,
};

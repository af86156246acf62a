/**
 * https: the scheme's `create`, built like LuaSec's https module: a socket-like object
 * whose connect() opens the TCP connection, then turns it into a TLS connection
 * (startTls), after which send/receive/close go to the TLS object.
 */
import * as socket from '../index.js';
import type { SslParams } from '../ssl/index.js';
import type { Create, HttpSocket, Received } from './conn.js';

/** TLS settings a request table may carry (LuaSec's names), handed to startTls as given. */
export interface TlsParams {
  /** 'peer' (the default: verify the certificate and the host name) or 'none'. */
  verify?: string | string[];
  cafile?: string;
  capath?: string;
  certificate?: string;
  key?: string;
  password?: string;
  protocol?: string;
  ciphers?: string;
  options?: string | string[];
}

const TLS_FIELDS = ['verify', 'cafile', 'capath', 'certificate', 'key', 'password', 'protocol', 'ciphers', 'options'] as const;

/** The TLS fields of a request table (to carry them over to redirected requests). */
export function tlsParamsOf(reqt: TlsParams): TlsParams {
  const out: Record<string, unknown> = {};
  for (const k of TLS_FIELDS) if (reqt[k] !== undefined && reqt[k] !== null) out[k] = reqt[k];
  return out as TlsParams;
}

/**
 * Turns the connected TCP object into a handshaken TLS connection to `serverName`
 * (socket.ssl), verifying the server's certificate and name unless `verify` is 'none'.
 * Returns the TLS object, or [null, err] with LuaSec's text (the caller closes the TCP object).
 */
export function startTls(
  tcp: socket.TcpSocket,
  serverName: string,
  params: TlsParams,
  timeout: [number | null, string | null] | null,
): [HttpSocket] | [null, string] {
  const [conn, err] = socket.ssl.wrap(tcp, {
    ...params,
    mode: 'client',
    protocol: (params.protocol ?? 'any') as SslParams['protocol'],
    verify: params.verify ?? 'peer',
  });
  if (conn === null) return [null, err];
  conn.sni(serverName);
  // The handshake is bounded by the request's timeout too.
  if (timeout) conn.settimeout(...timeout);
  const [ok, herr] = conn.dohandshake();
  if (ok === null) {
    conn.close();
    return asTimeout([null, herr]);
  }
  return [conn as unknown as HttpSocket];
}

/**
 * LuaSec reports a TLS read or write that ran out of time as 'wantread' / 'wantwrite'
 * (its https module passes that on); an http request says 'timeout', as over http.
 */
function asTimeout<R extends unknown[]>(r: R): R {
  if (r[0] === null && (r[1] === 'wantread' || r[1] === 'wantwrite')) r[1] = 'timeout';
  return r;
}

/** A TCP object that becomes a TLS connection once connected (see startTls). */
class TlsOnConnect implements HttpSocket {
  #tls: HttpSocket | null = null;
  #timeout: [number | null, string | null] | null = null;

  constructor(
    private readonly tcp: socket.TcpSocket,
    private readonly serverName: string,
    private readonly params: TlsParams,
  ) {}

  settimeout(value: number | null, mode?: string | null): [1] {
    this.#timeout = [value, mode ?? null];
    (this.#tls ?? this.tcp).settimeout(value, mode);
    return [1];
  }

  connect(address: string, port: number | string): [1] | [null, string] {
    const r = this.tcp.connect(address, port);
    if (r[0] === null) return r;
    this.tcp.setencoding('buffer');
    const t = startTls(this.tcp, this.serverName, this.params, this.#timeout);
    if (t[0] === null) {
      this.tcp.close();
      return t;
    }
    this.#tls = t[0];
    if (this.#timeout) this.#tls.settimeout(...this.#timeout);
    return [1];
  }

  setencoding(encoding: 'buffer'): void {
    this.#tls?.setencoding?.(encoding);
  }

  send(data: string | Uint8Array): [number] | [null, string, number] | unknown[] {
    return this.#tls ? asTimeout(this.#tls.send(data)) : [null, 'closed', 0];
  }

  receive(pattern: '*l' | number, prefix?: Uint8Array | null, maxsize?: number | null): [Received] | [null, string, Received] | unknown[] {
    return this.#tls ? asTimeout(this.#tls.receive(pattern, prefix, maxsize)) : [null, 'closed', ''];
  }

  close(): [1] {
    this.#tls?.close();
    this.tcp.close();
    return [1];
  }
}

/** The https scheme's create for a request to `serverName` (LuaSec's https.tcp). */
export function httpsCreate(serverName: string, params: TlsParams): Create {
  return () => {
    const [tcp, err] = socket.tcp();
    if (tcp === null) return [null, err];
    return [new TlsOnConnect(tcp, serverName, params)];
  };
}

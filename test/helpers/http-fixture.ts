/**
 * Starts the HTTP(S) test server (http-server.ts) as a child process for one test file,
 * and small helpers the http tests share.
 */
import type { ExecutionContext } from 'ava';
import * as socket from '../../src/index.js';
import { Child } from '../interop/lua.js';

export class HttpServer {
  private constructor(
    private readonly child: Child,
    readonly port: number,
    readonly tlsPort: number | null,
  ) {}

  /** Starts a server; `tls` gives the key and certificate files for an https listener too. */
  static async start(tls?: { key: string; cert: string }): Promise<HttpServer> {
    const args = tls ? ['--tls', tls.key, tls.cert] : [];
    const child = Child.node('../helpers/http-server.js', args);
    const ports = JSON.parse(await child.line()) as { http: number; https?: number };
    return new HttpServer(child, ports.http, ports.https ?? null);
  }

  /** An http:// URL of `path` on this server. */
  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** An https:// URL of `path` on this server, naming it `host` (which must resolve to 127.0.0.1). */
  tlsUrl(path: string, host = 'localhost'): string {
    return `https://${host}:${this.tlsPort}${path}`;
  }

  stop(): void {
    this.child.kill();
  }
}

/** A loopback port with nothing listening on it (bound, then closed). */
export function closedPort(t: ExecutionContext): number {
  const [s, err] = socket.bind('127.0.0.1', 0);
  if (s === null) throw new Error(`bind failed: ${err}`);
  const name = s.getsockname();
  s.close();
  if (name[0] === null) t.fail(`getsockname failed: ${name[1]}`);
  return name[0] === null ? 0 : name[1];
}

/** Concatenates collected chunks (Buffers or strings) into one Buffer. */
export function joined(chunks: Array<string | Uint8Array>): Buffer {
  return Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));
}

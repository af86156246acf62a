/**
 * A TLS session over a socket the worker took over (both engines): node:tls does the
 * handshake and the record layer, and the session's plaintext flows through the channel's
 * rings like any stream's. What LuaSec would report (errors, the peer's certificates,
 * verification, protocol, cipher) is kept here for 'tls-info'.
 */
import type net from 'node:net';
import tls from 'node:tls';
import type { TlsInfo, TlsOptions } from '../src/protocol.js';

export class TlsSession {
  readonly socket: tls.TLSSocket;
  private error: string | null = null;

  constructor(base: net.Socket, o: TlsOptions, onSecure: () => void, onFailure: () => void) {
    const secureContext = tls.createSecureContext({
      ca: o.ca ?? undefined,
      cert: o.cert ?? undefined,
      key: o.key ?? undefined,
      passphrase: o.passphrase ?? undefined,
      ciphers: o.ciphers ?? undefined,
      minVersion: o.minVersion ?? undefined,
      maxVersion: o.maxVersion ?? undefined,
    });
    if (o.mode === 'client') {
      this.socket = tls.connect({
        socket: base,
        secureContext,
        servername: o.servername ?? undefined,
        ALPNProtocols: o.alpn ?? undefined,
        // Verification is judged after the handshake, so that a failure reads as LuaSec's.
        rejectUnauthorized: false,
        // Without an SNI name there is no name to check (LuaSec checks none at all).
        checkServerIdentity: o.servername ? tls.checkServerIdentity : () => undefined,
      });
      this.socket.once('secureConnect', () => this.settled(o, onSecure, onFailure));
    } else {
      this.socket = new tls.TLSSocket(base, {
        isServer: true,
        secureContext,
        requestCert: o.verifyPeer,
        rejectUnauthorized: false,
        ALPNProtocols: o.alpn ?? undefined,
      });
      this.socket.once('secure', () => this.settled(o, onSecure, onFailure));
    }
  }

  /** Handshake done: LuaSec fails it when verification was asked for and did not succeed. */
  private settled(o: TlsOptions, onSecure: () => void, onFailure: () => void): void {
    const s = this.socket;
    const unverified = !s.authorized && (o.mode === 'client' ? o.verifyPeer : o.verifyPeer && s.getPeerCertificate() !== null);
    const missing = o.mode === 'server' && o.requirePeerCert && Object.keys(s.getPeerCertificate() ?? {}).length === 0;
    if (unverified || missing) {
      this.error = 'certificate verify failed';
      onFailure();
      s.destroy();
      return;
    }
    onSecure();
  }

  /** The handshake failed before it completed (alerts, protocol mismatch, the peer went away). */
  failedText(err: Error): string {
    this.error ??= handshakeError(err);
    return this.error;
  }

  info(): TlsInfo {
    const s = this.socket;
    const chain: Uint8Array[] = [];
    let c = s.getPeerCertificate(true) as tls.DetailedPeerCertificate | null;
    const seen = new Set<string>();
    while (c?.raw && !seen.has(c.fingerprint256)) {
      seen.add(c.fingerprint256);
      chain.push(new Uint8Array(c.raw));
      c = c.issuerCertificate;
    }
    const cipher = s.getCipher();
    const err = s.authorizationError as unknown;
    return {
      error: this.error,
      authorized: s.authorized,
      authorizationError: err ? String((err as Error).message ?? err) : null,
      peerChain: chain,
      protocol: s.getProtocol(),
      cipher: cipher ? { name: cipher.name, standardName: cipher.standardName, version: cipher.version } : null,
      bits: cipher ? cipherBits(cipher.standardName) : null,
      alpn: typeof s.alpnProtocol === 'string' ? s.alpnProtocol : null,
      servername: (s as unknown as { servername?: string | false }).servername || null,
    };
  }
}

/** LuaSec's words for a handshake that did not complete (OpenSSL's reason text, as it gives them). */
function handshakeError(err: Error): string {
  const e = err as NodeJS.ErrnoException & { reason?: string; library?: string };
  if (e.code === 'ECONNRESET' || e.code === 'EPIPE' || /socket disconnected|socket hang up/i.test(e.message)) return 'closed';
  if (typeof e.reason === 'string' && e.reason !== '') return e.reason;
  const m = /error:[0-9A-F]+:[^:]*:[^:]*:([^:]+)$/i.exec(e.message);
  return m ? (m[1] as string).trim() : e.message;
}

/** Key bits of a cipher suite, from its name (what LuaSec reports as `bits`). */
function cipherBits(suite: string): number | null {
  const m = /AES_(\d+)|AES(\d+)|CHACHA20/.exec(suite);
  if (!m) return null;
  return m[1] ? Number(m[1]) : m[2] ? Number(m[2]) : 256;
}

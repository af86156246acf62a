/**
 * A TLS session over a socket the worker took over (both engines): node:tls does the
 * handshake and the record layer, and the session's plaintext flows through the channel's
 * rings like any stream's. What LuaSec would report (errors, the peer's certificates,
 * verification, protocol, cipher) is kept here for 'tls-info'.
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { TlsInfo, TlsOptions } from '../src/protocol.js';

export class TlsSession {
  readonly socket: tls.TLSSocket;
  private error: string | null = null;

  constructor(base: net.Socket | Duplex, o: TlsOptions, onSecure: () => void, onFailure: () => void) {
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
        servername: o.servername && net.isIP(o.servername) === 0 ? o.servername : undefined,
        ALPNProtocols: o.alpn ?? undefined,
        // Verification is judged after the handshake, so that a failure reads as LuaSec's.
        rejectUnauthorized: false,
        // Without an SNI name there is no name to check (LuaSec checks none at all); an
        // IP address is checked but never sent as SNI (RFC 6066 forbids it).
        checkServerIdentity: (_host, cert) => (o.servername ? tls.checkServerIdentity(o.servername, cert) : undefined),
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
    if (o.mode === 'server') verifyClient(s);
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
      authorizationError: err ? verifyText(String((err as Error).message ?? err)) : null,
      peerChain: chain,
      protocol: s.getProtocol(),
      cipher: cipher ? { name: cipher.name, standardName: cipher.standardName, version: cipher.version } : null,
      bits: cipher ? cipherBits(cipher.standardName) : null,
      alpn: typeof s.alpnProtocol === 'string' ? s.alpnProtocol : null,
      servername: (s as unknown as { servername?: string | false }).servername || null,
    };
  }
}

/**
 * A TLSSocket made directly (not by a tls.Server) never judges the client's certificate:
 * do what tls.Server does once the handshake is done (node's own verifyError() of the
 * session), so `authorized` and `authorizationError` mean the same on both sides.
 */
function verifyClient(s: tls.TLSSocket): void {
  const h = (s as unknown as { _handle?: { verifyError?: () => Error | null } | null })._handle;
  const err = typeof h?.verifyError === 'function' ? h.verifyError() : null;
  const peer = s.getPeerCertificate();
  const self = s as unknown as { authorized: boolean; authorizationError: string | null };
  if (!peer || Object.keys(peer).length === 0) return;
  if (err) self.authorizationError = (err as NodeJS.ErrnoException).code ?? err.message;
  else self.authorized = true;
}

/** LuaSec's words for a handshake that did not complete (OpenSSL's reason text, as it gives them). */
function handshakeError(err: Error): string {
  const e = err as NodeJS.ErrnoException & { reason?: string; library?: string };
  if (e.code === 'ECONNRESET' || e.code === 'EPIPE' || /socket disconnected|socket hang up/i.test(e.message)) return 'closed';
  if (typeof e.reason === 'string' && e.reason !== '') return e.reason;
  const m = /error:[0-9A-F]+:[^:]*:[^:]*:([^:]+)$/i.exec(e.message);
  return m ? (m[1] as string).trim() : e.message;
}

/** OpenSSL's texts for the verification failures Node reports by code (what LuaSec shows). */
const VERIFY_TEXT: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in certificate chain',
  UNABLE_TO_GET_ISSUER_CERT: 'unable to get issuer certificate',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unable to get local issuer certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unable to verify the first certificate',
  CERT_HAS_EXPIRED: 'certificate has expired',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
  CERT_REVOKED: 'certificate revoked',
  CERT_SIGNATURE_FAILURE: 'certificate signature failure',
  CERT_UNTRUSTED: 'certificate not trusted',
  CERT_REJECTED: 'certificate rejected',
  INVALID_CA: 'invalid CA certificate',
  HOSTNAME_MISMATCH: 'hostname mismatch',
  ERR_TLS_CERT_ALTNAME_INVALID: 'hostname mismatch',
};

function verifyText(code: string): string {
  return VERIFY_TEXT[code] ?? code;
}

/** Key bits of a cipher suite, from its name (what LuaSec reports as `bits`). */
function cipherBits(suite: string): number | null {
  const m = /AES_(\d+)|AES(\d+)|CHACHA20/.exec(suite);
  if (!m) return null;
  return m[1] ? Number(m[1]) : m[2] ? Number(m[2]) : 256;
}

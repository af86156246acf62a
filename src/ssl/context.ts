/**
 * ssl.newcontext (LuaSec's ssl.lua + context.c): checks a parameter table the way LuaSec
 * does, with its error texts, loads the files it names, and proves the result with
 * node:tls's createSecureContext on the calling thread, so a bad key, certificate or
 * cipher list fails here, at wrap time, as in LuaSec. The worker builds its own context
 * from the same PEM texts (a SecureContext cannot cross threads).
 *
 * Deliberate difference: a client verifies the server by default (verify 'peer', with
 * Node's CA store plus `cafile`/`capath`); LuaSec's default is 'none'.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { argError, LuaError, luaTypeName } from '../args.js';
import type { TlsOptions } from '../protocol.js';

/** node:tls, loaded at the first use: importing the package must not pay for it (start-up). */
const tls = () => process.getBuiltinModule('node:tls');

export interface SslParams {
  mode?: 'client' | 'server';
  protocol?: 'any' | 'sslv23' | 'tlsv1' | 'tlsv1_1' | 'tlsv1_2' | 'tlsv1_3';
  key?: string;
  certificate?: string;
  password?: string;
  cafile?: string;
  capath?: string;
  verify?: string | string[];
  options?: string | string[];
  ciphers?: string;
  depth?: number;
  alpn?: string | string[];
}

/** A checked context: what ssl.wrap needs to start a session. */
export class SslContext {
  constructor(readonly options: TlsOptions) {}

  toString(): string {
    return 'SSL context: 0x55d0c0a00000';
  }
}

type Version = NonNullable<TlsOptions['minVersion']>;
const VERSIONS: Version[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
const PROTOCOLS: Record<string, [Version | null, Version | null]> = {
  any: [null, null],
  sslv23: [null, null],
  tlsv1: ['TLSv1', 'TLSv1'],
  tlsv1_1: ['TLSv1.1', 'TLSv1.1'],
  tlsv1_2: ['TLSv1.2', 'TLSv1.2'],
  tlsv1_3: ['TLSv1.3', 'TLSv1.3'],
};
const VERIFY = new Set(['none', 'peer', 'client_once', 'fail_if_no_peer_cert']);
/** OpenSSL options LuaSec knows; the ones node:tls can express narrow the protocol range. */
const OPTIONS = new Set([
  'all',
  'cipher_server_preference',
  'dont_insert_empty_fragments',
  'ephemeral_rsa',
  'legacy_server_connect',
  'microsoft_big_sslv3_buffer',
  'microsoft_sess_id_bug',
  'msie_sslv2_rsa_padding',
  'netscape_ca_dn_bug',
  'netscape_challenge_bug',
  'netscape_demo_cipher_change_bug',
  'netscape_reuse_cipher_change_bug',
  'no_compression',
  'no_query_mtu',
  'no_renegotiation',
  'no_session_resumption_on_renegotiation',
  'no_sslv2',
  'no_sslv3',
  'no_ticket',
  'no_tlsv1',
  'no_tlsv1_1',
  'no_tlsv1_2',
  'no_tlsv1_3',
  'pkcs1_check_1',
  'pkcs1_check_2',
  'single_dh_use',
  'single_ecdh_use',
  'ssleay_080_client_dh_bug',
  'sslref2_reuse_cert_type_bug',
  'tls_block_padding_bug',
  'tls_d5_bug',
  'tls_rollback_bug',
]);

function list(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v.map(String) : [String(v)];
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return null;
  }
}

/** Every PEM certificate in `text`. */
function certificates(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** The CA list: Node's store plus the given files (null: Node's store alone). */
function loadCAs(cafile: unknown, capath: unknown): string[] | null | 'error' {
  if (cafile === undefined && capath === undefined) return null;
  const extra: string[] = [];
  if (cafile !== undefined) {
    const text = typeof cafile === 'string' ? readText(cafile) : null;
    if (text === null || certificates(text).length === 0) return 'error';
    extra.push(...certificates(text));
  }
  if (capath !== undefined) {
    let names: string[];
    try {
      names = readdirSync(String(capath));
    } catch {
      return 'error';
    }
    for (const n of names) extra.push(...certificates(readText(join(String(capath), n)) ?? ''));
  }
  return [...tls().rootCertificates, ...extra];
}

/** LuaSec's reason text in parentheses, from a node:tls error. */
function reason(err: unknown): string {
  const e = err as { reason?: string; message?: string };
  return e.reason ?? (e.message?.includes('bad decrypt') ? 'bad decrypt' : 'system lib');
}

/** ssl.newcontext(params): [context] or [null, LuaSec's error text]; wrong types raise as in LuaSec. */
export function newcontext(params: SslParams): [SslContext] | [null, string] {
  if (params === null || typeof params !== 'object') throw argError(1, 'newcontext', `table expected, got ${luaTypeName(params)}`);
  const p = params as Record<string, unknown>;
  if (typeof p.protocol !== 'string') throw new LuaError(`bad argument #1 to 'create' (string expected, got ${luaTypeName(p.protocol)})`);
  const range = PROTOCOLS[p.protocol];
  if (!range) return [null, `invalid protocol (${p.protocol})`];
  if (typeof p.mode !== 'string') throw new LuaError(`bad argument #2 to 'setmode' (string expected, got ${luaTypeName(p.mode)})`);
  if (p.mode !== 'client' && p.mode !== 'server') return [null, 'invalid mode'];
  let [minVersion, maxVersion] = range;

  let key: string | null = null;
  if (p.key !== undefined) {
    if (p.password !== undefined && typeof p.password !== 'string') return [null, 'invalid password type'];
    key = typeof p.key === 'string' ? readText(p.key) : null;
    if (key === null) return [null, 'error loading private key (system lib)'];
  }
  let cert: string | null = null;
  if (p.certificate !== undefined) {
    cert = typeof p.certificate === 'string' ? readText(p.certificate) : null;
    if (cert === null || certificates(cert).length === 0) return [null, 'error loading certificate ((null))'];
  }
  const ca = loadCAs(p.cafile, p.capath);
  if (ca === 'error') return [null, 'error loading CA locations ((null))'];

  const verify = list(p.verify);
  for (const v of verify) if (!VERIFY.has(v)) return [null, `invalid verify option (${v})`];
  for (const o of list(p.options)) {
    if (!OPTIONS.has(o)) return [null, `invalid option (${o})`];
    // no_tlsvX: raise the floor past it, or lower the ceiling below it.
    const m = /^no_tlsv1(?:_(\d))?$/.exec(o);
    if (m) {
      const banned = VERSIONS.indexOf(m[1] ? (`TLSv1.${m[1]}` as Version) : 'TLSv1');
      const lo = minVersion ? VERSIONS.indexOf(minVersion) : 0;
      if (banned <= lo) minVersion = VERSIONS[banned + 1] ?? minVersion;
      else if (!maxVersion || banned <= VERSIONS.indexOf(maxVersion)) maxVersion = VERSIONS[banned - 1] ?? maxVersion;
    }
  }
  const alpn = p.alpn === undefined ? null : list(p.alpn);
  if (alpn?.some((a) => a.length === 0)) return [null, 'invalid ALPN name (empty string)'];

  const options: TlsOptions = {
    mode: p.mode,
    ca,
    cert,
    key,
    passphrase: typeof p.password === 'string' ? p.password : null,
    // Deliberate: clients verify unless told not to (see the file comment).
    verifyPeer: verify.length === 0 ? p.mode === 'client' : verify.includes('peer') || verify.includes('fail_if_no_peer_cert'),
    requirePeerCert: verify.includes('fail_if_no_peer_cert'),
    minVersion,
    maxVersion,
    ciphers: typeof p.ciphers === 'string' ? p.ciphers : null,
    servername: null,
    alpn,
  };
  const err = prove(options);
  return err === null ? [new SslContext(options)] : [null, err];
}

/** Builds the context once here, so that what node:tls refuses is refused at wrap time. */
function prove(o: TlsOptions): string | null {
  try {
    tls().createSecureContext({ key: o.key ?? undefined, passphrase: o.passphrase ?? undefined });
  } catch (e) {
    return `error loading private key (${reason(e)})`;
  }
  try {
    tls().createSecureContext({ cert: o.cert ?? undefined });
  } catch (e) {
    return `error loading certificate (${reason(e)})`;
  }
  try {
    tls().createSecureContext({ ciphers: o.ciphers ?? undefined });
  } catch {
    return 'error setting cipher list (system lib)';
  }
  try {
    tls().createSecureContext({
      key: o.key ?? undefined,
      cert: o.cert ?? undefined,
      passphrase: o.passphrase ?? undefined,
      minVersion: o.minVersion ?? undefined,
      maxVersion: o.maxVersion ?? undefined,
    });
  } catch {
    return o.key && o.cert ? 'private key does not match public key' : 'invalid protocol';
  }
  return null;
}

/**
 * LuaSec's X509 certificate object (x509.c), over node:crypto's X509Certificate: subject
 * and issuer as lists of {oid, name, value}, validity times in OpenSSL's print format,
 * digests, serial, PEM, extensions by OID. Every method returns an array, as elsewhere.
 */
import type { X509Certificate } from 'node:crypto';

/** node:crypto, loaded at the first use: importing the package must not pay for it (start-up). */
const crypto = () => process.getBuiltinModule('node:crypto');

export interface NameEntry {
  oid: string;
  name: string;
  value: string;
}

/** Short names Node prints, with the OIDs and long names LuaSec prints. */
const NAMES: Record<string, [string, string]> = {
  CN: ['2.5.4.3', 'commonName'],
  C: ['2.5.4.6', 'countryName'],
  L: ['2.5.4.7', 'localityName'],
  ST: ['2.5.4.8', 'stateOrProvinceName'],
  O: ['2.5.4.10', 'organizationName'],
  OU: ['2.5.4.11', 'organizationalUnitName'],
  serialNumber: ['2.5.4.5', 'serialNumber'],
  emailAddress: ['1.2.840.113549.1.9.1', 'emailAddress'],
  DC: ['0.9.2342.19200300.100.1.25', 'domainComponent'],
  UID: ['0.9.2342.19200300.100.1.1', 'userId'],
};

function entries(dn: string): NameEntry[] {
  return dn
    .split('\n')
    .filter((l) => l.includes('='))
    .map((l) => {
      const i = l.indexOf('=');
      const short = l.slice(0, i);
      const [oid, name] = NAMES[short] ?? [short, short];
      return { oid, name, value: l.slice(i + 1) };
    });
}

let count = 0;

export class Certificate {
  readonly #x: X509Certificate;
  readonly #addr = `0x${(0x55d0c0b00000 + ++count * 0x40).toString(16)}`;

  constructor(der: Uint8Array) {
    this.#x = new (crypto().X509Certificate)(Buffer.from(der));
  }

  toString(): string {
    return `X509 certificate: ${this.#addr}`;
  }

  subject(): [NameEntry[]] {
    return [entries(this.#x.subject)];
  }

  issuer(): [NameEntry[]] {
    return [entries(this.#x.issuer)];
  }

  /** e.g. 'Dec  1 10:41:25 2026 GMT', as OpenSSL prints ASN.1 times. */
  notbefore(): [string] {
    return [this.#x.validFrom];
  }

  notafter(): [string] {
    return [this.#x.validTo];
  }

  /** Is the certificate valid at `time` (seconds since the epoch)? */
  validat(time: number): [boolean] {
    const t = time * 1000;
    return [t >= Date.parse(this.#x.validFrom) && t <= Date.parse(this.#x.validTo)];
  }

  /** Hex digest of the DER encoding, lower case ('sha1' by default, as LuaSec). */
  digest(alg: 'sha1' | 'sha256' | 'sha512' | 'md5' = 'sha1'): [string] | [null, string] {
    if (!['sha1', 'sha256', 'sha512', 'md5'].includes(alg)) return [null, 'invalid digest type'];
    return [crypto().createHash(alg).update(this.#x.raw).digest('hex')];
  }

  serial(): [string] {
    return [this.#x.serialNumber.toUpperCase()];
  }

  pem(): [string] {
    return [this.#x.toString()];
  }

  /** The public key as PEM, its type and its size in bits. */
  pubkey(): [string, string, number] {
    const k = this.#x.publicKey;
    const type = (k.asymmetricKeyType ?? 'unknown').toUpperCase();
    const bits = k.asymmetricKeyDetails?.modulusLength ?? (k.asymmetricKeyDetails?.namedCurve ? 256 : 0);
    return [k.export({ type: 'spki', format: 'pem' }).toString(), type === 'EC' ? 'EC' : type, bits];
  }

  /** Subject alternative names, keyed by OID as LuaSec does: { '2.5.29.17': { dNSName: [...], iPAddress: [...] } }. */
  extensions(): [Record<string, Record<string, string | string[]>>] {
    const out: Record<string, Record<string, string | string[]>> = {};
    const san = this.#x.subjectAltName;
    if (san) {
      const names: Record<string, string | string[]> = { name: 'X509v3 Subject Alternative Name' };
      for (const part of san.split(', ')) {
        const i = part.indexOf(':');
        const kind = part.slice(0, i) === 'DNS' ? 'dNSName' : part.slice(0, i) === 'IP Address' ? 'iPAddress' : part.slice(0, i);
        const list = (names[kind] ?? []) as string[];
        list.push(part.slice(i + 1));
        names[kind] = list;
      }
      out['2.5.29.17'] = names;
    }
    return [out];
  }

  /** Was this certificate issued by `issuer`? */
  issued(issuer: Certificate): [boolean] {
    return [this.#x.checkIssued(issuer.#x)];
  }
}

/** ssl.loadcertificate(pem): [certificate] or [null, err]. */
export function loadcertificate(pem: string): [Certificate] | [null, string] {
  const m = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem);
  if (!m) return [null, 'error loading certificate'];
  try {
    return [new Certificate(new (crypto().X509Certificate)(m[0]).raw)];
  } catch {
    return [null, 'error loading certificate'];
  }
}

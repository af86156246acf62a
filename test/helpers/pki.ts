/**
 * Certificates for the TLS tests, made by the openssl command in a temporary directory: a
 * test CA, a server leaf it signs for DNS:localhost only, a client leaf it signs, and a
 * self-signed leaf for localhost.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

export interface Pki {
  dir: string;
  caFile: string;
  leaf: { key: string; cert: string };
  client: { key: string; cert: string };
  selfSigned: { key: string; cert: string };
}

function openssl(dir: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

/** A leaf for `cn`, signed by the CA in `dir`, with the given extensions. */
function signed(dir: string, name: string, cn: string, ext: string): void {
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
  writeFileSync(join(dir, `${name}.ext`), ext);
  const x509 = ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial'];
  openssl(dir, [...x509, '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`]);
}

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'luasocket-tls-'));
  const days = ['-days', '2'];
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    ...days,
    '-subj',
    '/CN=luasocket test CA',
  ]);
  signed(dir, 'leaf', 'localhost', 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n');
  signed(dir, 'client', 'test client', 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
  const self = ['-keyout', 'self.key', '-out', 'self.pem', ...days, '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'];
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', ...self]);
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    leaf: { key: join(dir, 'leaf.key'), cert: join(dir, 'leaf.pem') },
    client: { key: join(dir, 'client.key'), cert: join(dir, 'client.pem') },
    selfSigned: { key: join(dir, 'self.key'), cert: join(dir, 'self.pem') },
  };
}

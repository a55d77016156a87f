/** Self-signed certificates for 127.0.0.1, made by the real openssl, for tests that serve TLS. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Certificate {
  key: Buffer;
  cert: Buffer;
  /** The certificate's PEM file (a CA file for clients that should trust it). */
  file: string;
}

/** A key and a certificate for IP 127.0.0.1, valid `days` days from now, written under `dir`. */
export function selfSignedCertificate(dir: string, days: number): Certificate {
  const key = join(dir, `key-${days}.pem`);
  const cert = join(dir, `cert-${days}.pem`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      String(days),
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(key), cert: readFileSync(cert), file: cert };
}

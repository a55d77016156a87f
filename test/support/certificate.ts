/** Certificates for 127.0.0.1 made by the real openssl, for tests that serve TLS: self-signed ones, and whole chains. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
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

/** A chain made as a private PKI makes one: a root CA, an intermediate CA it signs, and a leaf for 127.0.0.1. */
export interface CertificateChain {
  key: Buffer;
  /** The leaf then the intermediate (PEM), as a server presents its chain. */
  cert: Buffer;
  /** The root's PEM file (the CA file a client trusts). */
  caFile: string;
}

/**
 * A root CA → intermediate CA → leaf chain by the real openssl, each valid the given days
 * from now (an intermediate may expire before the leaf it signs: openssl, like real CAs'
 * mistakes, allows it). Files are written under `dir` with `name` as their prefix.
 */
export function certificateChain(
  dir: string,
  name: string,
  days: { root: number; intermediate: number; leaf: number },
): CertificateChain {
  const file = (part: string) => join(dir, `${name}-${part}`);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  writeFileSync(
    file('ext.cnf'),
    [
      '[ca]',
      'basicConstraints=critical,CA:TRUE',
      'keyUsage=critical,keyCertSign,cRLSign',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
      '[leaf]',
      'basicConstraints=CA:FALSE',
      'subjectAltName=IP:127.0.0.1',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
      '',
    ].join('\n'),
  );
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    file('root.key'),
    '-out',
    file('root.pem'),
    '-days',
    String(days.root),
    '-subj',
    '/CN=Test Root CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  const issue = (part: string, subject: string, issuer: string, validDays: number, extensions: string) => {
    openssl('req', '-new', ...ec, '-keyout', file(`${part}.key`), '-out', file(`${part}.csr`), '-subj', subject);
    openssl(
      'x509',
      '-req',
      '-in',
      file(`${part}.csr`),
      '-CA',
      file(`${issuer}.pem`),
      '-CAkey',
      file(`${issuer}.key`),
      '-CAcreateserial',
      '-out',
      file(`${part}.pem`),
      '-days',
      String(validDays),
      '-extfile',
      file('ext.cnf'),
      '-extensions',
      extensions,
    );
  };
  issue('intermediate', '/CN=Test Intermediate CA', 'root', days.intermediate, 'ca');
  issue('leaf', '/CN=127.0.0.1', 'intermediate', days.leaf, 'leaf');
  return {
    key: readFileSync(file('leaf.key')),
    cert: Buffer.concat([readFileSync(file('leaf.pem')), readFileSync(file('intermediate.pem'))]),
    caFile: file('root.pem'),
  };
}

/** A private CA with a server certificate for 127.0.0.1 and localhost and a client certificate, as PEM files. */
export interface Pki {
  caFile: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** Made by the real openssl under `dir`, files prefixed `name`: what a TLS server and its clients are given. */
export function privatePki(dir: string, name: string): Pki {
  const file = (part: string) => join(dir, `${name}-${part}`);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  writeFileSync(
    file('ext.cnf'),
    [
      '[server]',
      'basicConstraints=CA:FALSE',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '[client]',
      'basicConstraints=CA:FALSE',
      'extendedKeyUsage=clientAuth',
      '',
    ].join('\n'),
  );
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-days',
    '2',
    '-subj',
    `/CN=${name} test CA`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  for (const [part, subject] of [
    ['server', '/CN=127.0.0.1'],
    ['client', '/CN=opscron'],
  ] as const) {
    openssl('req', '-new', ...ec, '-keyout', file(`${part}.key`), '-out', file(`${part}.csr`), '-subj', subject);
    openssl(
      'x509',
      '-req',
      '-in',
      file(`${part}.csr`),
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-out',
      file(`${part}.pem`),
      '-days',
      '2',
      '-extfile',
      file('ext.cnf'),
      '-extensions',
      part,
    );
  }
  return {
    caFile: file('ca.pem'),
    serverCert: file('server.pem'),
    serverKey: file('server.key'),
    clientCert: file('client.pem'),
    clientKey: file('client.key'),
  };
}

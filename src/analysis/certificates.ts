/**
 * TLS expiry over the whole chain a server presents: the leaf, and every intermediate (and
 * the root the client completed it with). An intermediate that expires first breaks every
 * certificate it signed on that day, so the earliest expiry is the one judged, and the
 * finding names which certificate it is. Pure: the chain as the probe read it in.
 */
import type { Finding } from '../model.js';

/** One certificate, as much of it as is judged. */
export interface CertificateInfo {
  subject: string;
  issuer: string;
  validTo: Date;
}

/** The server's certificate, and the chain above it when it was read. */
export interface Certificate extends CertificateInfo {
  /** The leaf first, then each issuer up to the root (the leaf alone when the chain is unknown). */
  chain?: CertificateInfo[];
}

const DAY_MS = 86_400_000;

/** Where a certificate sits in the chain, in the words an operator uses. */
function roleOf(index: number, length: number): string {
  if (index === 0) return 'certificate';
  if (index === length - 1) return 'root certificate';
  return 'intermediate certificate';
}

/** The certificate of the chain that expires first, with its place in the chain (0: the leaf). */
export function earliestExpiry(cert: Certificate): { info: CertificateInfo; index: number; length: number } {
  const chain = cert.chain?.length ? cert.chain : [cert];
  let index = 0;
  chain.forEach((c, i) => {
    if (c.validTo.getTime() < chain[index]!.validTo.getTime()) index = i;
  });
  return { info: chain[index]!, index, length: chain.length };
}

/** Days left until the chain's earliest expiry, to one decimal (negative: expired). */
export function daysLeft(cert: Certificate, now: Date): number {
  const { info } = earliestExpiry(cert);
  return Math.round(((info.validTo.getTime() - now.getTime()) / DAY_MS) * 10) / 10;
}

/** The chain's earliest expiry within `limits` days (or past): one finding naming that certificate, else none. */
export function certificateFindings(
  cert: Certificate,
  limits: { warnDays: number; criticalDays: number },
  resource: string,
  now: Date,
): Finding[] {
  const { info, index, length } = earliestExpiry(cert);
  const left = (info.validTo.getTime() - now.getTime()) / DAY_MS;
  const severity = left < limits.criticalDays ? 'critical' : left < limits.warnDays ? 'warning' : null;
  if (!severity) return [];
  const when = left < 0 ? `expired ${(-left).toFixed(1)} days ago` : `expires in ${left.toFixed(1)} days`;
  const name = info.subject || 'the service';
  const role = roleOf(index, length);
  const validTo = info.validTo.toISOString();
  return [
    {
      severity,
      check: 'tls.expiry',
      resource,
      message:
        index === 0
          ? `TLS certificate for ${name} ${when} (${validTo})`
          : `TLS ${role} ${JSON.stringify(name)} (${index + 1} of ${length} in the chain for ${cert.subject || 'the service'}) ${when} (${validTo})`,
      evidence: { daysLeft: left, validTo, issuer: info.issuer, subject: info.subject, chainIndex: index },
      remedy:
        index === 0
          ? `Renew the certificate for ${name} (issued by ${info.issuer || 'unknown'}) and reload the service before ${validTo}.`
          : `Get the current ${role} ${name} from ${info.issuer || 'its issuer'}, install it in the chain the service presents, and reload the service before ${validTo}.`,
    },
  ];
}

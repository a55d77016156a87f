/**
 * A real SMTP server for the tests (the smtp-server package: a full SMTP implementation,
 * STARTTLS included) that keeps what it receives, parsed by mailparser.
 */
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { selfSignedCertificate, type Certificate } from './certificate.js';
import { tempDir } from './cli.js';

export interface Received {
  from: string;
  to: string[];
  /** The session was upgraded with STARTTLS before the message was sent. */
  secure: boolean;
  mail: ParsedMail;
}

export interface TestSmtp {
  port: number;
  url: string;
  /** The CA (self-signed certificate) to trust for STARTTLS. */
  caFile: string;
  received: Received[];
  stop(): Promise<void>;
}

/** The CA file a client needs to trust the test servers' STARTTLS certificate. */
export const testSmtpCa = (): string => selfSigned().file;

/** A certificate for 127.0.0.1, made once per test file. */
let certificate: Certificate | null = null;
function selfSigned(): Certificate {
  if (certificate) return certificate;
  return (certificate = selfSignedCertificate(tempDir('smtp-cert-'), 2));
}

export async function startSmtp(port = 0, received: Received[] = []): Promise<TestSmtp> {
  const tls = selfSigned();
  const server = new SMTPServer({
    key: tls.key,
    cert: tls.cert,
    authOptional: true,
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            secure: session.secure,
            mail,
          });
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.server.address() as { port: number }).port;
  return {
    port: actual,
    url: `smtp://127.0.0.1:${actual}`,
    caFile: tls.file,
    received,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

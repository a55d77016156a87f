/**
 * STARTTLS is required of every mail server but one on this machine. Which one that is
 * comes from the URL's host as a URL parser reads it: a prefix match took
 * `localhost.mail.example.com`, `127.0.0.1.nip.io` and `smtp://localhost:pw@mail.example.com`
 * (user "localhost") for loopback, and sent their credentials without TLS if a man in the
 * middle removed STARTTLS from the server's answer.
 */
import { smtpIsLoopback } from '../../src/reports/deliver/email.js';

describe('which SMTP URLs are on this machine', () => {
  it.each([
    'smtp://localhost:25',
    'smtp://127.0.0.1:2525',
    'smtps://127.8.9.10',
    'smtp://user:pw@localhost:25',
    'smtp://[::1]:25',
  ])('%s is loopback', (url) => expect(smtpIsLoopback(url)).toBe(true));

  it.each([
    'smtp://localhost.mail.example.com:587',
    'smtp://127.0.0.1.nip.io:587',
    'smtp://localhost:pw@mail.example.com:587',
    'smtp://127.0.0.1@mail.example.com',
    'smtp://mail.example.com',
    'not a url',
  ])('%s is not', (url) => expect(smtpIsLoopback(url)).toBe(false));
});

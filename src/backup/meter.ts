/** Streaming progress: a pass-through that counts bytes and reports the total at most twice a second. */
import { Transform } from 'node:stream';

/** `until`, if given, holds the end of the stream back until it settles (a failure fails the stream). */
export function byteMeter(
  report: (bytes: number) => void,
  until?: Promise<void>,
): Transform & { readonly bytes: number } {
  let bytes = 0;
  let last = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (Date.now() - last > 500) {
        last = Date.now();
        report(bytes);
      }
      done(null, chunk);
    },
    flush(done) {
      if (until) until.then(() => done(), done);
      else done();
    },
  });
  return Object.defineProperty(meter, 'bytes', { get: () => bytes }) as Transform & { readonly bytes: number };
}

/**
 * Reading a whole file that a param or the configuration names (a CA bundle): only a
 * regular file, and only up to a bound, so a path such as /dev/zero or a multi-gigabyte
 * log cannot be made into memory use, and the error says which limit was hit.
 */
import { open } from 'node:fs/promises';
import { OpscronError } from '../errors.js';
import { MAX_READ_FILE_BYTES } from '../limits.js';

export async function readBoundedText(path: string, what: string, maxBytes = MAX_READ_FILE_BYTES): Promise<string> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new OpscronError(
      'OPSCRON_FILE_UNREADABLE',
      `${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new OpscronError('OPSCRON_FILE_UNREADABLE', `${what} ${path}: not a regular file`);
    if (stat.size > maxBytes)
      throw new OpscronError(
        'OPSCRON_FILE_UNREADABLE',
        `${what} ${path}: ${stat.size} bytes; at most ${maxBytes} are read`,
      );
    const buffer = Buffer.alloc(Math.min(stat.size, maxBytes) + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > maxBytes)
      throw new OpscronError('OPSCRON_FILE_UNREADABLE', `${what} ${path}: more than ${maxBytes} bytes`);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

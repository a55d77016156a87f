/**
 * Where the opscron that holds an embedded store serves its API. While it runs it writes
 * `<store.path>.api.json` ({pid, url}; no secret in it), so a second command on the same
 * store finds it whatever port or host it was started with; the CLI asks that process
 * instead of the store it cannot open. Gone when it stops; a file left by a killed process
 * names a dead pid and is ignored.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { isAlive } from './process-alive.js';

export interface LocalApi {
  pid: number;
  url: string;
}

const fileOf = (storePath: string) => `${resolve(storePath)}.api.json`;

/** The URL a local client reaches a server at: a wildcard address is reached on loopback. */
export function urlOf(address: AddressInfo): string {
  if (address.address === '0.0.0.0' || address.address === '::') return `http://127.0.0.1:${address.port}`;
  return address.family === 'IPv6'
    ? `http://[${address.address}]:${address.port}`
    : `http://${address.address}:${address.port}`;
}

function read(file: string): LocalApi | null {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalApi>;
    return typeof value.pid === 'number' && typeof value.url === 'string' ? { pid: value.pid, url: value.url } : null;
  } catch {
    return null;
  }
}

/** Says where this process serves the API of the store at `storePath`; returns what takes it back. */
export function advertiseApi(storePath: string, url: string): () => void {
  const file = fileOf(storePath);
  writeFileSync(file, `${JSON.stringify({ pid: process.pid, url })}\n`);
  return () => {
    if (read(file)?.pid === process.pid) rmSync(file, { force: true });
  };
}

/** The API of the opscron running on the store at `storePath`, if one said so and is still alive. */
export function advertisedApi(storePath: string): LocalApi | null {
  const api = read(fileOf(storePath));
  return api && api.pid !== process.pid && isAlive(api.pid) ? api : null;
}

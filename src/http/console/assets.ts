/**
 * The console's stylesheet and script, shipped in the package (assets/) and served from
 * memory under names that carry their content hash: cached for a year, and a new version
 * is a new name. Nothing is loaded from anywhere else.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Asset {
  path: string;
  type: string;
  body: Buffer;
  etag: string;
}

/** assets/ at the package root: three levels up from src/http/console/ and from dist/http/console/. */
const ROOT = new URL('../../../assets/', import.meta.url);

function load(file: string, type: string): Asset {
  const body = readFileSync(fileURLToPath(new URL(file, ROOT)));
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  const [name, ext] = file.split('.') as [string, string];
  return { path: `/assets/${name}.${hash}.${ext}`, type, body, etag: `"${hash}"` };
}

let loaded: { css: Asset; js: Asset; icon: Asset } | null = null;

export function consoleAssets(): { css: Asset; js: Asset; icon: Asset } {
  return (loaded ??= {
    css: load('console.css', 'text/css; charset=utf-8'),
    js: load('console.js', 'text/javascript; charset=utf-8'),
    icon: load('favicon.svg', 'image/svg+xml'),
  });
}

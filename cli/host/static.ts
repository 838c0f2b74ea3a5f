// Maps a request path to a file of the built renderer (renderer/dist), for both shells: `amur serve`
// and the desktop shell's amur:// protocol. Anything that would leave the folder is refused.
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RENDERER_DIST = fileURLToPath(new URL('../../renderer/dist/', import.meta.url));

/**
 * The file under `root` that a URL path names, or undefined when the path is malformed or would
 * escape `root` (../, encoded %2e%2e or %2f, backslashes, NUL, absolute or drive paths).
 * "/" is the app's index.html.
 */
export function resolveStaticPath(root: string, urlPath: string): string | undefined {
  if (!urlPath.startsWith('/')) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..' || /^[a-zA-Z]:/.test(s))) return undefined;
  if (segments.length === 0) segments.push('index.html');
  const base = resolve(root);
  const file = resolve(base, ...segments);
  const rel = relative(base, file);
  if (!rel || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..')) return undefined;
  return file;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentType(file: string): string {
  return TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

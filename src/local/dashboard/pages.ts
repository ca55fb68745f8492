import type { HttpResponseInit } from '@azure/functions';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { problemResponse } from '../../http/problem';

/** Answers a request for a page outside /api, or null when the path is not one of them. */
export type Pages = (method: string, rawPath: string) => HttpResponseInit | null;

const FILES = new Map<string, { file: string; type: string }>([
  ['/dashboard', { file: 'index.html', type: 'text/html; charset=utf-8' }],
  ['/dashboard/', { file: 'index.html', type: 'text/html; charset=utf-8' }],
  ['/dashboard/dashboard.js', { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' }],
  ['/dashboard/dashboard.css', { file: 'dashboard.css', type: 'text/css; charset=utf-8' }],
]);

/**
 * The page loads only its own script and style and talks only to this host; it holds no data itself (the
 * figures come from the API, with the key), so it is served without the API key.
 */
const HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/**
 * The operator's dashboard (/dashboard): plain HTML, CSS and JavaScript, no build step. tsc does not copy
 * them, so they are read from the source tree next to the compiled code (src/local/dashboard/, found from
 * dist/src/local/dashboard/ as from the TypeScript sources), once, when the host starts.
 */
export function dashboardPages(): Pages {
  const dir = assetsDir();
  const contents = new Map<string, string>();
  if (dir)
    for (const { file } of FILES.values()) contents.set(file, readFileSync(path.join(dir, file), 'utf8'));
  return (method, rawPath) => {
    const page = FILES.get(rawPath);
    if (!page) return null;
    if (method !== 'GET' && method !== 'HEAD')
      return problemResponse(
        405,
        'method-not-allowed',
        'Method not allowed',
        `${method} is not allowed`,
        rawPath,
        [],
        {
          allow: 'GET, HEAD',
        },
      );
    const body = contents.get(page.file);
    if (body === undefined)
      return problemResponse(
        404,
        'not-found',
        'Not found',
        'the dashboard files (src/local/dashboard/) are not next to this build',
        rawPath,
      );
    return { status: 200, headers: { 'content-type': page.type, ...HEADERS }, body };
  };
}

/** The folder holding index.html: src/local/dashboard/ of the checkout this code runs from. */
function assetsDir(): string | null {
  for (let dir = __dirname, up = 0; up < 6; up++, dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'src', 'local', 'dashboard');
    if (hasEveryFile(candidate)) return candidate;
  }
  return hasEveryFile(__dirname) ? __dirname : null;
}

function hasEveryFile(dir: string): boolean {
  return [...FILES.values()].every(({ file }) => existsSync(path.join(dir, file)));
}

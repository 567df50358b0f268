import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { packagePath } from '../package/package-root.ts';
import { problem, sendProblem } from './problem.ts';

/** Where `npm run build:console` (and `npm run build`) writes the console's assets. */
export const CONSOLE_DIR = packagePath('dist', 'console');

/**
 * Only what the bundle needs: its own scripts and styles, images from its
 * own origin or from blob: URLs it makes (SVG renderings, Mermaid diagrams),
 * API calls to this origin, its own diagram frame. No inline script or
 * style, no plugins.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "font-src 'self'",
  "connect-src 'self'",
  "frame-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The diagram frame (diagram.html, same origin, never framed elsewhere):
 * Mermaid's layout sets inline styles, allowed here and only here; scripts
 * stay the bundle's own.
 */
export const DIAGRAM_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'self'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/**
 * The operator console at `/console`: static assets built from
 * src/console/ui (`npm run build:console`), shipped built in the package.
 * It calls only the public HTTP API, with the key the operator signs in with.
 * A checkout that has not built it answers 404 naming the command.
 */
export function registerConsole(app: FastifyInstance, consoleDir: string = CONSOLE_DIR): void {
  const dir = resolve(consoleDir);
  const send = async (file: string, reply: FastifyReply, instance: string) => {
    const type = TYPES[extname(file)];
    const full = normalize(join(dir, file));
    if (!type || !full.startsWith(dir + sep) || !existsSync(full)) {
      const detail = existsSync(join(dir, 'index.html'))
        ? `no console asset ${instance}`
        : 'the console is not built: run `npm run build:console` (npm start and npm run build do it)';
      return sendProblem(reply, problem('SYM_ERR_NOT_FOUND', detail), instance);
    }
    return reply
      .type(type)
      .header('content-security-policy', file === 'diagram.html' ? DIAGRAM_CSP : CONSOLE_CSP)
      .header('referrer-policy', 'no-referrer')
      .header('cross-origin-opener-policy', 'same-origin')
      // Chunks are named by their content hash; everything else keeps its name across builds, so is revalidated.
      .header('cache-control', file.startsWith('chunks/') ? 'public, max-age=31536000, immutable' : 'no-cache')
      .send(await readFile(full));
  };
  app.get('/console', (_request, reply) => send('index.html', reply, '/console'));
  app.get('/console/', (_request, reply) => send('index.html', reply, '/console/'));
  app.get<{ Params: { '*': string } }>('/console/*', (request, reply) =>
    send(request.params['*'], reply, `/console/${request.params['*'].slice(0, 200)}`),
  );
}

import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MIGRATIONS, type Migration } from '../migrations/migrations.ts';
import { decodeImage, encodeImage, ImageRefused } from './image-file.ts';

/**
 * General notes: a new embedded database (in memory, or a data dir without
 * one) starts from an image of a database that already ran every migration,
 * instead of running PostgreSQL's initdb and the migrations (about 6 s of
 * WASM work, almost all of it initdb). What it owns: naming an image by
 * exactly what it holds, finding one, checking it, writing one atomically.
 * What it does not: loading it (PGlite's `loadDataDir`, see `PgliteDb.open`)
 * or building it (`PgliteDb`, which migrates an in-memory database and dumps it).
 *
 * Where images are: shipped in the package next to this module's compiled
 * JavaScript (`npm run build` writes it, gzipped), and in a cache folder
 * (`node_modules/.cache/symphainy/`) where a checkout, or a package whose
 * PGlite was upgraded, keeps the one it built on first use. A file whose key
 * differs (other migrations or PGlite version), or whose payload does not
 * match its digest, is never loaded: the database is then created the slow
 * way, and a good image is written for next time.
 */

/** Bumped when the file layout or what goes into an image changes. */
const IMAGE_FORMAT = 1;

/** Where to look for images; `null` turns a place off. Defaults: see {@link defaultImagePlaces}. */
export interface ImagePlaces {
  /** Folder of the image shipped with the package (read only). */
  readonly shippedDir?: string | null;
  /** Folder this process may read and write images in. */
  readonly cacheDir?: string | null;
}

export interface MigratedImageOptions extends ImagePlaces {
  /** The migrations the image must hold. @default MIGRATIONS */
  readonly migrations?: readonly Migration[];
}

/** A verified image: the tar of PGDATA and the file it came from. */
export interface FoundImage {
  readonly tar: Uint8Array;
  readonly file: string;
  readonly place: 'cache' | 'shipped';
}

/** The outcome of looking: an image, or why each candidate file was not used (absent files are not mentioned). */
export type ImageLookup = { found: FoundImage; refused: string[] } | { found: null; refused: string[] };

/** How an opened database came to be, for tests and diagnostics. */
export interface PgliteOrigin {
  /** `image`: from a migrated image; `initdb`: created empty; `dump`: from `loadDataDir`; `existing`: a data dir opened as it was. */
  readonly from: 'image' | 'initdb' | 'dump' | 'existing';
  /** The image file used (`from: 'image'`). */
  readonly imageFile?: string;
  /** True when no usable image existed and this open built it. */
  readonly imageBuilt?: boolean;
  /** Image files found but not used, each with why (another key, a torn or altered file). */
  readonly imageRefused: readonly string[];
}

/** The file name of the image for `key`. */
export const imageFileName = (key: string): string => `pglite-migrated-${key}.pgimage`;

/**
 * Names what an image holds: the image format, the PGlite version (its
 * PostgreSQL, catalog layout and initdb) and every migration's version, name
 * and SQL. Any change gives another key, so an image is only ever loaded by
 * the code that would have built the very same database.
 */
export function imageKey(migrations: readonly Migration[] = MIGRATIONS): string {
  const content = JSON.stringify([IMAGE_FORMAT, pgliteVersion(), migrations.map((m) => [m.version, m.name, m.sql])]);
  return createHash('sha256').update(content).digest('hex').slice(0, 24);
}

let cachedPgliteVersion: string | undefined;

/** The installed PGlite's version, from its package.json (its exports map does not export that file). */
export function pgliteVersion(): string {
  if (cachedPgliteVersion) return cachedPgliteVersion;
  let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@electric-sql/pglite' && pkg.version) return (cachedPgliteVersion = pkg.version);
    }
    if (dirname(dir) === dir) throw new Error('cannot find the version of @electric-sql/pglite');
    dir = dirname(dir);
  }
}

/**
 * The shipped image's folder (this module's own: `dist/src/db/pglite/`
 * in the package, where nothing is shipped in a checkout) and the cache:
 * `node_modules/.cache/symphainy/` of the project this package is installed
 * in, or of the checkout.
 */
export function defaultImagePlaces(): { shippedDir: string; cacheDir: string | null } {
  const here = dirname(fileURLToPath(import.meta.url));
  return { shippedDir: here, cacheDir: cacheDirFrom(here) };
}

function cacheDirFrom(here: string): string | null {
  const installed = here.indexOf(`${sep}node_modules${sep}`);
  if (installed >= 0) return join(here.slice(0, installed), 'node_modules', '.cache', 'symphainy');
  for (let dir = here; dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'node_modules', '.cache', 'symphainy');
  }
  return null;
}

/** Files this process verified (path, size, mtime, inode): read again, their digest need not be recomputed. */
const verified = new Set<string>();

/**
 * The image for `key`: the cache's (a plain tar, quickest to open), else the
 * shipped one. Each candidate is checked (key, length, SHA-256) before use.
 */
export async function findImage(key: string, places: ImagePlaces): Promise<ImageLookup> {
  const refused: string[] = [];
  for (const [place, dir] of [['cache', places.cacheDir], ['shipped', places.shippedDir]] as const) {
    if (!dir) continue;
    const file = join(dir, imageFileName(key));
    let bytes: Buffer;
    let id: string;
    try {
      const st = await stat(file);
      id = `${file}:${st.size}:${st.mtimeMs}:${st.ino}`;
      bytes = await readFile(file);
    } catch {
      continue; // absent or unreadable: nothing to refuse
    }
    try {
      const tar = decodeImage(bytes, key, verified.has(id));
      verified.add(id);
      return { found: { tar, file, place }, refused };
    } catch (err) {
      if (!(err instanceof ImageRefused)) throw err;
      refused.push(`${file}: ${err.message}`);
    }
  }
  return { found: null, refused };
}

/**
 * Writes the image of `tar` for `key` into `dir` atomically: a temporary
 * file renamed over the name, so a reader, or another process writing the
 * same image at the same time, never sees half a file. Returns the path.
 */
export async function writeImage(dir: string, key: string, tar: Uint8Array, gzip: boolean): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, imageFileName(key));
  const tmp = `${file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  try {
    await writeFile(tmp, encodeImage(key, tar, gzip));
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return file;
}

/** Images being built in this process, by file: concurrent opens wait for one build. */
const building = new Map<string, Promise<{ tar: Uint8Array; file: string | undefined }>>();

/**
 * The migrated image for `options` (found, or built with `buildImage` and cached), with how it
 * was obtained; `tar: null` when it could not be had (the caller runs initdb).
 * Nothing here is an error for the caller: a refused or unwritable image
 * only costs time.
 */
export async function migratedImage(
  options: MigratedImageOptions,
  buildImage: (migrations: readonly Migration[]) => Promise<Uint8Array>,
): Promise<{ tar: Uint8Array | null; origin: PgliteOrigin }> {
  const migrations = options.migrations ?? MIGRATIONS;
  const defaults = defaultImagePlaces();
  const places: ImagePlaces = {
    shippedDir: options.shippedDir === undefined ? defaults.shippedDir : options.shippedDir,
    cacheDir: options.cacheDir === undefined ? defaults.cacheDir : options.cacheDir,
  };
  const key = imageKey(migrations);
  const lookup = await findImage(key, places);
  if (lookup.found) {
    // A shipped image is gzipped; the cache keeps it plain, quicker to open next time.
    if (places.cacheDir && lookup.found.place === 'shipped') {
      await writeImage(places.cacheDir, key, lookup.found.tar, false).catch(() => {});
    }
    return { tar: lookup.found.tar, origin: { from: 'image', imageFile: lookup.found.file, imageRefused: lookup.refused } };
  }
  // Nowhere to keep it: building would cost more than creating this one database directly.
  if (!places.cacheDir) return { tar: null, origin: { from: 'initdb', imageRefused: lookup.refused } };
  const buildKey = `${places.cacheDir}\0${key}`;
  let build = building.get(buildKey);
  if (!build) {
    const cacheDir = places.cacheDir;
    build = buildImage(migrations)
      .then(async (tar) => ({ tar, file: await writeImage(cacheDir, key, tar, false).catch(() => undefined) }))
      .finally(() => building.delete(buildKey));
    building.set(buildKey, build);
  }
  let built: { tar: Uint8Array; file: string | undefined };
  try {
    built = await build;
  } catch {
    return { tar: null, origin: { from: 'initdb', imageRefused: lookup.refused } };
  }
  const { tar, file } = built;
  return { tar, origin: { from: 'image', imageBuilt: true, ...(file ? { imageFile: file } : {}), imageRefused: lookup.refused } };
}


import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultImagePlaces, imageKey, writeImage } from './migrated-image.ts';
import { buildImage } from './pglite-db.ts';

/**
 * Writes the migrated database image of the current migrations, gzipped
 * (about 5 MB instead of 40), into `dir`: by default this module's folder,
 * where `PgliteDb.open({ image: true })` looks for the shipped image.
 * `npm run build` runs the compiled module (`dist/src/db/pglite/`), so
 * the package carries the image its migrations and PGlite need. Returns the
 * file's path.
 */
export async function shipImage(dir: string = defaultImagePlaces().shippedDir): Promise<string> {
  return writeImage(dir, imageKey(), await buildImage(), true);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = await shipImage();
  process.stdout.write(`migrated database image: ${file}\n`);
}

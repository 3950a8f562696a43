import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A file of the repository's data/ folder, found from this module upwards (works from src/ and dist/). */
export function findDataFile(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const f = join(dir, 'data', name);
    if (existsSync(f)) return f;
    dir = dirname(dir);
  }
  throw new Error(`bundled data file data/${name} not found next to the program; pass --data FILE`);
}

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A file of the repository (data/…, examples/…), found from this module upwards (works from src/ and dist/). */
export function findRepoFile(rel: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const f = join(dir, rel);
    if (existsSync(f)) return f;
    dir = dirname(dir);
  }
  throw new Error(`${rel} not found next to the program`);
}

export function findDataFile(name: string): string {
  try {
    return findRepoFile(join('data', name));
  } catch {
    throw new Error(`bundled data file data/${name} not found next to the program; pass --data FILE`);
  }
}

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder of the running program: beside src/host in a checkout, the bundle's folder (dist/ or a release
 * folder), or the executable's folder in the Windows single executable (there the bundle is built as CommonJS
 * and `import.meta.url` is the executable's own URL: tools/release/bundle.mjs).
 */
export function programDir(): string {
  return dirname(fileURLToPath(import.meta.url));
}

/** A file of the repository (data/…, examples/…, mql5/…), found from the program's folder upwards (works from src/, dist/ and a release folder). */
export function findRepoFile(rel: string): string {
  let dir = programDir();
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

/**
 * A native addon (`<name>.<platform>-<arch>[-abi].node`) shipped beside the program — the release builds carry
 * them there, having no node_modules. undefined when there is none, so the caller falls back to node_modules.
 */
export function loadNativeBeside<T>(name: string, platform: NodeJS.Platform = process.platform, arch: string = process.arch): T | undefined {
  const abi = platform === 'win32' ? '-msvc' : platform === 'linux' ? '-gnu' : '';
  const file = join(programDir(), `${name}.${platform}-${arch}${abi}.node`);
  if (!existsSync(file)) return undefined;
  return createRequire(join(programDir(), 'native.cjs'))(file) as T;
}

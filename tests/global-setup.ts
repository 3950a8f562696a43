import { spawnSync } from 'node:child_process';

/** Build the CLI bundle once, before any test spawns dist/mt5-executor.js. */
export default function setup(): void {
  const r = spawnSync(process.execPath, ['tools/build.mjs'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tools/build.mjs failed:\n${r.stderr}`);
}

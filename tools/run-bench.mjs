// Runs a benchmark as bundled JavaScript under plain node (as dist/ runs), not through a TS loader.
// usage: node tools/run-bench.mjs bridge
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const name = process.argv[2];
if (!name || !existsSync(`bench/${name}.ts`)) {
  console.error(`usage: node tools/run-bench.mjs <name>   (bench/<name>.ts)`);
  process.exit(2);
}
const entries = [`bench/${name}.ts`, ...['bench/sim-peer.ts', 'bench/host-peer.ts', 'bench/floor-peer.ts', 'bench/parse-peer.ts'].filter((f) => existsSync(f))];
await build({
  entryPoints: entries, outdir: 'dist/bench', bundle: true, platform: 'node', format: 'esm', target: 'node20',
  outExtension: { '.js': '.mjs' }, external: ['msgpackr-extract', '@napi-rs/keyring'], logLevel: 'warning',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
// bench:backtest times whole CLI processes: the CLI bundled fresh beside the benchmark (as dist/ is built)
if (name === 'backtest') {
  const { bundle } = await import('./release/bundle.mjs');
  await bundle({ outfile: 'dist/bench/mt5-executor.js' });
}
const r = spawnSync(process.execPath, [`dist/bench/${name}.mjs`, ...process.argv.slice(3)], { stdio: 'inherit' });
process.exit(r.status ?? 1);

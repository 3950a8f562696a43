// Bundles the CLI and host into one file: dist/mt5-executor.js
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';

await build({
  entryPoints: ['src/host/cli.ts'],
  outfile: 'dist/mt5-executor.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // optional native accelerator of msgpackr; the pure-JS path is used when absent
  external: ['msgpackr-extract'],
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
});
chmodSync('dist/mt5-executor.js', 0o755);

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
  // native modules stay outside the bundle and load from node_modules: msgpackr's optional accelerator,
  // the OS keychain binding
  external: ['msgpackr-extract', '@napi-rs/keyring'],
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
});
chmodSync('dist/mt5-executor.js', 0o755);
await import('./build-dashboard.mjs');

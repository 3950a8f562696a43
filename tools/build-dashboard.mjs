// Bundles the trader's dashboard (src/dashboard-ui, Preact + lightweight-charts) into dist/dashboard/:
// index.html, app.js (minified ES module), app.css. The host serves it from there (src/host/dashboard).
// Prints the page's JavaScript size, raw and gzipped (the target is ≤ 300 KB gzipped).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const out = 'dist/dashboard';
mkdirSync(out, { recursive: true });
await build({
  entryPoints: ['src/dashboard-ui/main.tsx'],
  outfile: `${out}/app.js`,
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome100', 'firefox100', 'safari15'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
});
copyFileSync('src/dashboard-ui/index.html', `${out}/index.html`);
copyFileSync('src/dashboard-ui/app.css', `${out}/app.css`);
const js = readFileSync(`${out}/app.js`);
if (!process.argv.includes('--quiet')) {
  console.log(`dashboard: ${out}/app.js ${(js.length / 1024).toFixed(1)} KB, ${(gzipSync(js).length / 1024).toFixed(1)} KB gzipped`);
}

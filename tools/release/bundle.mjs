// The bundle of the CLI and host, and the files a release ships beside it.
//   ESM (dist/mt5-executor.js, run by node, with its chunks beside it: dist/mt5-executor-*.js) or CommonJS in one
//   file (the Windows single executable: Node's SEA runs one CommonJS script). Every runtime dependency is
//   inlined, the chart library's files too; only the native addons stay outside (loaded from beside the program:
//   src/host/paths.ts).
//   The ESM build is split (esbuild's code splitting): each verb's modules are imported when the verb runs
//   (src/cli/main.ts), so `backtest` or `version` neither parse nor compile the host, its web server and loggers —
//   one 5.4 MB file cost every command ~0.26 s before its first line ran.
import { build } from 'esbuild';
import { chmodSync, cpSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(join(ROOT, 'package.json'));

/** src/cli/report.ts reads the chart libraries' files from node_modules at run time; the bundle carries them instead. */
const REPORT_ASSETS = [['uplot', 'dist/uPlot.min.css'], ['uplot', 'dist/uPlot.iife.min.js'], ['lightweight-charts', 'dist/lightweight-charts.standalone.production.js']];
const inlineReportAssets = {
  name: 'inline-report-assets',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]cli[\\/]report\.ts$/ }, (args) => {
      const src = readFileSync(args.path, 'utf8');
      const assets = Object.fromEntries(REPORT_ASSETS.map(([pkg, rel]) => [`${pkg}/${rel}`, readFileSync(join(dirname(require.resolve(`${pkg}/package.json`)), rel), 'utf8')]));
      const fn = /const asset = \(pkg: string, rel: string\) => [^\n]*\n/;
      if (!fn.test(src)) throw new Error('tools/release/bundle.mjs: report.ts no longer has the asset(pkg, rel) function it replaces; update the plugin');
      const contents = src.replace(fn, `const __assets: Record<string, string> = ${JSON.stringify(assets)};\nconst asset = (pkg: string, rel: string): string => {\n  const a = __assets[pkg + '/' + rel];\n  if (a === undefined) throw new Error('report asset ' + pkg + '/' + rel + ' is not in the bundle (tools/release/bundle.mjs)');\n  return a;\n};\n`);
      return { contents, loader: 'ts' };
    });
  },
};

/** The chunks of the ESM build of `outfile` (its name, a dash, the module's name and hash: `mt5-executor-backtest-XXXX.js`). */
export const chunksOf = (outfile) => {
  const name = basename(outfile, '.js');
  const dir = dirname(outfile);
  const chunk = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-[A-Za-z0-9_-]+-[A-Z0-9]{8}\\.js(\\.map)?$`);
  try {
    return readdirSync(dir).filter((f) => chunk.test(f)).map((f) => join(dir, f));
  } catch {
    return [];
  }
};

/** The files of the ESM program built at `outfile`: the entry and its chunks (not the source maps) — copy them together. */
export const programFiles = (outfile) => [outfile, ...chunksOf(outfile).filter((f) => f.endsWith('.js'))];

/** Bundle src/cli/main.ts to `outfile` as 'esm' (split into chunks beside it) or 'cjs' (one file). */
export async function bundle({ outfile, format = 'esm', target = 'node20', sourcemap = true }) {
  const cjs = format === 'cjs';
  const name = basename(outfile, '.js');
  const result = await build({
    metafile: !cjs,
    ...(cjs
      ? { entryPoints: [join(ROOT, 'src/cli/main.ts')], outfile }
      : { entryPoints: { [name]: join(ROOT, 'src/cli/main.ts') }, outdir: dirname(outfile), splitting: true, chunkNames: `${name}-[name]-[hash]` }),
    bundle: true,
    platform: 'node',
    format,
    target,
    sourcemap,
    logLevel: 'warning',
    plugins: [inlineReportAssets],
    // native modules stay outside: msgpackr's optional accelerator (msgpackr works without it) and the OS keychain
    // binding (the release ships its .node file beside the program; without it the encrypted file is used)
    external: ['msgpackr-extract', '@napi-rs/keyring'],
    // CommonJS has no import.meta: the program's own URL stands in (in a single executable __filename is the exe)
    ...(cjs ? { define: { 'import.meta.url': '__mt5x_url' } } : {}),
    banner: {
      js: cjs
        ? "var __mt5x_url = require('node:url').pathToFileURL(__filename).href;"
        : "#!/usr/bin/env node\nimport { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  });
  if (!cjs) {
    // the chunks of an earlier build that this one did not write go (their names carry a hash, so a new build never
    // overwrites them) — after the build, so that a program copied or started meanwhile never misses a file
    const written = new Set(Object.keys(result.metafile.outputs).map((f) => resolve(f))); // (relative to the working directory, as esbuild's)
    for (const f of chunksOf(outfile)) if (!written.has(resolve(f))) rmSync(f, { force: true });
    chmodSync(outfile, 0o755);
  }
}

/** What a release carries beside the program: the demo's bars, the example strategies, the EA and its includes. */
export const SHIPPED = ['data', 'examples', 'mql5'];

/** Copy the shipped folders and the given native addons (paths of .node files) into `dir`. */
export function stageFiles(dir, natives = []) {
  mkdirSync(dir, { recursive: true });
  for (const d of SHIPPED) cpSync(join(ROOT, d), join(dir, d), { recursive: true });
  for (const n of natives) cpSync(n, join(dir, n.split(/[\\/]/).pop()));
}

/** The keyring addon of this machine's platform from node_modules, when installed. */
export function localKeyringAddon() {
  const abi = process.platform === 'win32' ? '-msvc' : process.platform === 'linux' ? '-gnu' : '';
  const name = `keyring.${process.platform}-${process.arch}${abi}.node`;
  try {
    return join(dirname(require.resolve(`@napi-rs/keyring-${process.platform}-${process.arch}${abi}/package.json`)), name);
  } catch {
    return undefined;
  }
}

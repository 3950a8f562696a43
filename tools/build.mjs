// Bundles the CLI and host into one file: dist/mt5-executor.js (every runtime dependency inlined; see
// tools/release/bundle.mjs). A release folder adds data/, examples/, mql5/ and the native addons beside it.
import { bundle } from './release/bundle.mjs';

await bundle({ outfile: 'dist/mt5-executor.js' });
await import('./build-dashboard.mjs');

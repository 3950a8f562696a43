import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// `npm run test:ui`: the dashboard in a real Chromium (Debian's, driven by playwright-core). Kept out of
// `npm test` (vitest.config.ts takes tests/**/*.test.ts; these are *.ui.ts).
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['tests/dashboard/**/*.ui.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// npm run test:win — the Windows build (npm run dist:win) smoke-tested under wine; slow, so apart from npm test
// (whose tests/**/*.test.ts does not match these *.wine.ts files).
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['tests/win/**/*.wine.ts'],
    globalSetup: ['tests/win/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 900_000,
  },
});

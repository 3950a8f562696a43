import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary'],
      // the project's standard: at least 80 % of lines of the engine and the protocol
      thresholds: {
        'src/engine/**/*.ts': { lines: 80 },
        'src/protocol/**/*.ts': { lines: 80 },
      },
    },
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    // timeouts guard against hangs, not speed (benchmarks measure speed): on these shared 2-core VMs a heavy test
    // ran 10–18× slower than usual when the hypervisor took a third of the CPU
    testTimeout: 60_000,
    hookTimeout: 60_000,
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

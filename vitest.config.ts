import { defineConfig } from 'vitest/config';

// The JSON report feeds the one-line summary that .ci/run prints ("N passed, N failed").
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
  },
});

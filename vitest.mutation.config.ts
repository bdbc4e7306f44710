import { defineConfig } from 'vitest/config'

/**
 * The fast unit tests that StrykerJS runs against each mutant (`npm run test:mutation`, see
 * stryker.config.mjs): pure tests of sdk/core and of the guard's decision modules. No global
 * setup, no PostgreSQL, no servers or Chromium. `CANARY_MUTATION=1` skips the Monte Carlo
 * simulations of test/server/guard/sequential.test.ts: seconds per mutant would not fit the hour.
 */
export default defineConfig({
  test: {
    include: [
      'test/sdk/core/**/*.test.ts',
      'test/sdk/client/counting.test.ts',
      'test/sdk/client/backoff.test.ts',
      'test/server/guard/sequential.test.ts',
      'test/server/guard/plan.test.ts',
    ],
    // Distribution checks over 100,000 users: seconds per run once instrumented, for each mutant
    // of the hash and the bucketing; the exact vectors of bucket.test.ts pin those instead.
    exclude: ['test/sdk/core/statistics.test.ts'],
    env: { CANARY_MUTATION: '1' },
    testTimeout: 30_000,
  },
})

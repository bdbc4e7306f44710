import { defineConfig } from 'vitest/config'

/**
 * The fast unit tests that StrykerJS runs against each mutant (`npm run test:mutation`, see
 * stryker.config.mjs): pure tests of sdk/core and of the guard's decision modules, plus the
 * in-memory rollout-plan API test (SQLite `:memory:`, no port). No global setup, no PostgreSQL,
 * no servers or Chromium. `CANARY_MUTATION=1` skips the long Monte Carlo simulations of
 * test/server/guard/sequential.test.ts: their seconds-long runs per mutant would not fit the hour.
 */
export default defineConfig({
  test: {
    include: [
      'test/sdk/core/**/*.test.ts',
      'test/sdk/client/counting.test.ts',
      'test/server/guard/sequential.test.ts',
      'test/server/guard/plan.test.ts',
      'test/server/guard/rollout-plan.test.ts',
    ],
    env: { CANARY_MUTATION: '1' },
    testTimeout: 30_000,
  },
})

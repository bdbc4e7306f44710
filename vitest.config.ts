import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One throwaway PostgreSQL for the run (or TEST_DATABASE_URL's), for the store contract suite.
    globalSetup: ['test/helpers/postgres.ts'],
    // Many suites start real servers, child processes and Chromium on a 2-core CI machine:
    // waits are generous so load cannot fail a correct test; assertions stay exact.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})

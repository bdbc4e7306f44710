import { defineConfig } from 'vitest/config'

/**
 * Two projects, so that PostgreSQL starts only for the files that need it:
 * - `postgres`: files named `*.pg.test.ts` (store contract, replicas, change feed). Its global
 *   setup starts one throwaway PostgreSQL for the run, or uses `TEST_DATABASE_URL`'s. Vitest runs
 *   a project's global setup only when that project has files in the run, so
 *   `npx vitest run test/sdk/core` starts no database.
 * - `unit`: every other `*.test.ts`.
 *
 * `CANARY_TEST_GATE_FIXTURE=<folder>` points both projects at one folder of `test/gate-fixtures/`
 * instead (`test/gate/gate.test.ts` runs vitest that way, to check that the exit code tells the
 * truth with this very configuration, global setup included). Those fixtures never run otherwise.
 */
const gateFixture = process.env.CANARY_TEST_GATE_FIXTURE
const root = gateFixture ? `test/gate-fixtures/${gateFixture}` : 'test'
const notFixtures = gateFixture ? [] : ['test/gate-fixtures/**']

export default defineConfig({
  test: {
    // Many suites start real servers, child processes and Chromium on a 2-core CI machine:
    // waits are generous so load cannot fail a correct test; assertions stay exact.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [`${root}/**/*.test.ts`],
          exclude: ['**/node_modules/**', `${root}/**/*.pg.test.ts`, ...notFixtures],
        },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: [`${root}/**/*.pg.test.ts`],
          exclude: ['**/node_modules/**', ...notFixtures],
          globalSetup: ['test/helpers/postgres.ts'],
        },
      },
    ],
  },
})

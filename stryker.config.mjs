// @ts-check
/**
 * Mutation testing of the pure evaluation core and the guard's decision modules:
 * `npm run test:mutation`. Not part of `npm test`. Runs the fast unit tests of
 * vitest.mutation.config.ts only; reports in reports/mutation/, work files in .stryker-tmp/.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: [
    'sdk/core/**/*.ts',
    '!sdk/core/index.ts',
    '!sdk/core/types.ts',
    '!sdk/core/changes.ts',
    'server/guard/sequential.ts',
    'server/guard/decide.ts',
    'server/domain/plan.ts',
  ],
  coverageAnalysis: 'perTest',
  // The machine has 2 cores shared with other work.
  concurrency: 2,
  timeoutMS: 20_000,
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 85, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
}

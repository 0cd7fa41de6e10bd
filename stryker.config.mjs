/**
 * StrykerJS, one source file at a time: `npm run mutate` (test/mutation/mutate.mjs) runs it once per
 * file of test/mutation/targets.mjs. Slow by design (one mutant at a time on a shared runner), so it
 * runs outside CI; the scores go to docs/quality.md.
 */
import { currentTarget } from './test/mutation/targets.mjs';

const target = currentTarget();

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'test/mutation/vitest.config.mjs', related: true },
  mutate: [`src/${target.file}`],
  coverageAnalysis: 'perTest',
  concurrency: 1,
  incremental: true,
  incrementalFile: `reports/mutation/${target.slug}.incremental.json`,
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: `reports/mutation/${target.slug}.json` },
  htmlReporter: { fileName: `reports/mutation/${target.slug}.html` },
  tempDirName: 'reports/stryker-tmp',
  cleanTempDir: 'always',
  // A mutant that makes a loop endless is killed by the timeout; blocks that spawn processes need slack
  // (10 s, more for the files targets.mjs names).
  timeoutMS: target.timeoutMS,
  thresholds: { high: 90, low: 80, break: null },
};

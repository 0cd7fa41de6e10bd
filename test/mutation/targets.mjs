/**
 * The files `npm run mutate` mutates, each with the tests that hold it to its promises
 * (docs/quality.md#mutation-testing). One Stryker run per file, with only these tests, keeps a run
 * within what two shared cores can do: the whole suite per mutant would take days.
 * Tests that spawn the built binary (test/e2e) are left out: they run dist/, which a mutant of src/
 * never reaches.
 */

/** @type {Record<string, string[]>} source file under src/ -> the test files that run against its mutants */
export const TARGETS = {
  // runbook-identity.test.ts is left out: one of its tests chdir()s, which Stryker's Vitest runner
  // (worker threads, always) refuses, so the initial run fails; its subject is the state folder's
  // naming (engine/runs.ts), reached through the session.
  'engine/session.ts': [
    'test/engine/session/session.test.ts',
    'test/engine/session/disk-full.test.ts',
    'test/engine/session/finished.test.ts',
    'test/engine/session/fix-in-place.test.ts',
    'test/engine/session/gate-all-checks.test.ts',
    'test/engine/session/notify.test.ts',
    'test/engine/session/approvals.test.ts',
    'test/engine/session/connections.test.ts',
    'test/engine/session/baseline.test.ts',
    'test/engine/session/fleet.test.ts',
    'test/engine/session/fleet-answers.test.ts',
    'test/engine/session/answers.test.ts',
    'test/engine/session/resume-settings.test.ts',
    'test/engine/session/open-close.test.ts',
    'test/engine/session/core-records.test.ts',
    'test/engine/session/core-run.test.ts',
    'test/engine/vars.test.ts',
  ],
  'engine/plan.ts': ['test/engine/plan/*.test.ts', 'test/engine/decisions/*.test.ts', 'test/engine/reconcile/*.test.ts'],
  'engine/run-state.ts': [
    'test/engine/run-state/*.test.ts',
    'test/engine/plan/*.test.ts',
    'test/engine/decisions/*.test.ts',
    'test/engine/checkpoint/journal-kept.test.ts',
    'test/engine/reconcile/*.test.ts',
    'test/engine/fleet/*.test.ts',
    'test/engine/capture.test.ts',
    'test/engine/baseline.test.ts',
  ],
  'engine/reconcile.ts': ['test/engine/reconcile/*.test.ts', 'test/engine/run-state/*.test.ts', 'test/engine/plan/holding-gates.test.ts'],
  'engine/exec/expect.ts': ['test/engine/exec/expect.test.ts'],
  'engine/exec/mask.ts': ['test/engine/exec/mask.test.ts'],
  'engine/exec/sql.ts': ['test/engine/exec/sql.test.ts'],
  'state/audit.ts': [
    'test/state/audit.test.ts',
    'test/state/audit-tail.test.ts',
    'test/state/audit-key.test.ts',
    'test/state/symlinks.test.ts',
  ],
  'state/journal.ts': ['test/state/journal.test.ts', 'test/engine/checkpoint/*.test.ts', 'test/state/symlinks.test.ts'],
  'state/lock.ts': ['test/state/lock.test.ts', 'test/state/symlinks.test.ts'],
};

/**
 * Stryker's `timeoutMS` (added to 1.5 times a mutant's tests' own time) where 10 s is too little.
 * sql.ts: each run of its tests starts a private MariaDB in beforeAll, which takes longer on a
 * loaded machine than in the initial run; with too little slack a mutant would count as killed
 * by a timeout that only measured the server's start. session.ts: its connections test does too.
 */
const TIMEOUTS_MS = { 'engine/exec/sql.ts': 40_000, 'engine/session.ts': 40_000 };

/** The environment variable naming the one target a Stryker run works on. */
export const TARGET_VARIABLE = 'WAYMARK_MUTATE';

/** The target named in the environment, or an error message naming the ones there are. */
export function currentTarget(env = process.env) {
  const file = env[TARGET_VARIABLE];
  if (file === undefined || !(file in TARGETS)) {
    throw new Error(
      `${TARGET_VARIABLE}=${file ?? ''} is not one of the mutated files: ${Object.keys(TARGETS).join(', ')} (run \`npm run mutate -- FILE\`)`,
    );
  }
  return { file, tests: TARGETS[file], slug: file.replace(/\.ts$/, '').replaceAll('/', '-'), timeoutMS: TIMEOUTS_MS[file] ?? 10_000 };
}

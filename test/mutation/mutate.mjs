#!/usr/bin/env node
/**
 * `npm run mutate [-- FILE...]`: StrykerJS on each file of targets.mjs (all of them by default, or
 * those named, as under src/: `engine/exec/mask.ts`), one after the other, then the score of each.
 * Exits 1 when a file scores under 80%, the bar docs/quality.md#mutation-testing sets.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TARGETS, TARGET_VARIABLE, currentTarget } from './targets.mjs';

const BAR = 80;
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const asked = process.argv.slice(2).map((name) => name.replace(/^src\//, ''));
const unknown = asked.filter((name) => !(name in TARGETS));
if (unknown.length > 0) {
  console.error(`npm run mutate: ${unknown.join(', ')} is not a mutated file; choose among ${Object.keys(TARGETS).join(', ')}`);
  process.exit(2);
}
const files = asked.length > 0 ? asked : Object.keys(TARGETS);

/** Stryker's mutation score of one JSON report: killed and timed-out mutants over all that were valid. */
function score(reportFile) {
  const report = JSON.parse(readFileSync(reportFile, 'utf8'));
  const counts = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0 };
  for (const file of Object.values(report.files)) {
    for (const mutant of file.mutants) if (mutant.status in counts) counts[mutant.status] += 1;
  }
  const detected = counts.Killed + counts.Timeout;
  const valid = detected + counts.Survived + counts.NoCoverage;
  return { ...counts, valid, percent: valid === 0 ? 100 : (100 * detected) / valid };
}

const results = [];
for (const file of files) {
  const env = { ...process.env, [TARGET_VARIABLE]: file };
  console.log(`\n=== mutating src/${file} with ${TARGETS[file].join(' ')}`);
  const run = spawnSync(join(root, 'node_modules', '.bin', 'stryker'), ['run', 'stryker.config.mjs'], { cwd: root, env, stdio: 'inherit' });
  const reportFile = join(root, 'reports', 'mutation', `${currentTarget(env).slug}.json`);
  if (run.status !== 0 || !existsSync(reportFile)) {
    results.push({ file, error: `stryker exited ${run.status ?? run.signal}` });
    continue;
  }
  results.push({ file, ...score(reportFile) });
}

console.log('\nfile                          score   killed timeout survived no-coverage');
let below = false;
for (const r of results) {
  if ('error' in r) {
    below = true;
    console.log(`src/${r.file.padEnd(26)} ${r.error}`);
    continue;
  }
  if (r.percent < BAR) below = true;
  console.log(
    `src/${r.file.padEnd(26)} ${r.percent.toFixed(2).padStart(6)}% ${String(r.Killed).padStart(6)} ${String(r.Timeout).padStart(7)} ${String(r.Survived).padStart(8)} ${String(r.NoCoverage).padStart(11)}`,
  );
}
process.exit(below ? 1 : 0);

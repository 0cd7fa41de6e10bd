/**
 * The Vitest config of a Stryker run: the repository's own, with only the tests of the one
 * file being mutated (targets.mjs), quickest files first.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BaseSequencer } from 'vitest/node';
import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../../vitest.config.ts';
import { currentTarget } from './targets.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Vitest runs the slowest files first (by their last durations, else the largest), which suits a
 * whole suite on many workers. A mutant's run stops at its first failing test (Stryker's bail), so
 * here the quickest go first: a mutant that a one-second test kills was otherwise killed only
 * after session.ts's minute-long fleet tests had run for it too.
 */
class QuickestFirst extends BaseSequencer {
  async sort(files) {
    return (await super.sort(files)).reverse();
  }
}

export default mergeConfig(base, defineConfig({ root, test: { include: currentTarget().tests, sequence: { sequencer: QuickestFirst } } }));

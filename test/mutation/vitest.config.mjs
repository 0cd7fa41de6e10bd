/**
 * The Vitest config of a Stryker run: the repository's own, with only the tests of the one
 * file being mutated (targets.mjs).
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../../vitest.config.ts';
import { currentTarget } from './targets.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export default mergeConfig(base, defineConfig({ root, test: { include: currentTarget().tests } }));

import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Every test, and every waymark it spawns, keeps its audit key in a scratch folder, never in ~/.config.
    setupFiles: ['test/support/config-home.ts'],
    // npm run mutate copies the repository, tests included, into reports/ while it runs.
    exclude: [...configDefaults.exclude, 'reports/**'],
  },
});

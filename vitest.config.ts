import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Every test, and every waymark it spawns, keeps its audit key in a scratch folder, never in ~/.config.
    setupFiles: ['test/helpers/config-home.ts'],
  },
});

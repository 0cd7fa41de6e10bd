import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { PLUGIN_FILES, pluginSources } from '../../../../src/engine/exec/fleet/plugins.js';
import { createMasker } from '../../../../src/engine/exec/mask.js';
import { removeScratchDirs, scratchDir } from '../../../support/workspace.js';

const folder = path.resolve('src/engine/exec/fleet/plugins');
const shipped = (): string[] =>
  (readdirSync(folder, { recursive: true }) as string[])
    .filter((file) => file.endsWith('.py'))
    .map((file) => file.split(path.sep).join('/'));

afterAll(removeScratchDirs);

describe('the shipped Ansible plugins', () => {
  it('are every .py file of the plugins folder, read from beside the module when run from source', async () => {
    expect([...PLUGIN_FILES].sort()).toEqual(shipped().sort());
    const sources = await pluginSources();
    for (const file of PLUGIN_FILES) expect(sources[file]).toBe(readFileSync(path.join(folder, file), 'utf8'));
  });

  it('are carried inside a bundle (as src/build/bundle.mjs defines them), which runs a batch with no plugins folder beside it', async () => {
    const out = scratchDir();
    const texts = Object.fromEntries(shipped().map((file) => [file, readFileSync(path.join(folder, file), 'utf8')]));
    await build({
      entryPoints: ['src/engine/exec/fleet/ansible.ts'],
      outfile: path.join(out, 'fleet.mjs'),
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      logLevel: 'warning',
      define: { WAYMARK_ANSIBLE_PLUGINS: JSON.stringify(Buffer.from(JSON.stringify(texts)).toString('base64')) },
      banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
    });
    const bundled = (await import(
      pathToFileURL(path.join(out, 'fleet.mjs')).href
    )) as typeof import('../../../../src/engine/exec/fleet/ansible.js');
    writeFileSync(path.join(out, 'hosts.ini'), 'b1 ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n');
    const results: unknown[] = [];
    const outcome = await bundled.runBatch({
      inventory: 'hosts.ini',
      hosts: ['b1'],
      batch: 1,
      code: 'echo bundled',
      interpreter: 'shell',
      shell: 'bash',
      vars: {},
      secretNames: [],
      masker: createMasker([]),
      timeoutMs: 60_000,
      cwd: out,
      onHostResult: (result) => results.push(result),
    });
    expect(outcome).toEqual({ canceled: false, timedOut: false, exitCode: 0 });
    expect(results).toEqual([expect.objectContaining({ host: 'b1', status: 'ok', stdout: 'bundled\n' })]);
  }, 60_000);
});

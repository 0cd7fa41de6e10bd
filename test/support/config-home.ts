/**
 * Points XDG_CONFIG_HOME at a scratch folder for this test file, so the audit key
 * (`$XDG_CONFIG_HOME/waymark/audit.key`) of in-process sessions and of spawned
 * binaries (they inherit the environment) never lands in the real home.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const home = mkdtempSync(join(tmpdir(), 'wm-config-'));
process.env.XDG_CONFIG_HOME = home;
afterAll(() => rmSync(home, { recursive: true, force: true }));

/**
 * The Ansible plugins waymark ships (Python, in ./plugins/): the stdout callback, the action and the
 * module of a fleet block. Each batch gets a copy beside its generated playbook, where Ansible looks
 * for them by itself (callback_plugins/, action_plugins/, library/), so the operator's own plugin
 * paths are left as they are.
 */
import { readFile } from 'node:fs/promises';

/** The plugin files, by their path beside the playbook. */
export const PLUGIN_FILES = ['callback_plugins/waymark_jsonl.py', 'action_plugins/waymark_run.py', 'library/waymark_run.py'] as const;

// The bundle (src/build/bundle.mjs) defines this as the files' text: its chunks have no plugins/
// folder beside them. From src/ (tests) and tsc's dist/ (which the build copies the folder into),
// the files are read from beside this module.
// It is base64 of their JSON (see there why).
declare const WAYMARK_ANSIBLE_PLUGINS: string | undefined;

let sources: Promise<Record<string, string>> | undefined;

/** The text of each plugin file, read once. */
export function pluginSources(): Promise<Record<string, string>> {
  if (typeof WAYMARK_ANSIBLE_PLUGINS === 'string')
    return Promise.resolve(JSON.parse(Buffer.from(WAYMARK_ANSIBLE_PLUGINS, 'base64').toString('utf8')) as Record<string, string>);
  sources ??= readPlugins().catch((error: unknown) => {
    sources = undefined;
    throw error;
  });
  return sources;
}

async function readPlugins(): Promise<Record<string, string>> {
  const texts = await Promise.all(PLUGIN_FILES.map((file) => readFile(new URL(`./plugins/${file}`, import.meta.url), 'utf8')));
  return Object.fromEntries(PLUGIN_FILES.map((file, index) => [file, texts[index] as string]));
}

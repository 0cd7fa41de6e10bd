/**
 * docs/json.md is the reference for the JSON that describes runs (docs/json.md#status---json,
 * docs/json.md#the-json-report, docs/json.md#report---compare---format-json). A script written
 * against that page must find there every field the built binary prints, and every status among
 * the documented ones: this runs the demo runbook as the page's worked example does (refused,
 * fixed, complete, then a second run) and reads the page's tables.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/binary.js';
import { useWorkspace } from '../support/workspace.js';

const ws = useWorkspace('wm-json-docs-');
const T = 60_000;
const DEMO = join(ROOT, 'runbooks/demo.md');
const PAGE = readFileSync(join(ROOT, 'docs/json.md'), 'utf8');

/** The text of the page's section under `heading`, up to the next heading of the same level or above. */
function section(heading: string): string {
  const start = PAGE.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`docs/json.md has no heading "${heading}"`);
  const level = /^#+/.exec(heading)?.[0].length ?? 2;
  const rest = PAGE.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`\\n#{1,${level}} `));
  return end < 0 ? rest : rest.slice(0, end);
}

/** Every name a section writes in backticks, split at what joins names (`steps[].id`, `a, b`). */
function namesIn(text: string): Set<string> {
  const names = new Set<string>();
  const prose = text.replace(/^```[\s\S]*?^```$/gm, '');
  for (const m of prose.matchAll(/`([^`]+)`/g))
    for (const part of (m[1] as string).split(/[^A-Za-z0-9_ -]+/)) if (part.trim()) names.add(part.trim());
  return names;
}

/** Every key of `value` and of the objects inside it, as `path.key`, except under `vars` and `ticked` (keyed by the runbook's own names). */
function keysOf(value: unknown, path = ''): { path: string; key: string }[] {
  if (Array.isArray(value)) return value.flatMap((item) => keysOf(item, `${path}[]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => [
    { path, key },
    ...(key === 'vars' || key === 'ticked' ? [] : keysOf(inner, path ? `${path}.${key}` : key)),
  ]);
}

/** The keys of `json` the page's section does not name, as `path.key`. */
function undocumented(json: unknown, documented: Set<string>): string[] {
  return [
    ...new Set(
      keysOf(json)
        .filter(({ key }) => !documented.has(key))
        .map(({ path, key }) => (path ? `${path}.${key}` : key)),
    ),
  ];
}

/** Every `status` value in `json`, at any depth, with where it sits (`steps[].blocks[]`). */
function statusesOf(value: unknown, path = ''): { path: string; status: string }[] {
  if (Array.isArray(value)) return value.flatMap((item) => statusesOf(item, `${path}[]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    key === 'status' && typeof inner === 'string' ? [{ path, status: inner }] : statusesOf(inner, path ? `${path}.${key}` : key),
  );
}

describe('docs/json.md describes what the binary prints', () => {
  it(
    'every field of status --json, the JSON report and report --compare, through a refused, fixed and complete demo run and a second one, is on the page',
    async () => {
      const vars = ['--var', `SANDBOX=${ws().path('sandbox')}`, '--operator', 'alice'];
      const refused = await ws().run(DEMO, ['--yes', ...vars]);
      expect(refused.code, refused.all).toBe(3);

      const statusText = (await ws().waymark(['status', DEMO, '--json'])).stdout;
      const status = JSON.parse(statusText) as unknown;
      expect(status).toMatchObject({ runbook: 'demo', status: 'refused' });
      expect(undocumented(status, namesIn(section('## status --json')))).toEqual([]);

      expect((await ws().run(DEMO, ['--yes', '--only', 'fix-config', ...vars])).code).toBe(0);
      const complete = await ws().run(DEMO, [
        '--yes',
        '--accept-warnings',
        '--skip',
        'snapshot=the sandbox is thrown away after the demo',
        ...vars,
      ]);
      expect(complete.code, complete.all).toBe(0);

      const reportRun = await ws().waymark(['report', DEMO, '--format', 'json']);
      expect(reportRun.code, reportRun.all).toBe(0);
      const report = JSON.parse(reportRun.stdout) as { status: string; decisions: unknown[]; steps: { id: string; failures?: number }[] };
      expect(report.status).toBe('complete');
      expect(report.steps.find((s) => s.id === 'config')?.failures).toBe(1);
      expect(report.decisions.length).toBeGreaterThan(3);
      expect(undocumented(report, namesIn(section('## The JSON report')))).toEqual([]);

      const first = ws().currentRun('demo');
      const again = await ws().run(DEMO, ['--yes', '--new-run', ...vars]);
      expect(again.code, again.all).toBe(3);
      const compareRun = await ws().waymark(['report', DEMO, '--compare', first, ws().currentRun('demo'), '--format', 'json']);
      expect(compareRun.code, compareRun.all).toBe(0);
      const comparison = JSON.parse(compareRun.stdout) as { steps: { id: string; flags: string[] }[] };
      expect(comparison.steps.find((s) => s.id === 'config')?.flags).toEqual(['failed 1× in A', 'failed 1× in B']);
      expect(undocumented(comparison, namesIn(section('## report --compare --format json')))).toEqual([]);

      const statuses = namesIn(section('## Statuses'));
      const seen = [...statusesOf(JSON.parse(statusText)), ...statusesOf(report), ...statusesOf(comparison)];
      expect(seen.filter(({ status: s }) => !statuses.has(s))).toEqual([]);
    },
    T,
  );
});

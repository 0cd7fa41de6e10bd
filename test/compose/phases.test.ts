/**
 * Phases and service order: steps run phase by phase (`phase=N`, a step without it keeps the phase
 * of the step before it in its file); within a phase the top runbook's own steps first, then the
 * services in `after:` order; fragment step ids get the `SERVICE-` prefix. An `after:` cycle is a
 * lint error that shows the cycle.
 */
import { describe, expect, it } from 'vitest';
import { waymark } from '../support/binary.js';
import { useScratch } from '../support/workspace.js';

const scratch = useScratch('wm-phases-');
const T = 30_000;

const TOP = `---
id: phased
vars:
  LOG: { required: true }
include: [services/nova.md, services/cinder.md, services/glance.md]
---
# Phased upgrade

## Prepare {#prepare}

\`\`\`sh
echo top:prepare >> "$LOG"
\`\`\`

## Unpin {#unpin phase=3}

\`\`\`sh
echo top:unpin >> "$LOG"
\`\`\`
`;

/** A service fragment; each step is [heading attributes, label]. */
function service(name: string, after: string[], steps: [string, string][]): string {
  let text = `---\nservice: ${name}\n${after.length ? `after: [${after.join(', ')}]\n` : ''}---\n# ${name}\n`;
  for (const [attrs, label] of steps) text += `\n## ${label} {${attrs}}\n\n\`\`\`sh\necho ${name}:${label} >> "$LOG"\n\`\`\`\n`;
  return text;
}

function writeServices(s: ReturnType<typeof scratch>, afters: { nova: string[]; cinder: string[]; glance: string[] }): string {
  const book = s.write('phased.md', TOP);
  // nova: the stop step has no phase= and stays in phase 1 with the step before it.
  s.write(
    'services/nova.md',
    service('nova', afters.nova, [
      ['#pin phase=1', 'pin'],
      ['#stop', 'stop'],
      ['#sync phase=2', 'sync'],
      ['#start', 'start'],
    ]),
  );
  s.write(
    'services/cinder.md',
    service('cinder', afters.cinder, [
      ['#stop phase=1', 'stop'],
      ['#sync phase=2', 'sync'],
    ]),
  );
  s.write(
    'services/glance.md',
    service('glance', afters.glance, [
      ['#sync phase=2', 'sync'],
      ['#cleanup phase=3', 'cleanup'],
    ]),
  );
  return book;
}

describe.concurrent('phases and service order', () => {
  it(
    'runs phase by phase, the top runbook first in each phase, then services in after: order, whatever the include order',
    async () => {
      const s = scratch();
      const book = writeServices(s, { nova: ['cinder', 'glance'], cinder: ['glance'], glance: [] });
      const plan = await waymark(['plan', book, '--json']);
      expect(plan.code, plan.all).toBe(0);
      const steps = (JSON.parse(plan.stdout) as { steps: { id: string; phase: number; service: string | null }[] }).steps;
      const expected = [
        ['prepare', 0, null],
        ['cinder-stop', 1, 'cinder'],
        ['nova-pin', 1, 'nova'],
        ['nova-stop', 1, 'nova'],
        ['glance-sync', 2, 'glance'],
        ['cinder-sync', 2, 'cinder'],
        ['nova-sync', 2, 'nova'],
        ['nova-start', 2, 'nova'],
        ['unpin', 3, null],
        ['glance-cleanup', 3, 'glance'],
      ];
      expect(steps.map((st) => [st.id, st.phase, st.service])).toEqual(expected);

      // The run takes them in exactly that order.
      const log = s.path('log.txt');
      const run = await s.run(book, ['--var', `LOG=${log}`]);
      expect(run.code, run.all).toBe(0);
      expect(s.lines(log)).toEqual([
        'top:prepare',
        'cinder:stop',
        'nova:pin',
        'nova:stop',
        'glance:sync',
        'cinder:sync',
        'nova:sync',
        'nova:start',
        'top:unpin',
        'glance:cleanup',
      ]);
      const status = await s.status(book);
      expect(status.steps.map((st) => st.id)).toEqual(expected.map(([id]) => id));
      // The same local id (#sync) in three fragments, three steps and three distinct block ids.
      expect(status.steps.filter((st) => st.id.endsWith('-sync')).map((st) => st.blocks[0]?.id)).toEqual([
        'glance-sync-1',
        'cinder-sync-1',
        'nova-sync-1',
      ]);
    },
    T,
  );

  it(
    'without after:, services keep the include order',
    async () => {
      const s = scratch();
      const book = writeServices(s, { nova: [], cinder: [], glance: [] });
      const plan = await waymark(['plan', book, '--json']);
      expect(plan.code, plan.all).toBe(0);
      const ids = (JSON.parse(plan.stdout) as { steps: { id: string }[] }).steps.map((st) => st.id);
      expect(ids.filter((id) => id.endsWith('-sync'))).toEqual(['nova-sync', 'cinder-sync', 'glance-sync']);
    },
    T,
  );

  it(
    'an after: cycle is a lint error showing the cycle, and the run refuses before anything runs',
    async () => {
      const s = scratch();
      const book = writeServices(s, { nova: ['cinder'], cinder: ['glance'], glance: ['nova'] });
      const lint = await waymark(['lint', book]);
      expect(lint.code, lint.all).toBe(2);
      expect(lint.stdout).toMatch(/services\/nova\.md:1: error: service order cycle: nova → cinder → glance → nova/);
      expect(JSON.parse((await waymark(['lint', book, '--json'])).stdout)).toContainEqual(
        expect.objectContaining({ rule: 'service-cycle', severity: 'error' }),
      );

      const log = s.path('log.txt');
      const run = await s.run(book, ['--var', `LOG=${log}`]);
      expect(run.code, run.all).toBe(2);
      expect(run.stderr).toContain('service order cycle');
      expect(s.lines(log)).toEqual([]);
    },
    T,
  );

  it(
    'after: a service nobody declares is a warning; a bad phase= is an error on the heading line',
    async () => {
      const s = scratch();
      const book = writeServices(s, { nova: ['keystone'], cinder: [], glance: [] });
      const lint = await waymark(['lint', book]);
      expect(lint.code, lint.all).toBe(0);
      expect(lint.stdout).toContain('warning: after: keystone, but no included fragment declares service: keystone');

      s.write('services/cinder.md', service('cinder', [], [['#stop phase=one', 'stop']]));
      const bad = await waymark(['lint', book]);
      expect(bad.code).toBe(2);
      expect(bad.stdout).toContain(`${s.path('services/cinder.md')}:6: error: bad phase "one": expected a whole number, e.g. phase=2`);
    },
    T,
  );
});

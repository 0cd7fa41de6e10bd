/**
 * `waymark plan`: the composed order of steps with where each one comes from (file:line), and
 * the committed plan of the composed control-plane example under docs/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, waymark } from '../support/binary.js';
import { COMPOSED, lineOf, useScratch } from '../support/workspace.js';

const scratch = useScratch('wm-plan-');
const T = 30_000;

interface PlanJson {
  runbook: string;
  steps: {
    n: number;
    id: string;
    title: string;
    source: string;
    phase: number;
    service: string | null;
    tags: string[];
    needs: string[];
    blocks: string[];
  }[];
}

describe.concurrent('waymark plan', () => {
  it(
    'gives every step its source file and the line of its heading, relative to where waymark runs',
    async () => {
      const s = scratch();
      s.write(
        'ops/upgrade.md',
        '---\nid: up\ninclude: [services/nova.md]\n---\n# Up\n\nIntro.\n\n## Check {#check tags=pre}\n\n```sh check\ntrue\n```\n\n## Unpin {#unpin phase=2 needs=pre}\n\n```sh\ntrue\n```\n',
      );
      s.write(
        'ops/services/nova.md',
        '---\nservice: nova\n---\n# nova\n\n## Stop nova {#stop phase=1 tags=pre}\n\n```sh\ntrue\n```\n\n```sh verify name=nova-stopped\ntrue\n```\n',
      );

      const json = await waymark(['plan', 'ops/upgrade.md', '--json'], { cwd: s.dir });
      expect(json.code, json.all).toBe(0);
      const plan = JSON.parse(json.stdout) as PlanJson;
      expect(plan.runbook).toBe('up');
      expect(plan.steps).toEqual([
        {
          n: 1,
          id: 'check',
          title: 'Check',
          source: 'ops/upgrade.md:9',
          phase: 0,
          service: null,
          tags: ['pre'],
          needs: [],
          blocks: ['check check-1'],
        },
        {
          n: 2,
          id: 'nova-stop',
          title: 'Stop nova',
          source: 'ops/services/nova.md:6',
          phase: 1,
          service: 'nova',
          tags: ['pre'],
          needs: [],
          blocks: ['run nova-stop-1', 'verify nova-stopped'],
        },
        {
          n: 3,
          id: 'unpin',
          title: 'Unpin',
          source: 'ops/upgrade.md:15',
          phase: 2,
          service: null,
          tags: [],
          needs: ['pre'],
          blocks: ['run unpin-1'],
        },
      ]);

      const text = await waymark(['plan', 'upgrade.md'], { cwd: s.path('ops') });
      expect(text.code, text.all).toBe(0);
      expect(text.stdout.split('\n')).toEqual([
        'Up (up): 3 steps',
        'phase 0',
        '  1. Check  [check]',
        '     upgrade.md:9 · tags pre · 1 block(s)',
        'phase 1',
        '  2. Stop nova  [nova-stop]',
        '     services/nova.md:6 · service nova · tags pre · 2 block(s)',
        'phase 2',
        '  3. Unpin  [unpin]',
        '     upgrade.md:15 · needs pre · 1 block(s)',
      ]);
    },
    T,
  );

  it(
    'a runbook with lint errors has no plan (exit 2, the errors listed)',
    async () => {
      const s = scratch();
      s.write('up.md', '---\ninclude: [gone.md]\n---\n## A\n\n```sh\ntrue\n```\n');
      const plan = await waymark(['plan', 'up.md'], { cwd: s.dir });
      expect(plan.code).toBe(2);
      expect(plan.stderr).toContain('up.md:2: error: include gone.md: cannot read runbook: no such file');
    },
    T,
  );

  it(
    'composes nova, cinder and glance into one plan whose every source points at its heading',
    async () => {
      const json = await waymark(['plan', COMPOSED, '--json']);
      expect(json.code, json.all).toBe(0);
      const plan = JSON.parse(json.stdout) as PlanJson;
      expect(new Set(plan.steps.map((st) => st.service))).toEqual(new Set([null, 'glance', 'cinder', 'nova']));
      expect([...new Set(plan.steps.map((st) => st.phase))]).toEqual([0, 1, 2, 3, 4, 5, 6]);
      for (const step of plan.steps) {
        const [file, line] = step.source.split(':') as [string, string];
        const heading = readFileSync(join(ROOT, file), 'utf8').split('\n')[Number(line) - 1] ?? '';
        expect(heading, step.id).toMatch(/^## /);
        if (step.service) expect(step.id.startsWith(`${step.service}-`), step.id).toBe(true);
      }
      // The release chain: one step per release, in order, all from the same heading.
      const chain = plan.steps.filter((st) => st.id.startsWith('nova-db-sync-'));
      expect(chain.map((st) => st.id)).toEqual(['nova-db-sync-ocata', 'nova-db-sync-pike', 'nova-db-sync-queens']);
      expect(new Set(chain.map((st) => st.source))).toEqual(
        new Set([`runbooks/composed/services/nova.md:${lineOf(join(ROOT, 'runbooks/composed/services/nova.md'), 'foreach=RELEASE')}`]),
      );
      // Unpinning RPC comes after every step of the stages it needs.
      const unpin = plan.steps.findIndex((st) => st.id === 'unpin-rpc');
      expect(plan.steps[unpin]?.needs).toEqual(['controlplane', 'dataplane']);
      const lastOfStages = Math.max(
        ...plan.steps.map((st, i) => (st.tags.some((t) => t === 'controlplane' || t === 'dataplane') ? i : -1)),
      );
      expect(unpin).toBeGreaterThan(lastOfStages);
    },
    T,
  );

  it(
    'docs/plan-control-plane.txt is the current plan of the composed example, run from the repository root',
    async () => {
      const plan = await waymark(['plan', COMPOSED]);
      expect(plan.code, plan.all).toBe(0);
      const committed = readFileSync(join(ROOT, 'docs/plan-control-plane.txt'), 'utf8');
      expect(
        committed,
        'regenerate it: node dist/cli/main.js plan runbooks/composed/control-plane-upgrade.md > docs/plan-control-plane.txt',
      ).toBe(`${plan.stdout}\n`);
    },
    T,
  );
});

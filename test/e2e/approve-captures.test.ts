/**
 * An approval names the values a block runs with, captured values included. Reproduced by the gates
 * attack pass: bob approved `DROP TABLE $TABLE` while the run had captured TABLE=shadow_instances;
 * the capture block was then edited (drift), ran again and captured `instances`, and alice's next
 * run took bob's approval in and dropped `instances`, which nobody approved.
 */
import { describe, expect, it } from 'vitest';
import { useWorkspace } from '../support/workspace.js';

const ws = useWorkspace('wm-apvcap-');
const T = 60_000;

const RUNBOOK = `---
title: Capture approve
id: capapv
---
# Capture approve

## Find {#find}

\`\`\`sh name=find-table capture=TABLE
cat table.txt
\`\`\`

## Drop {#drop}

\`\`\`sh name=drop approve=1
echo "DROP TABLE $TABLE" >> drop.txt
\`\`\`
`;

describe('approve= and capture=', () => {
  it(
    'a capture that changes after the approval voids it: the run waits again, and the approver is shown the captured values',
    async () => {
      const w = ws();
      const file = w.write('capapv.md', RUNBOOK);
      w.write('table.txt', 'shadow_instances\n');
      expect((await w.run(file, ['--operator', 'alice'])).code).toBe(4);
      const approval = await w.waymark(['approve', file, '--block', 'drop', '--operator', 'bob']);
      expect(approval.code, approval.all).toBe(0);
      expect(approval.stdout).toContain('with the values captured so far: TABLE=shadow_instances');

      // The capture block is edited: it runs again and captures another table.
      w.write('table.txt', 'instances\n');
      w.write('capapv.md', RUNBOOK.replace('cat table.txt\n', 'cat table.txt # re-read\n'));
      const again = await w.run(file, ['--operator', 'alice']);
      expect(again.code, again.all).toBe(4);
      expect(again.stdout).toContain('captured TABLE=instances');
      expect(again.stdout).toContain('block drop is waiting for approval by someone other than alice');
      expect(w.lines('drop.txt')).toEqual([]);

      // Approved for what it will run with now, it runs.
      const second = await w.waymark(['approve', file, '--block', 'drop', '--operator', 'bob']);
      expect(second.stdout).toContain('with the values captured so far: TABLE=instances');
      const done = await w.run(file, ['--operator', 'alice']);
      expect(done.code, done.all).toBe(0);
      expect(w.lines('drop.txt')).toEqual(['DROP TABLE instances']);
    },
    T,
  );
});

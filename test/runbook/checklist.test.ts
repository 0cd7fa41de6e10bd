import { describe, expect, it } from 'vitest';
import { doc, lint, onlyStep, parse } from './helpers.js';

describe('checklists', () => {
  it('reads task items of any bullet and state, with ids, lines and first-line text', () => {
    const step = onlyStep(
      parse(
        doc(
          '## Announce {#announce}', //             1
          '', //                                    2
          'Before you start:', //                   3
          '', //                                    4
          '- [ ] Announce the maintenance window', // 5
          '- [x] Take a backup', //                 6
          '* [X] Silence the alerts', //            7
          '+ [ ] Open the change request', //       8
          '  with its number in the audit', //      9
          '', //                                   10
          '1. [ ] Ordered task', //                11
          '', //                                   12
          '- a plain item is not a task', //       13
          '- [] nor is this', //                   14
        ),
      ),
    );
    expect(step.checklist).toEqual([
      { id: 'announce-check-1', line: 5, text: 'Announce the maintenance window' },
      { id: 'announce-check-2', line: 6, text: 'Take a backup' },
      { id: 'announce-check-3', line: 7, text: 'Silence the alerts' },
      { id: 'announce-check-4', line: 8, text: 'Open the change request' },
      { id: 'announce-check-5', line: 11, text: 'Ordered task' },
    ]);
  });

  it('finds nested task items, under tasks and under plain items, on their own lines', () => {
    const step = onlyStep(
      parse(
        doc(
          '## S', //                         1
          '- [ ] parent task', //            2
          '  - [ ] child task', //           3
          '    - [x] grandchild task', //    4
          '- plain parent', //               5
          '', //                             6
          '  ```sh', //                      7
          '  echo between', //               8
          '  ```', //                        9
          '', //                            10
          '  - [ ] child of plain', //      11
          '', //                            12
          '> - [ ] quoted task', //         13
        ),
      ),
    );
    expect(step.checklist.map((c) => [c.line, c.text])).toEqual([
      [2, 'parent task'],
      [3, 'child task'],
      [4, 'grandchild task'],
      [11, 'child of plain'],
      [13, 'quoted task'],
    ]);
    expect(step.blocks.map((b) => b.line)).toEqual([7]);
  });

  it("numbers checklist items per step and keeps the intro's out of every step", () => {
    const runbook = parse(doc('- [ ] intro task', '', '## One', '- [ ] a', '- [ ] b', '## Two', '- [ ] c'));
    expect(runbook.steps.map((s) => s.checklist.map((c) => `${c.id}@${c.line}`))).toEqual([
      ['one-check-1@4', 'one-check-2@5'],
      ['two-check-1@7'],
    ]);
  });

  it('does not take "[ ]" inside a fence as a task', () => {
    expect(onlyStep(parse(doc('## S', '```text', '- [ ] not a task', '```'))).checklist).toEqual([]);
  });

  it('makes a step with only a checklist non-empty for lint', () => {
    expect(lint(doc('## S', '- [ ] tick me'))).toEqual([]);
  });
});

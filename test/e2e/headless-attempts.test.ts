/**
 * Headless says which attempt a retrying block is on (issue 12, item 9a): before, a verify with
 * `retries=` printed nothing between its start and its result.
 */
import { describe, expect, it } from 'vitest';
import { useWorkspace } from '../support/workspace.js';

const ws = useWorkspace('wm-e2e-attempts-');

describe('a retrying verify block, headless', () => {
  it('prints `   attempt N/M in WAIT: why` before each retry, and the result after', async () => {
    const book = ws().write(
      'retry.md',
      '# Retry\n\n## Wait {#wait}\n\n```sh verify name=up retries=4 delay=100ms\necho try >> tries.txt\n[ "$(wc -l < tries.txt)" -ge 3 ] || exit 1\n```\n',
    );
    const run = await ws().run(book);
    expect(run.code, run.all).toBe(0);
    expect(run.stdout).toMatch(
      /-> verify up \(shell\)\n {3}attempt 2\/5 in 100ms: .*exit.*\n {3}attempt 3\/5 in 100ms: .*\n<- ok verify up .* after 3 attempts/,
    );
  }, 60_000);
});

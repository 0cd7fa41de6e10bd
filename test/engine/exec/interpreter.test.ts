import { describe, expect, it } from 'vitest';
import { describeProgram, pythonCommand, shellCommand } from '../../../src/engine/exec/interpreter.js';
import { parseRunbook } from '../../../src/runbook/parse.js';
import { runProcess } from '../../../src/engine/exec/shell.js';

describe('shellCommand', () => {
  it('runs bash with -e -o pipefail and the script as a single argument', () => {
    expect(shellCommand('bash', 'echo "$X"')).toEqual(['bash', '-e', '-o', 'pipefail', '-c', 'echo "$X"']);
    expect(shellCommand('/usr/bin/bash', 'true')).toEqual(['/usr/bin/bash', '-e', '-o', 'pipefail', '-c', 'true']);
  });

  it('runs other POSIX shells with -e, and unknown shells with the script alone', () => {
    expect(shellCommand('sh', 'true')).toEqual(['sh', '-e', '-c', 'true']);
    expect(shellCommand('fish', 'true')).toEqual(['fish', '-c', 'true']);
  });

  it('keeps extra words of the shell setting', () => {
    expect(shellCommand('bash -x', 'true')).toEqual(['bash', '-x', '-e', '-o', 'pipefail', '-c', 'true']);
  });

  it('runs python unbuffered, so a line shows while the program still runs', async () => {
    expect(pythonCommand('print(1)')).toEqual(['python3', '-u', '-c', 'print(1)']);
    let seenAt = 0;
    const result = await runProcess({
      command: pythonCommand('import time\nprint("ready")\ntime.sleep(0.8)'),
      cwd: process.cwd(),
      timeoutMs: 10_000,
      onOutput: () => {
        seenAt = performance.now();
      },
    });
    const endedAt = performance.now();
    expect(result.exitCode).toBe(0);
    // Block-buffered output would arrive only at exit.
    expect(endedAt - seenAt).toBeGreaterThan(400);
  });
});

describe('describeProgram: what every face shows as the program that runs a block', () => {
  // Reproduced: with `shell: ./wrapper`, the confirmation and headless named no program at all
  // (`(shell) will run exactly:`). The description comes from the argv the executor runs.
  const book = (front: string) =>
    parseRunbook(
      [
        '---',
        front,
        'connections:',
        '  main: mysql://u@localhost/db',
        '---',
        '# B',
        '',
        '## S {#s}',
        '',
        '```sh name=a',
        'true',
        '```',
        '',
        '```python name=p',
        'print(1)',
        '```',
        '',
        '```sql name=q',
        'SELECT 1',
        '```',
        '',
      ].join('\n'),
      'b.md',
    );
  const described = (front: string) => {
    const runbook = book(front);
    return (runbook.steps[0]?.blocks ?? []).map((block) => describeProgram(block, runbook));
  };

  it('names the runbook shell and the arguments waymark adds, the code standing for the last one', () => {
    expect(described('shell: ./wrapper --login')).toEqual([
      './wrapper --login -c <code>',
      'python3 -u -c <code>',
      'SQL on connection main',
    ]);
    expect(described('title: B')[0]).toBe('bash -e -o pipefail -c <code>');
    expect(described('shell: sh')[0]).toBe('sh -e -c <code>');
    // The words are those the executor gets: the description is built from its argv.
    expect(shellCommand('./wrapper --login', 'true').slice(0, -1).join(' ')).toBe('./wrapper --login -c');
  });

  it('quotes a word a shell would read as more than itself, so the program line is unambiguous', () => {
    expect(described('shell: ./w;rm')[0]).toBe("'./w;rm' -c <code>");
  });
});

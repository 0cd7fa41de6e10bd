import { describe, expect, it } from 'vitest';
import { pythonCommand, shellCommand } from '../../../src/engine/exec/interpreter.js';
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

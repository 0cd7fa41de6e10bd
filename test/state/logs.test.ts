import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { openBlockLog } from '../../src/state/logs.js';
import { modeOf, useTempDir } from './temp-dir.js';

const tempDir = useTempDir();

describe('openBlockLog', () => {
  it('writes one 0600 file per block execution in a 0700 logs directory', async () => {
    const logs = join(tempDir(), 'logs');
    const log = await openBlockLog(logs, 'stop-compute-1', 2);
    expect(log.path).toBe(join(logs, 'stop-compute-1.2.log'));
    log.write('stopping nova-compute');
    log.writeChunk(Buffer.from('partial '));
    log.writeChunk('line\n');
    log.write('done');
    await log.close();
    expect(await readFile(log.path, 'utf8')).toBe('stopping nova-compute\npartial line\ndone\n');
    expect(modeOf(await stat(log.path))).toBe(0o600);
    expect(modeOf(await stat(logs))).toBe(0o700);
  });

  it('keeps every line of a large output, in order', async () => {
    const log = await openBlockLog(tempDir(), 'seq', 1);
    for (let i = 1; i <= 200_000; i += 1) {
      if (!log.write(String(i))) await log.drain();
    }
    await log.close();
    const lines = (await readFile(log.path, 'utf8')).split('\n');
    expect(lines).toHaveLength(200_001);
    expect(lines[0]).toBe('1');
    expect(lines[199_999]).toBe('200000');
    expect(lines[200_000]).toBe('');
  });

  it('buffers small writes instead of writing each line', async () => {
    const log = await openBlockLog(tempDir(), 'chatty', 1, { idleFlushMs: 60_000 });
    for (let i = 0; i < 1000; i += 1) log.write(`line ${i}`);
    // Several filesystem round trips: line-by-line writes would have landed by now.
    for (let i = 0; i < 5; i += 1) expect((await stat(log.path)).size).toBe(0);
    await log.drain();
    expect((await readFile(log.path, 'utf8')).split('\n')).toHaveLength(1001);
    await log.close();
  });

  it('still writes the output of a block that has gone quiet', async () => {
    const log = await openBlockLog(tempDir(), 'quiet', 1, { idleFlushMs: 20 });
    log.write('waiting for the database');
    await vi.waitFor(async () => expect(await readFile(log.path, 'utf8')).toBe('waiting for the database\n'), {
      timeout: 2000,
      interval: 10,
    });
    await log.close();
  });

  it('asks the producer to wait once a lot of output is queued', async () => {
    const log = await openBlockLog(tempDir(), 'flood', 1);
    const line = 'x'.repeat(1023);
    let accepted = 0;
    while (log.write(line) && accepted < 10_000) accepted += 1;
    expect(accepted).toBeLessThan(2048);
    await log.drain();
    expect(log.write('after drain')).toBe(true);
    await log.close();
  });

  it('refuses writes after close', async () => {
    const log = await openBlockLog(tempDir(), 'b', 1);
    await log.close();
    expect(() => log.write('late')).toThrow('already closed');
  });

  it('appends rather than truncating when an attempt number is reused', async () => {
    const first = await openBlockLog(tempDir(), 'b', 1);
    first.write('first');
    await first.close();
    const again = await openBlockLog(tempDir(), 'b', 1);
    again.write('second');
    await again.close();
    expect(await readFile(first.path, 'utf8')).toBe('first\nsecond\n');
  });

  it('keeps a block id with path characters inside the logs directory', async () => {
    const logs = join(tempDir(), 'logs');
    const log = await openBlockLog(logs, '../../escape', 1);
    await log.close();
    expect(await readdir(logs)).toHaveLength(1);
    expect(await readdir(tempDir())).toEqual(['logs']);
  });
});

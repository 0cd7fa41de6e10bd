/** Runs the built binary the way an operator does, from the repository root. `npm test` builds dist/ first. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const binary = resolve(repoRoot, 'dist', 'cli', 'main.js');

/** What one run of the binary printed and how it exited. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `node dist/cli/main.js ...args` in the repository root; never rejects on a non-zero exit. */
export function runCli(...args: string[]): Promise<CliResult> {
  if (!existsSync(binary)) throw new Error(`${binary} is missing: build first (npm run build, or npm test which builds)`);
  return new Promise((resolvePromise, reject) => {
    execFile(process.execPath, [binary, ...args], { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1', WAYMARK_DEBUG: '' }, timeout: 30_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(error);
        return;
      }
      resolvePromise({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

/** A stream that keeps what was written to it. */
export function capture(): Writable & { text: string } {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      stream.text += chunk.toString('utf8');
      done();
    },
  }) as Writable & { text: string };
  stream.text = '';
  return stream;
}

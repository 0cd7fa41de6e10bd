#!/usr/bin/env node
/** waymark's entry point: runs the command (route.ts) and turns operator errors into messages and exit codes. */
import { ExitCode, isOperatorError } from '../engine/errors.js';
import { inertLines } from '../runbook/inert.js';
import { route, runsQuickCommand } from './route.js';

/** An error's message names files, runbook text and values: it is shown inert like all output. */
function explain(error: unknown): number {
  if (isOperatorError(error)) {
    process.stderr.write(inertLines(`waymark: ${error.message}\n`));
    return error.exitCode;
  }
  process.stderr.write(
    inertLines(`waymark: internal error: ${(error as Error)?.message ?? String(error)}\n`) +
      'This is a bug in waymark, not in your runbook; the checkpoint on disk is intact. Set WAYMARK_DEBUG=1 for details.\n',
  );
  if (process.env.WAYMARK_DEBUG) process.stderr.write(inertLines(`${(error as Error)?.stack ?? ''}\n`));
  return ExitCode.Internal;
}

// `waymark plan X | head`: a reader that goes away is not an error worth a stack trace, and it
// must not stop a run half-way through a block either: the rest of the output is dropped, the
// run goes on to its checkpoint and audit trail as usual.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE' || error.code === 'EIO' || error.code === 'ERR_STREAM_DESTROYED') return;
  throw error;
});

/**
 * Whether anything has asked for process.stderr. Node makes the stream at the first ask, and for a
 * pipe (an editor's, a CI runner's) that loads `net`: ≈ 2.5 ms of a lint (bench/RESULTS.md). What
 * nothing asked for holds no output, so a quick command that wrote nothing there need not make it
 * only to see that it is empty.
 */
let stderrAsked = false;
const makeStderr = Object.getOwnPropertyDescriptor(process, 'stderr')?.get;
if (makeStderr) {
  Object.defineProperty(process, 'stderr', {
    configurable: true,
    enumerable: true,
    get() {
      stderrAsked = true;
      return makeStderr.call(process);
    },
  });
}

const argv = process.argv.slice(2);
route(argv, { stdout: process.stdout }).then(
  (code) => {
    process.exitCode = code;
    // A quick command leaves nothing running when it returns: ending here spares Node's teardown of
    // the heap (≈ 4 ms of a lint, bench/RESULTS.md). Only once its output is written (stdout is
    // synchronous for files, pipes and terminals on Linux, not for pipes on macOS).
    const written = process.stdout.writableLength === 0 && (!stderrAsked || process.stderr.writableLength === 0);
    if (runsQuickCommand(argv) && written) process.exit();
  },
  (error: unknown) => {
    process.exitCode = explain(error);
  },
);

/** Test doubles that turn the chunked output of a block back into lines, for assertions. */
import type { OutputStream } from '../../../src/engine/exec/output.js';
import type { LogSink, OutputListener } from '../../../src/engine/exec/shell.js';

/**
 * An output listener recording [stream, line] pairs. `lines` is one array, kept current: a line
 * cut between chunks shows as far as it has arrived and is completed in place.
 */
export function collectLines(): { lines: Array<[OutputStream, string]>; onOutput: OutputListener } {
  const lines: Array<[OutputStream, string]> = [];
  const complete: Array<[OutputStream, string]> = [];
  const pending: Record<OutputStream, string> = { stdout: '', stderr: '' };
  const onOutput: OutputListener = (stream, chunk) => {
    const parts = (pending[stream] + chunk.toString('utf8')).split('\n');
    pending[stream] = parts.pop() ?? '';
    for (const line of parts) complete.push([stream, line]);
    const partial = (['stdout', 'stderr'] as const).filter((s) => pending[s] !== '').map((s): [OutputStream, string] => [s, pending[s]]);
    lines.splice(0, lines.length, ...complete, ...partial);
  };
  return { lines, onOutput };
}

/** A log sink recording lines (`stream:line` when `tagged`), whether they come whole or as chunks. */
export function recordingLog(options: { tagged?: boolean; onClose?: () => void } = {}): { logged: string[]; log: LogSink } {
  const logged: string[] = [];
  const pending: Record<OutputStream, string> = { stdout: '', stderr: '' };
  const record = (stream: OutputStream, line: string): void => void logged.push(options.tagged ? `${stream}:${line}` : line);
  const log: LogSink = {
    write: (line, stream) => record(stream, line),
    writeChunk: (chunk, stream) => {
      const parts = (pending[stream] + chunk.toString('utf8')).split('\n');
      pending[stream] = parts.pop() ?? '';
      for (const line of parts) record(stream, line);
    },
    close: () => {
      for (const stream of ['stdout', 'stderr'] as const) if (pending[stream] !== '') record(stream, pending[stream]);
      options.onClose?.();
    },
  };
  return { logged, log };
}

/** Test doubles that turn the chunked output of a block back into lines, for assertions. */
import type { OutputStream } from '../../../src/engine/exec/output.js';
import type { LogSink, OutputListener } from '../../../src/engine/exec/shell.js';

/** An output listener recording [stream, line] pairs; it checks the whole-lines contract on the way. */
export function collectLines(): { lines: Array<[OutputStream, string]>; onOutput: OutputListener } {
  const lines: Array<[OutputStream, string]> = [];
  const onOutput: OutputListener = (stream, text, count) => {
    if (!text.endsWith('\n')) throw new Error(`output delivered a partial line: ${JSON.stringify(text.slice(-40))}`);
    const split = text.slice(0, -1).split('\n');
    if (split.length !== count) throw new Error(`output said ${count} lines but held ${split.length}`);
    for (const line of split) lines.push([stream, line]);
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

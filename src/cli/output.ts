/** Where the commands' text goes: the terminal, through the one sanitiser. */
import { inertLines } from '../runbook/inert.js';

/**
 * A command's output on its way to the terminal: every write made inert (src/runbook/inert.ts),
 * because titles, file names, operators, reasons and a block's output all come from outside.
 * The TUI gets the real stream: ink writes its own sequences and draws its text made inert.
 */
export function inertOutput<Stream extends NodeJS.WritableStream>(stream: Stream): Stream {
  const write = (chunk: unknown, ...rest: unknown[]): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
    return (stream.write as (...args: unknown[]) => boolean)(inertLines(text), ...rest);
  };
  return new Proxy(stream, {
    get(target, key) {
      if (key === 'write') return write;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** A stream that keeps what was written to it, for commands run in-process with their own `out`. */
import { Writable } from 'node:stream';

/** A writable whose `text` is everything written to it so far. */
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

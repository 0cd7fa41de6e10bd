/**
 * The CLI's output stream shows every write inert (issue 10, items 16 and 17). A runbook with an
 * ESC no longer loads (lint), so the headless confirmation preview is tested here directly: the
 * lines `waymark run --headless` prints before it waits for --yes go through this stream.
 */
import { describe, expect, it } from 'vitest';
import { inertOutput } from '../../src/cli/output.js';
import { capture } from '../support/capture.js';

describe('inertOutput', () => {
  it("reproduced: the headless confirm preview of `: '\\e[8m'; echo DELETED >> f; : '\\e[0m'; systemctl --version` hid the echo; now every escape is shown", () => {
    const sink = capture();
    const out = inertOutput(sink);
    const spoof = ": '\x1b[8m'; echo DELETED >> f; : '\x1b[0m'; systemctl --version";
    out.write('waiting: block restart needs confirmation before it runs. It will run:\n');
    out.write(`   > ${spoof}\n`);
    expect(sink.text).toBe(
      "waiting: block restart needs confirmation before it runs. It will run:\n   > : '␛[8m'; echo DELETED >> f; : '␛[0m'; systemctl --version\n",
    );
  });

  it('keeps newlines and tabs, shows every other control character, and turns Buffers into inert text too', () => {
    const sink = capture();
    const out = inertOutput(sink);
    out.write('a\tb\nc\x1b]0;t\x07\n');
    out.write(Buffer.from('d\x9be\n'));
    expect(sink.text).toBe('a\tb\nc␛]0;t␇\nd⟨U+009B⟩e\n');
  });

  it('is the stream otherwise: events and properties reach the real one', () => {
    const sink = capture();
    const out = inertOutput(sink);
    let finished = false;
    out.on('finish', () => {
      finished = true;
    });
    expect(out.writable).toBe(true);
    out.end();
    return new Promise<void>((done) =>
      setImmediate(() => {
        expect(finished).toBe(true);
        done();
      }),
    );
  });
});

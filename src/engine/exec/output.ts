/** Output handling for a running block: bytes to lines, and the bounded tail kept in memory. */
import { StringDecoder } from 'node:string_decoder';

/** Which stream of the block a line came from. */
export type OutputStream = 'stdout' | 'stderr';

/**
 * Longest line kept whole (in UTF-16 units); a longer run without a newline is cut into several lines,
 * in the log too, so that a progress bar or a binary blob cannot grow memory without limit.
 */
export const MAX_LINE_CHARS = 1024 * 1024;

/**
 * Cuts a byte stream into runs of complete lines, one run per chunk that
 * completes at least one line: text that ends with `\n`. A subscriber then pays
 * per chunk, not per line (a million-line block is a hundred calls). It works on
 * output already masked (headless `--output` prints whole lines): a cut never
 * splits a secret. Chunks may end mid-line or
 * mid-character; `end()` delivers a last line that had no newline, with one.
 * A run longer than `maxLineChars` without a newline is delivered in pieces, so
 * a progress bar or a binary blob cannot grow memory without limit.
 */
export class LineChunker {
  readonly #decoder = new StringDecoder('utf8');
  readonly #onLines: (text: string) => void;
  readonly #maxLineChars: number;
  #pending = '';

  constructor(onLines: (text: string) => void, maxLineChars = MAX_LINE_CHARS) {
    this.#onLines = onLines;
    this.#maxLineChars = maxLineChars;
  }

  /** Feed a chunk as it arrives from the stream. */
  push(chunk: Buffer | string): void {
    const text = typeof chunk === 'string' ? chunk : this.#decoder.write(chunk);
    if (text === '') return;
    const last = text.lastIndexOf('\n');
    if (last === -1) {
      this.#pending += text;
    } else {
      const complete = this.#pending + text.slice(0, last + 1);
      this.#pending = text.slice(last + 1);
      this.#onLines(complete);
    }
    while (this.#pending.length > this.#maxLineChars) {
      // Never between the two halves of a surrogate pair (an emoji would become two broken characters).
      const high = this.#pending.charCodeAt(this.#maxLineChars - 1);
      const cut = high >= 0xd800 && high <= 0xdbff && this.#maxLineChars > 1 ? this.#maxLineChars - 1 : this.#maxLineChars;
      this.#onLines(`${this.#pending.slice(0, cut)}\n`);
      this.#pending = this.#pending.slice(cut);
    }
  }

  /** The stream ended: deliver a final line that had no newline. */
  end(): void {
    const rest = this.#pending + this.#decoder.end();
    this.#pending = '';
    if (rest !== '') this.#onLines(`${rest}\n`);
  }
}

/** The lines of `text` (no final newline expected), without the `\r` of CRLF output. */
export function splitLines(text: string): string[] {
  const lines = text.split('\n');
  return text.includes('\r') ? lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line)) : lines;
}

/**
 * Newlines in `bytes`, four bytes at a time: a million-line block arrives as a
 * hundred 64 KiB chunks, and a call per newline (Buffer#indexOf) costs more than
 * the whole pipe. SWAR: a byte of `word ^ 0x0a0a0a0a` is zero exactly where a
 * newline was; the expression below sets the high bit of exactly those bytes
 * (no carries between bytes), and the multiply sums the four flags.
 */
export function countNewlines(bytes: Uint8Array): number {
  let count = 0;
  let i = 0;
  const head = Math.min(bytes.length, (4 - (bytes.byteOffset % 4)) % 4);
  for (; i < head; i++) if (bytes[i] === 10) count++;
  const words = (bytes.length - i) >>> 2;
  if (words > 0) {
    const view = new Uint32Array(bytes.buffer, bytes.byteOffset + i, words);
    for (let w = 0; w < words; w++) {
      const v = (view[w] as number) ^ 0x0a0a0a0a;
      const zeroHigh = ~(((v & 0x7f7f7f7f) + 0x7f7f7f7f) | v | 0x7f7f7f7f);
      count += Math.imul((zeroHigh >>> 7) & 0x01010101, 0x01010101) >>> 24;
    }
    i += words * 4;
  }
  for (; i < bytes.length; i++) if (bytes[i] === 10) count++;
  return count;
}

/**
 * The last `maxBytes` of a byte stream, kept as the chunks arrived, with a count
 * of newlines: per chunk it does O(1) work in JavaScript, and only the kept end
 * is ever decoded and split into lines.
 */
export class RawTail {
  readonly #maxBytes: number;
  #chunks: Buffer[] = [];
  #bytes = 0;
  #newlines = 0;
  #endsWithNewline = true;
  #total = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = Math.max(1, maxBytes);
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#newlines += countNewlines(chunk);
    this.#endsWithNewline = chunk[chunk.length - 1] === 10;
    this.#total += chunk.length;
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    while (this.#chunks.length > 1 && this.#bytes - (this.#chunks[0] as Buffer).length >= this.#maxBytes) {
      this.#bytes -= (this.#chunks.shift() as Buffer).length;
    }
  }

  /** Lines the stream held in all (a last line without a newline counts). */
  get lineCount(): number {
    return this.#newlines + (this.#endsWithNewline || this.#total === 0 ? 0 : 1);
  }

  /** Bytes the stream held in all. */
  get totalBytes(): number {
    return this.#total;
  }

  /**
   * The last `maxBytes` (at most the kept end) as text without its final newline, starting at a
   * line boundary when anything before was left out; a single line longer than that is kept cut.
   */
  text(maxBytes = this.#maxBytes): string {
    if (this.#total === 0) return '';
    const limit = Math.min(maxBytes, this.#maxBytes);
    const kept = this.#chunks.length === 1 ? (this.#chunks[0] as Buffer) : Buffer.concat(this.#chunks);
    let text = kept.subarray(-limit).toString('utf8');
    const atLineStart = kept.length > limit && kept[kept.length - limit - 1] === 10;
    if (this.#total > limit && !atLineStart) {
      const cut = text.indexOf('\n');
      if (cut !== -1 && cut < text.length - 1) text = text.slice(cut + 1);
    }
    return text.endsWith('\n') ? text.slice(0, -1) : text;
  }

  /** True when `text(maxBytes)` leaves out the start of the stream. */
  truncated(maxBytes = this.#maxBytes): boolean {
    return this.#total > Math.min(maxBytes, this.#maxBytes);
  }

  /** The last `max` lines within the last `maxBytes`, without the `\r` of CRLF output. */
  lines(max: number, maxBytes = this.#maxBytes): string[] {
    if (this.#total === 0) return [];
    return splitLines(this.text(maxBytes)).slice(-max);
  }
}

/** One line of a block's output and the stream it came from. */
export interface StreamLine {
  stream: OutputStream;
  text: string;
}

/**
 * The last `maxBytes` of a block's stdout and stderr together, each chunk kept with its stream, so
 * that a face can mark which lines came from stderr. As RawTail: O(1) work per chunk, and only
 * what a frame asks for is decoded and split. A line belongs to the stream that printed it: a
 * stdout line cut by a stderr chunk is shown whole, where it ended (a terminal would have shown
 * the two interleaved on one row).
 */
export class StreamTail {
  readonly #maxBytes: number;
  #chunks: { stream: OutputStream; chunk: Buffer }[] = [];
  #bytes = 0;
  /** Per stream: newlines seen, whether the stream's last byte was one, and whether its kept part starts a line. */
  #streams: Record<OutputStream, { newlines: number; endsWithNewline: boolean; total: number; keptStartsLine: boolean }> = {
    stdout: { newlines: 0, endsWithNewline: true, total: 0, keptStartsLine: true },
    stderr: { newlines: 0, endsWithNewline: true, total: 0, keptStartsLine: true },
  };

  constructor(maxBytes: number) {
    this.#maxBytes = Math.max(1, maxBytes);
  }

  push(chunk: Buffer, stream: OutputStream = 'stdout'): void {
    if (chunk.length === 0) return;
    const counts = this.#streams[stream];
    counts.newlines += countNewlines(chunk);
    counts.endsWithNewline = chunk[chunk.length - 1] === 10;
    counts.total += chunk.length;
    this.#chunks.push({ stream, chunk });
    this.#bytes += chunk.length;
    while (this.#chunks.length > 1 && this.#bytes - (this.#chunks[0] as { chunk: Buffer }).chunk.length >= this.#maxBytes) {
      const dropped = this.#chunks.shift() as { stream: OutputStream; chunk: Buffer };
      this.#bytes -= dropped.chunk.length;
      this.#streams[dropped.stream].keptStartsLine = dropped.chunk[dropped.chunk.length - 1] === 10;
    }
  }

  /** Lines both streams held in all (a last line without a newline counts). */
  get lineCount(): number {
    let count = 0;
    for (const s of Object.values(this.#streams)) count += s.newlines + (s.endsWithNewline || s.total === 0 ? 0 : 1);
    return count;
  }

  /**
   * The last `max` lines kept, in the order they ended; a line still being printed comes last.
   * Only the newest chunks that hold those lines are decoded (newlines are counted first, four
   * bytes at a time), so a frame costs the same however much the tail keeps.
   */
  lines(max: number): StreamLine[] {
    const chunks = this.#chunks;
    let first = chunks.length;
    // Two more newlines than lines: the first line of each stream decoded may be cut.
    for (let newlines = 0; first > 0 && newlines < max + 2; ) newlines += countNewlines((chunks[--first] as { chunk: Buffer }).chunk);
    // A line cut at `first` may end after lines of the other stream: decode from where it starts.
    for (let moved = true; moved; ) {
      moved = false;
      for (const stream of ['stdout', 'stderr'] as const) {
        const start = this.#lineStart(stream, first);
        if (start < first) [first, moved] = [start, true];
      }
    }
    const lines: StreamLine[] = [];
    const pending: Record<OutputStream, { text: string; decoder: StringDecoder; skip: boolean; last: number }> = {
      stdout: { text: '', decoder: new StringDecoder('utf8'), skip: !this.#startsLine('stdout', first), last: -1 },
      stderr: { text: '', decoder: new StringDecoder('utf8'), skip: !this.#startsLine('stderr', first), last: -1 },
    };
    this.#runs(first).forEach(({ stream, chunk }, index) => {
      const open = pending[stream];
      let text = open.decoder.write(chunk);
      if (open.skip) {
        // The start of this line is not in what is decoded: the line is not shown cut.
        const cut = text.indexOf('\n');
        if (cut === -1) return;
        text = text.slice(cut + 1);
        open.skip = false;
      }
      const last = text.lastIndexOf('\n');
      if (last === -1) {
        open.text += text;
      } else {
        for (const line of splitLines(open.text + text.slice(0, last))) lines.push({ stream, text: line });
        open.text = text.slice(last + 1);
      }
      if (open.text !== '') open.last = index;
    });
    const unfinished = (['stdout', 'stderr'] as const)
      .filter((s) => pending[s].text !== '')
      .sort((a, b) => pending[a].last - pending[b].last);
    for (const stream of unfinished) lines.push({ stream, text: splitLines(pending[stream].text)[0] as string });
    return lines.slice(-max);
  }

  /** The index of the chunk where the line of `stream` that is open at chunk `first` starts (the chunk of its newline before); `first` when none is open. */
  #lineStart(stream: OutputStream, first: number): number {
    if (this.#startsLine(stream, first)) return first;
    for (let i = first - 1; i >= 0; i--) {
      const { stream: s, chunk } = this.#chunks[i] as { stream: OutputStream; chunk: Buffer };
      if (s === stream && chunk.lastIndexOf(10) !== -1) return i;
    }
    return 0;
  }

  /** True when the chunks of `stream` from index `first` on start at a line's start. */
  #startsLine(stream: OutputStream, first: number): boolean {
    for (let i = first - 1; i >= 0; i--) {
      const { stream: s, chunk } = this.#chunks[i] as { stream: OutputStream; chunk: Buffer };
      if (s === stream) return chunk[chunk.length - 1] === 10;
    }
    return this.#streams[stream].keptStartsLine;
  }

  /** The kept chunks from index `first` on, each run of one stream joined: a block printing in small writes is decoded in a few calls. */
  #runs(first: number): { stream: OutputStream; chunk: Buffer }[] {
    const runs: { stream: OutputStream; chunk: Buffer }[] = [];
    let start = first;
    for (let i = first + 1; i <= this.#chunks.length; i++) {
      const head = this.#chunks[start] as { stream: OutputStream; chunk: Buffer };
      if (i < this.#chunks.length && (this.#chunks[i] as { stream: OutputStream }).stream === head.stream) continue;
      runs.push(i - start === 1 ? head : { stream: head.stream, chunk: Buffer.concat(this.#chunks.slice(start, i).map((c) => c.chunk)) });
      start = i;
    }
    return runs;
  }
}

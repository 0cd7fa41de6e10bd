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
 * Turns a byte stream into lines. Chunks may end mid-line or mid-UTF-8 character;
 * a trailing `\r` is dropped (CRLF output); the last line is emitted by `end()` even without a newline.
 */
export class LineSplitter {
  readonly #decoder = new StringDecoder('utf8');
  readonly #onLine: (line: string) => void;
  readonly #maxLineChars: number;
  #pending = '';

  constructor(onLine: (line: string) => void, maxLineChars = MAX_LINE_CHARS) {
    this.#onLine = onLine;
    this.#maxLineChars = maxLineChars;
  }

  /** Feed a chunk as it arrives from the stream. */
  push(chunk: Buffer | string): void {
    const text = typeof chunk === 'string' ? chunk : this.#decoder.write(chunk);
    if (text === '') return;
    let start = 0;
    let newline = text.indexOf('\n');
    if (newline !== -1 && this.#pending !== '') {
      this.#emit(this.#pending + text.slice(0, newline));
      this.#pending = '';
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    while (newline !== -1) {
      this.#emit(text.slice(start, newline));
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    if (start < text.length) this.#pending += text.slice(start);
    while (this.#pending.length > this.#maxLineChars) {
      // Never between the two halves of a surrogate pair (an emoji would become two broken characters).
      const high = this.#pending.charCodeAt(this.#maxLineChars - 1);
      const cut = high >= 0xd800 && high <= 0xdbff && this.#maxLineChars > 1 ? this.#maxLineChars - 1 : this.#maxLineChars;
      this.#onLine(this.#pending.slice(0, cut));
      this.#pending = this.#pending.slice(cut);
    }
  }

  /** The stream ended: flush a final line that had no newline. */
  end(): void {
    const rest = this.#pending + this.#decoder.end();
    this.#pending = '';
    if (rest !== '') this.#emit(rest);
  }

  #emit(line: string): void {
    this.#onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  }
}

/** Limits of a `TailCollector`. */
export interface TailLimits {
  /** Keep at most this many lines (Infinity: no line limit). */
  maxLines: number;
  /** Keep at most this many bytes of UTF-8 (newlines counted); the newest line is always kept. */
  maxBytes: number;
}

/**
 * Keeps the last lines of an output within a line and byte budget, counting what it dropped
 * (like codex-cli's truncating collector, but keeping the end: that is where errors are).
 */
export class TailCollector {
  readonly #maxLines: number;
  readonly #maxBytes: number;
  // A ring of lines with their sizes: a million pushes must cost no more than a million slot writes.
  #ring: string[] = [];
  #sizes: number[] = [];
  #start = 0;
  #count = 0;
  #bytes = 0;
  #dropped = 0;

  constructor(limits: TailLimits) {
    this.#maxLines = Math.max(1, limits.maxLines);
    this.#maxBytes = limits.maxBytes;
  }

  push(line: string): void {
    const size = Buffer.byteLength(line) + 1;
    if (this.#count === this.#maxLines) this.#dropOldest();
    if (this.#count === this.#ring.length) this.#grow();
    const at = (this.#start + this.#count) % this.#ring.length;
    this.#ring[at] = line;
    this.#sizes[at] = size;
    this.#count += 1;
    this.#bytes += size;
    while (this.#count > 1 && this.#bytes > this.#maxBytes) this.#dropOldest();
  }

  /** The lines kept, oldest first. */
  lines(): string[] {
    const lines: string[] = [];
    for (let i = 0; i < this.#count; i += 1) lines.push(this.#ring[(this.#start + i) % this.#ring.length] as string);
    return lines;
  }

  /** The lines kept joined with newlines. */
  text(): string {
    return this.lines().join('\n');
  }

  /** How many lines were pushed and not kept. */
  get dropped(): number {
    return this.#dropped;
  }

  /** How many lines were pushed in all. */
  get total(): number {
    return this.#dropped + this.#count;
  }

  /** UTF-8 bytes currently kept (newlines counted). */
  get bytes(): number {
    return this.#bytes;
  }

  #dropOldest(): void {
    this.#bytes -= this.#sizes[this.#start] as number;
    this.#ring[this.#start] = '';
    this.#start = (this.#start + 1) % this.#ring.length;
    this.#count -= 1;
    this.#dropped += 1;
  }

  // The ring starts small and doubles up to maxLines: most blocks print a few lines.
  #grow(): void {
    const capacity = Math.min(this.#maxLines, Math.max(16, this.#ring.length * 2));
    const lines = this.lines();
    const sizes: number[] = [];
    for (let i = 0; i < this.#count; i += 1) sizes.push(this.#sizes[(this.#start + i) % this.#sizes.length] as number);
    this.#ring = lines.concat(new Array<string>(capacity - lines.length).fill(''));
    this.#sizes = sizes.concat(new Array<number>(capacity - sizes.length).fill(0));
    this.#start = 0;
  }
}

/**
 * The last `maxBytes` of a stream's lines as one text, for `expect=` matching. Lines are gathered
 * into chunks of ~64 KiB: a million lines must not become a million long-lived strings
 * (promoting them would make garbage collection, not the child, the bottleneck).
 */
export class TextTail {
  readonly #maxBytes: number;
  #chunks: Array<{ text: string; bytes: number }> = [];
  #chunkBytes = 0;
  #current: string[] = [];
  #currentChars = 0;
  #truncated = false;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  push(line: string): void {
    this.#current.push(line);
    this.#currentChars += line.length + 1;
    if (this.#currentChars >= 64 * 1024) this.#seal();
  }

  /** The kept lines joined with newlines: everything, or the last lines that fit in `maxBytes`. */
  text(): string {
    this.#seal();
    let text = this.#chunks.map((chunk) => chunk.text).join('');
    let bytes = this.#chunkBytes;
    if (bytes > this.#maxBytes) {
      // Cut at a line start inside the oldest chunk so no partial line is matched.
      const buffer = Buffer.from(text);
      let start = buffer.length - this.#maxBytes;
      while (start < buffer.length && buffer[start - 1] !== 0x0a) start += 1;
      text = buffer.subarray(start).toString('utf8');
      bytes = buffer.length - start;
      this.#truncated = true;
    }
    return bytes > 0 ? text.slice(0, -1) : text;
  }

  /** True when older output was dropped to stay within `maxBytes`. */
  get truncated(): boolean {
    this.#seal();
    return this.#truncated || this.#chunkBytes > this.#maxBytes;
  }

  #seal(): void {
    if (this.#current.length === 0) return;
    const text = this.#current.join('\n') + '\n';
    const bytes = Buffer.byteLength(text);
    this.#chunks.push({ text, bytes });
    this.#chunkBytes += bytes;
    this.#current = [];
    this.#currentChars = 0;
    // Drop whole chunks that lie entirely before the last maxBytes.
    while (this.#chunks.length > 1 && this.#chunkBytes - (this.#chunks[0] as { bytes: number }).bytes >= this.#maxBytes) {
      this.#chunkBytes -= (this.#chunks.shift() as { bytes: number }).bytes;
      this.#truncated = true;
    }
  }
}

/**
 * The last `maxBytes` of a byte stream, kept as the chunks arrived, with a count of newlines.
 * The fast path for output nobody watches line by line: per chunk it does O(1) work in
 * JavaScript, and only the kept end is ever split into lines.
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
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.#newlines++;
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

  /** True when bytes were dropped from the front. */
  get truncated(): boolean {
    return this.#total > this.#bytes;
  }

  /** The kept end as text, starting at a line boundary when the front was dropped. */
  text(): string {
    let text = Buffer.concat(this.#chunks).subarray(-this.#maxBytes).toString('utf8');
    if (this.truncated) text = text.slice(text.indexOf('\n') + 1);
    return text.endsWith('\n') ? text.slice(0, -1) : text;
  }

  /** The last `max` lines of the kept end. */
  lines(max: number): string[] {
    if (this.#total === 0) return [];
    return this.text().split('\n').slice(-max);
  }
}

/**
 * What the faces (cli/, ui/, report/) use of the executor's output handling, under the names a
 * face thinks in. engine/exec/ stays the engine's own: its chunkers, tails, masking and process
 * runner may change shape without a face noticing, as long as this module keeps its word.
 */
import { loadExeca } from './exec/shell.js';

/** Gathers output that arrives in chunks cut anywhere into whole lines (headless `--output` prints through one per stream). */
export { LineChunker as WholeLines } from './exec/output.js';

/** The bounded last part of a block's output, kept as it arrives with the stream of each chunk, for a face's output pane. */
export { StreamTail as OutputTail, type StreamLine as OutputLine } from './exec/output.js';

/** The lines of a block's log text (no final newline expected), without the `\r` of CRLF output. */
export { splitLines as splitLogLines } from './exec/output.js';

/** What a secret is shown as, on screen and in every record (docs/running.md#how-secrets-are-masked). */
export { MASK as SECRET_GLYPH } from './exec/mask.js';

/**
 * What runs a block as a face shows it (`./wrapper -c <code>`, or an sql block's connection), and the
 * line that introduces the block's command under it. The executors take the program from the same place.
 */
export { describeProgram, programHeading } from './exec/interpreter.js';

/**
 * Start loading the process runner (execa) while the face is idle, so that the first block does
 * not wait for it. A failure to load is not lost: the same load fails again when a block runs,
 * and that block fails with the reason (see runProcess).
 */
export function preloadProcessRunner(): void {
  loadExeca().catch(() => undefined);
}

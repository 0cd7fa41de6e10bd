/**
 * `capture=NAME` (docs/capture.md): a block's result kept as a variable of the blocks after it.
 * A shell or python block's trimmed stdout, an sql block's first value or (`NAME:rows`) its rows
 * as JSON. What a capture holds is decided here; the session records it with the block's end,
 * and the checkpoint keeps it so that a resumed run has it, except a secret one, which is never
 * stored in clear.
 */
import type { Block, CaptureAttribute, Runbook } from '../runbook/model.js';
import { MASK, type Masker } from './exec/mask.js';
import type { KeptStdout } from './exec/shell.js';
import type { SqlResult } from './exec/sql.js';
import type { CapturedValue, RunState } from './run-state.js';
import { isBlockDone, isStepDone } from './run-state.js';
import { captureSites } from '../runbook/capture-lint.js';

/** The most a capture may hold: it becomes an environment variable of later blocks. */
export const CAPTURE_MAX_BYTES = 64 * 1024;

/** What a block's capture came to: a value (secret when its output had a secret in it), or why there is none. */
export type Captured = { value: string; secret: boolean } | { error: string };

/** A shell or python block's capture: its stdout, trimmed. */
export function captureStdout(capture: CaptureAttribute, stdout: KeptStdout | undefined, masker: Masker, outputMasked: boolean): Captured {
  if (stdout === undefined) return { error: `capture=${capture.name}: the block printed nothing to capture` };
  if (stdout.cut)
    return {
      error: `capture=${capture.name}: the block printed more than ${CAPTURE_MAX_BYTES / 1024} KiB on stdout; capture a shorter result (for example with | tail -n 1)`,
    };
  return checked(capture, stdout.text.trim(), outputMasked || masker.mask(stdout.text) !== stdout.text);
}

/** An sql block's capture, from its result before masking: the first value, or the rows as JSON. */
export function captureSql(capture: CaptureAttribute, raw: SqlResult, masker: Masker): Captured {
  if (raw.error !== undefined) return { error: `capture=${capture.name}: the query failed` };
  const changed = (text: string) => masker.mask(text) !== text;
  const secret = raw.columns.some(changed) || raw.rows.some((row) => Object.values(row).some(changed));
  if (capture.form === 'rows') return checked(capture, JSON.stringify(raw.rows), secret);
  const first = raw.columns[0];
  const value = first === undefined ? '' : (raw.rows[0]?.[first] ?? '');
  return checked(capture, value, secret);
}

function checked(capture: CaptureAttribute, value: string, secret: boolean): Captured {
  if (Buffer.byteLength(value) > CAPTURE_MAX_BYTES)
    return { error: `capture=${capture.name}: the result is over ${CAPTURE_MAX_BYTES / 1024} KiB; capture a shorter one` };
  // An environment variable cannot hold a NUL byte.
  if (value.includes('\0')) return { error: `capture=${capture.name}: the result holds a NUL byte, which a variable cannot` };
  return { value, secret };
}

/**
 * What the checkpoint keeps of a capture: a value in clear, or for a secret only a keyed digest
 * (`mac`, as secret variables are kept: engine/vars.ts secretDigests).
 */
export function capturedRecord(
  step: string,
  block: string,
  captured: { value: string; secret: boolean },
  at: string,
  mac: (text: string) => string,
  name: string,
): CapturedValue {
  return captured.secret
    ? { step, block, secret: true, digest: mac(`capture ${name}=${captured.value}`), at }
    : { step, block, secret: false, value: captured.value, at };
}

/** A capture as the audit trail and the faces show it: a secret masked. */
export function shownCapture(captured: { value?: string; secret: boolean }): string {
  return captured.secret ? MASK : (captured.value ?? '');
}

/**
 * Secret captures a resumed run no longer has (their value was never stored) that a block or a
 * step's text still to come uses: each capturing block must run again. Pure; the session resets
 * those blocks and tells the operator.
 */
export function lostSecretCaptures(
  runbook: Runbook,
  state: RunState,
  known: ReadonlySet<string>,
): { name: string; step: string; block: Block }[] {
  const lost: { name: string; step: string; block: Block }[] = [];
  const sites = captureSites(runbook);
  for (const [name, recorded] of Object.entries(state.captures ?? {})) {
    if (!recorded.secret || known.has(name)) continue;
    const site = sites.get(name);
    if (!site) continue;
    const step = runbook.steps[site.step];
    if (!step || !stillUsed(runbook, state, name)) continue;
    lost.push({ name, step: step.id, block: site.block });
  }
  return lost;
}

/** True when a step not done yet shows `${name}` or has a block not done that uses it. */
function stillUsed(runbook: Runbook, state: RunState, name: string): boolean {
  const shell = new RegExp(`\\$\\{?${name}(?![A-Za-z0-9_])`);
  const sql = new RegExp(`:${name}(?![A-Za-z0-9_])`);
  return runbook.steps.some((step) => {
    const stepState = state.steps.find((s) => s.id === step.id);
    if (stepState && isStepDone(stepState)) return false;
    if (step.markdown.includes(`\${${name}}`)) return true;
    return step.blocks.some((block) => {
      const blockState = stepState?.blocks.find((b) => b.id === block.id);
      if (block.executor === null || (blockState && isBlockDone(blockState))) return false;
      return (block.executor === 'sql' ? sql : shell).test(block.code);
    });
  });
}

/** A capture as `status --json` and the report show it. */
export interface CaptureShown {
  value: string;
  secret: boolean;
  step: string;
  block: string;
}

/** The captures of a checkpoint, as status and the report show them: secrets masked. */
export function capturesShown(captures: Record<string, CapturedValue>): Record<string, CaptureShown> {
  return Object.fromEntries(
    Object.entries(captures).map(([name, c]) => [name, { value: shownCapture(c), secret: c.secret, step: c.step, block: c.block }]),
  );
}

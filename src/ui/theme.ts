/** Glyphs and colours for statuses, in one place. With NO_COLOR the colours are never emitted (see start.tsx). */
import type { BlockStatus, HostStatus, StepStatus } from '../engine/run-state.js';

/** A status's glyph and colour name (an ink `color`). */
export interface StatusLook {
  glyph: string;
  color: string;
}

const LOOKS: Record<StepStatus | BlockStatus, StatusLook> = {
  pending: { glyph: '·', color: 'gray' },
  running: { glyph: '▶', color: 'cyan' },
  passed: { glyph: '✓', color: 'green' },
  failed: { glyph: '✗', color: 'red' },
  refused: { glyph: '⊘', color: 'red' },
  skipped: { glyph: '↷', color: 'gray' },
  overridden: { glyph: '!', color: 'magenta' },
  waiting: { glyph: '?', color: 'yellow' },
  interrupted: { glyph: '⚡', color: 'yellow' },
  warning: { glyph: '⚠', color: 'yellow' },
  acknowledged: { glyph: '✓', color: 'yellow' },
  paused: { glyph: '‖', color: 'yellow' },
};

export function lookOf(status: StepStatus | BlockStatus): StatusLook {
  return LOOKS[status];
}

/**
 * A fleet block's hosts: a different glyph for every status, so that the host grid reads the same
 * under NO_COLOR; each one column wide (no ⚡), so that a row of cells fits the width it was cut to.
 */
const HOST_LOOKS: Record<HostStatus, StatusLook> = {
  pending: { glyph: '·', color: 'gray' },
  running: { glyph: '▶', color: 'cyan' },
  ok: { glyph: '✓', color: 'green' },
  failed: { glyph: '✗', color: 'red' },
  unreachable: { glyph: '⊘', color: 'magenta' },
  skipped: { glyph: '↷', color: 'gray' },
  interrupted: { glyph: '↯', color: 'yellow' },
  'marked-done': { glyph: '☑', color: 'yellow' },
};

export function hostLookOf(status: HostStatus): StatusLook {
  return HOST_LOOKS[status];
}

/** Role badges, short enough for an 80-column screen. */
export const ROLE_BADGE: Record<string, string> = {
  run: 'RUN',
  check: 'CHECK',
  verify: 'VERIFY',
  rollback: 'ROLLBACK',
  example: 'EXAMPLE',
};

/** Glyphs and colours for statuses, in one place. With NO_COLOR the colours are never emitted (see start.tsx). */
import type { BlockStatus, StepStatus } from '../engine/run-state.js';

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

/** Role badges, short enough for an 80-column screen. */
export const ROLE_BADGE: Record<string, string> = {
  run: 'RUN',
  check: 'CHECK',
  verify: 'VERIFY',
  rollback: 'ROLLBACK',
  example: 'EXAMPLE',
};

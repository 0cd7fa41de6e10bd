/** The front matter's `notify:` as the parser reads it; src/engine/notify.ts runs it (docs/notify.md). */
export const NOTIFY_EVENTS = ['gate-refused', 'block-failed', 'waiting', 'batch-finished', 'run-complete'] as const;
export type NotifyEventName = (typeof NOTIFY_EVENTS)[number];

/** Default time a notifier may take before it is killed. */
export const DEFAULT_NOTIFY_TIMEOUT_MS = 5_000;

export interface NotifyDecl {
  command: string;
  timeoutMs: number;
  /** The events that run it: every one when the front matter leaves `events` out. */
  events: NotifyEventName[];
  line: number;
}

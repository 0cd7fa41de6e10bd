/** Exit codes of SPEC §4 (placeholder until the floors move lands). */
export const ExitCode = { Complete: 0, Failed: 1, BadInput: 2, Refused: 3, Waiting: 4, Locked: 5, Signal: 130 } as const;
